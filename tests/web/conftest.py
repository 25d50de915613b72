"""The served app as people reach it, and a real Chromium driving it.

The app runs under uvicorn on Postgres with the GCS emulator as its bucket and
the fake Google as its sign-in, behind the compose router (the real nginx),
which also serves the emulator at /storage: signed upload and download URLs
are on the page's own origin, as in compose. Chromium is Debian's, driven
headless by Playwright.
"""

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright, ViewportSize, sync_playwright

from tests.infra.edge.nginx_runner import edge_env, edge_render, edge_running
from tests.plugin import postgres_cluster
from tests.support.fake_google import FakeGoogle, fake_google_running
from tests.support.flags import TEST_POLL_INTERVAL_MS, flag_file_write, repo_flags
from tests.support.gcs import TEST_BUCKET, Emulator
from tests.support.live_app import LiveApp, live_app, live_app_env
from tests.support.paths import REPO_ROOT
from tests.support.ports import free_port
from tests.support.tools import system_tool

# What works for Debian's chromium here: no sandbox (root), no GPU, and nothing
# that would reach for the network on its own.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
# Git-ignored (/build/); each test writes the pages it visits here.
SCREENSHOTS = REPO_ROOT / "build" / "screenshots"
PHONE: ViewportSize = {"width": 390, "height": 844}
# Per person; small, so one test file can go over it.
QUOTA_BYTES = 200_000

# Runs in every page before its own scripts (injected by the browser, so the
# page's CSP does not apply to it): CSP violations become console errors.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


@dataclass(frozen=True)
class Site:
    """The app behind the router at `url`, with what a test needs to look behind the page."""

    url: str
    app: LiveApp
    env: dict[str, str]
    google: FakeGoogle | None = None
    emulator: Emulator | None = None
    flag_file: Path | None = None

    def app_command(self, *args: str) -> subprocess.CompletedProcess[str]:
        """An `app` management command against the served app's database (`createstaff`, ...)."""
        return subprocess.run(
            [sys.executable, "-m", "app", *args], env=self.env, check=True, capture_output=True, text=True
        )

    def stored_keys(self, prefix: str) -> list[str]:
        """The bucket's object names under `prefix`, asked of the emulator's JSON API."""
        assert self.emulator is not None
        response = httpx.get(f"{self.emulator.url}/storage/v1/b/{TEST_BUCKET}/o", params={"prefix": prefix})
        response.raise_for_status()
        return [item["name"] for item in response.json().get("items", [])]


@pytest.fixture(scope="session")
def site(gcs_emulator: Emulator, gcs_signing_key: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    system_tool("nginx", "apt-get install nginx")
    system_tool("envsubst", "apt-get install gettext-base")
    edge_port = free_port()
    url = f"http://127.0.0.1:{edge_port}"
    flag_file = tmp_path_factory.mktemp("flags") / "flags.json"
    flag_file_write(flag_file, repo_flags())
    with fake_google_running() as google:
        env = live_app_env(
            postgres_cluster(),
            {
                "GCS_BUCKET": TEST_BUCKET,
                "STORAGE_EMULATOR_HOST": gcs_emulator.url,
                "GCS_SIGNING_KEY_FILE": str(gcs_signing_key),
                # As in compose: signed URLs on the router's /storage, the page's own origin.
                "GCS_PUBLIC_ENDPOINT": f"{url}/storage",
                "FILES_QUOTA_BYTES": str(QUOTA_BYTES),
                "ALLOW_PASSWORD_LOGIN": "false",
                "FLAGS_FILE": str(flag_file),
                "FLAGS_POLL_INTERVAL_MS": str(TEST_POLL_INTERVAL_MS),
                **google.served_app_env(),
            },
        )
        with live_app(env, serve_args=("--forwarded-allow-ips", "127.0.0.1")) as app:
            prefix = tmp_path_factory.mktemp("web-router")
            edge_settings = {
                "EDGE_HTTP_PORT": str(edge_port),
                "EDGE_STORAGE_UPSTREAM": gcs_emulator.url.removeprefix("http://"),
            }
            edge = edge_render("compose", prefix, edge_env(prefix, upstream_port=app.port, settings=edge_settings))
            with edge_running(edge):
                yield Site(url=url, app=app, env=env, google=google, emulator=gcs_emulator, flag_file=flag_file)


# Per module, not per session: while Playwright's sync API is running, its event
# loop counts as running on the main thread, and Django's in-process test client
# (async_to_sync) refuses to work in any test that comes after.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    executable = system_tool("chromium", "apt-get install chromium")
    launched = playwright.chromium.launch(executable_path=executable, args=list(CHROMIUM_ARGS))
    yield launched
    launched.close()


@dataclass
class Visit:
    """One person's browser (a fresh context: no cache, no cookies) and everything it complained about."""

    site: Site
    context: BrowserContext
    page: Page
    complaints: list[str] = field(default_factory=list[str])
    # Status codes a test provokes on purpose: the browser reports each failed request too.
    expected_statuses: set[int] = field(default_factory=set[int])

    def record(self, message: ConsoleMessage) -> None:
        """Keeps a console error, unless it reports a refusal the test provoked."""
        if message.type != "error":
            return
        failed_load = message.text.startswith("Failed to load resource: the server responded with a status of ")
        if failed_load and any(f"status of {status} " in message.text for status in self.expected_statuses):
            return
        self.complaints.append(f"{message.text} ({message.location.get('url')})")

    def goto(self, path: str) -> None:
        response = self.page.goto(self.site.url + path)
        assert response is not None
        assert response.ok, f"{path}: {response.status}"

    def sign_in(self, email: str, subject: str) -> None:
        """Through the Google flow, by clicking: the fake Google is signed in to this account."""
        assert self.site.google is not None
        self.site.google.browser_account = {"email": email, "sub": subject}
        self.goto("/")
        with self.page.expect_navigation(url=self.site.url + "/"):
            self.page.get_by_role("button", name="Sign in with Google").click()

    def screenshot(self, name: str) -> Path:
        """Saves the whole page, once it is sure the page fits its viewport's width."""
        overflow = self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name}: the page is {overflow}px wider than the window"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=path, full_page=True)
        return path

    def assert_no_complaints(self) -> None:
        assert self.complaints == [], "console errors or CSP violations:\n" + "\n".join(self.complaints)


def visit(browser: Browser, site: Site, **context_options: Any) -> Visit:
    context = browser.new_context(**context_options)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    opened = Visit(site=site, context=context, page=page)
    context.on("console", opened.record)
    context.on("weberror", lambda error: opened.complaints.append(f"uncaught: {error.error}"))
    return opened


@pytest.fixture
def person(browser: Browser, site: Site) -> Iterator[Visit]:
    """A fresh browser for one person; each test ends with `assert_no_complaints()`."""
    opened = visit(browser, site, permissions=["clipboard-read", "clipboard-write"])
    yield opened
    opened.context.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
