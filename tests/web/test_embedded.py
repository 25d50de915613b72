"""The quick start as a person sees it: `app serve` in embedded mode, a local staff user, one upload."""

import subprocess
import sys
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.support.live_app import live_app, live_app_env
from tests.web.conftest import Site, Visit, visit

EMAIL = "staff@example.com"
PASSWORD = "a long passphrase for the test"


@pytest.fixture(scope="module")
def embedded_site() -> Iterator[Site]:
    """The app with no settings at all (SQLite, local files, the app's own signed URLs), and a staff user."""
    env = live_app_env(None, {"APP_STAFF_PASSWORD": PASSWORD})
    with live_app(env) as app:
        subprocess.run([sys.executable, "-m", "app", "createstaff", EMAIL], env=env, check=True, capture_output=True)
        yield Site(url=app.base_url, app=app, env=env)


@pytest.fixture
def staff(browser: Browser, embedded_site: Site) -> Iterator[Visit]:
    opened = visit(browser, embedded_site)
    yield opened
    opened.context.close()


def test_quick_start_password_sign_in_then_upload_to_the_apps_own_signed_url(staff: Visit) -> None:
    page = staff.page
    staff.goto("/")
    page.get_by_role("link", name="Sign in with a password").click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation(url=staff.site.url + "/"):
        page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("link", name="API docs")).to_be_visible()

    puts: list[str] = []
    page.on("request", lambda request: puts.append(request.url) if request.method == "PUT" else None)
    page.get_by_label("Choose files to upload").set_input_files(
        files=[{"name": "hello.txt", "mimeType": "text/plain", "buffer": b"hello from the quick start\n"}]
    )

    expect(page.get_by_role("list", name="Uploads")).to_contain_text("Uploaded")
    assert len(puts) == 1
    assert puts[0].startswith(f"{staff.site.url}/files/local/upload/")
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download hello.txt").click()
    assert downloading.value.path().read_bytes() == b"hello from the quick start\n"
    staff.assert_no_complaints()
