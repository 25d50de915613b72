"""The pages as Django serves them: who sees what, and what the pages' JavaScript is given."""

import json
from collections.abc import Callable
from html.parser import HTMLParser

import pytest
from django.test import Client
from pytest_django import Settings

from app.accounts.models import User
from app.core.problems import ProblemCode
from app.web.problem_text import PROBLEM_TEXT

GOOGLE_LOGIN = "/accounts/google/login/"


class _Page(HTMLParser):
    """What matters in a page here: its forms, links, scripts, and any inline style."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: list[dict[str, str | None]] = []
        self.links: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.inline_styles = 0
        self.page_data: object = None
        self._in_page_data = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.inline_styles += tag == "style" or "style" in found
        if tag == "form":
            self.forms.append(found)
        elif tag == "a" and found.get("href"):
            self.links.append(str(found["href"]))
        elif tag == "script":
            self.scripts.append(found)
            self._in_page_data = found.get("id") == "page-data"

    def handle_data(self, data: str) -> None:
        if self._in_page_data:
            self.page_data = json.loads(data)
            self._in_page_data = False


def _page(client: Client, path: str) -> _Page:
    response = client.get(path)
    assert response.status_code == 200
    return _Page(response.content.decode())


def test_problem_text_has_words_for_every_problem_code() -> None:
    assert set(PROBLEM_TEXT) == set(ProblemCode)
    assert all(text.endswith(".") for text in PROBLEM_TEXT.values())


def test_signed_out_home_offers_google_sign_in_as_a_post(client: Client, settings: Settings) -> None:
    settings.GOOGLE_OAUTH_CLIENT_ID = "client.apps.googleusercontent.com"
    settings.ALLOW_PASSWORD_LOGIN = False

    page = _page(client, "/")

    assert [(form.get("method"), form.get("action")) for form in page.forms] == [("post", GOOGLE_LOGIN)]
    assert "/accounts/login/" not in page.links
    assert page.page_data is None


def test_signed_out_home_without_google_links_to_password_sign_in(client: Client, settings: Settings) -> None:
    settings.GOOGLE_OAUTH_CLIENT_ID = None
    settings.ALLOW_PASSWORD_LOGIN = True

    page = _page(client, "/")

    assert page.forms == []
    assert "/accounts/login/" in page.links


def test_home_signed_in_is_your_files_with_words_for_every_problem(client: Client, alice: User) -> None:
    client.force_login(alice)

    page = _page(client, "/")

    assert isinstance(page.page_data, dict)
    assert set(page.page_data["problems"]) == {str(code) for code in ProblemCode}
    # Browsers name .md and .json files with types the API does not take; the extension decides.
    assert page.page_data["types"]["md"] == "text/plain"
    assert page.page_data["types"]["jpg"] == "image/jpeg"
    assert ("post", "/accounts/logout/") in [(form.get("method"), form.get("action")) for form in page.forms]


@pytest.mark.parametrize("path", ["/", "/tokens/"])
def test_pages_load_scripts_only_from_files_and_style_nowhere_inline(client: Client, alice: User, path: str) -> None:
    client.force_login(alice)

    page = _page(client, path)

    for script in page.scripts:
        assert script.get("src") or script.get("type") == "application/json", script
    assert page.inline_styles == 0


@pytest.mark.parametrize(("is_staff", "shown"), [(False, False), (True, True)])
def test_staff_see_links_to_the_api_docs_and_the_admin(
    client: Client, make_user: Callable[..., User], is_staff: bool, shown: bool
) -> None:
    client.force_login(make_user("carol@example.com", is_staff=is_staff))

    links = _page(client, "/tokens/").links

    assert ("/api/docs" in links, "/admin/" in links) == (shown, shown)


def test_tokens_page_sends_signed_out_visitors_to_the_home_page(client: Client) -> None:
    response = client.get("/tokens/")

    assert (response.status_code, response.headers["Location"]) == (302, "/")


def test_pages_are_never_cached(client: Client, alice: User) -> None:
    client.force_login(alice)

    assert "no-cache" in client.get("/").headers["Cache-Control"]


def test_favicon_is_the_site_icon(client: Client) -> None:
    response = client.get("/favicon.ico")

    assert (response.status_code, response.headers["Location"]) == (301, "/static/web/icon.svg")
