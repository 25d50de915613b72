"""What each page costs on a first visit (no cache): bytes of HTML, CSS and JavaScript."""

import json

from playwright.sync_api import Browser, Response

from tests.web.conftest import PHONE, SCREENSHOTS, Site, Visit, visit

# The aim for a page's first load, HTML + CSS + JS together.
PAGE_BUDGET_BYTES = 50_000
COUNTED = {"document": "html", "stylesheet": "css", "script": "js"}


def _first_load(browser: Browser, site: Site, path: str, storage_state: object, name: str) -> dict[str, int]:
    """Bytes by kind for one page load in a fresh context; the page is done when its lists are."""
    fresh = visit(browser, site, storage_state=storage_state, viewport=PHONE)
    responses: list[Response] = []
    fresh.page.on("response", lambda response: responses.append(response))
    fresh.goto(path)
    fresh.page.wait_for_load_state("networkidle")
    fresh.screenshot(f"phone-{name}")
    weights = dict.fromkeys(COUNTED.values(), 0)
    for response in responses:
        kind = COUNTED.get(response.request.resource_type)
        if kind is not None:
            weights[kind] += len(response.body())
    fresh.assert_no_complaints()
    fresh.context.close()
    return weights


def test_each_page_loads_in_under_50_kb_of_html_css_and_js(browser: Browser, person: Visit) -> None:
    signed_out = person.context.storage_state()
    person.sign_in("gina@example.com", "1004")
    signed_in = person.context.storage_state()

    weights = {
        "/ (signed out)": _first_load(browser, person.site, "/", signed_out, "welcome"),
        "/ (your files)": _first_load(browser, person.site, "/", signed_in, "files-empty"),
        "/tokens/": _first_load(browser, person.site, "/tokens/", signed_in, "tokens"),
    }

    report = {page: {**kinds, "total": sum(kinds.values())} for page, kinds in weights.items()}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "page-weight.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    for page, kinds in report.items():
        assert kinds["total"] < PAGE_BUDGET_BYTES, f"{page}: {kinds}"
    person.assert_no_complaints()
