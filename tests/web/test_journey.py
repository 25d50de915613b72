"""A person's whole journey through the pages, in a real browser, against the served app."""

import base64

import httpx
from playwright.sync_api import expect

from tests.support.api import PNG_1X1
from tests.web.conftest import PHONE, Visit, bearer

# The files page asks for this many at a time (static/web/files.js).
PAGE_SIZE = 20
NOTES = b"".join(f"line {n}: the quick brown fox jumps over the lazy dog\n".encode() for n in range(1500))

# Builds a DataTransfer holding files made from base64 bytes, as a drag from the desktop would.
DROPPED_FILES = """
(files) => {
  const transfer = new DataTransfer();
  for (const { name, type, data } of files) {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    transfer.items.add(new File([bytes], name, { type }));
  }
  return transfer;
}
"""


def _dropped(name: str, content_type: str, data: bytes) -> dict[str, str]:
    return {"name": name, "type": content_type, "data": base64.b64encode(data).decode()}


def test_sign_in_upload_download_delete_tokens_and_docs(person: Visit) -> None:
    page, site = person.page, person.site

    # Signed out: what this is, and the way in.
    person.goto("/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Drop files")
    person.screenshot("welcome")

    # Sign in through the Google flow, by clicking; land on your files.
    assert site.google is not None
    redeemed = len(site.google.token_requests)
    person.sign_in("dana@example.com", "1001")
    expect(page.get_by_role("heading", name="Your files")).to_be_visible()
    expect(page.get_by_text("Successfully signed in as")).to_be_visible()
    # The app redeemed the code at the token endpoint with its PKCE verifier, and nothing was refused.
    assert (len(site.google.token_requests) - redeemed, site.google.refusals) == (1, [])
    expect(page.get_by_text("No files yet.")).to_be_visible()
    expect(page.get_by_role("link", name="API docs")).to_have_count(0)

    # Drop two files; each progress bar reaches 100% and each says so.
    transfer = page.evaluate_handle(
        DROPPED_FILES, [_dropped("notes.txt", "text/plain", NOTES), _dropped("pixel.png", "image/png", PNG_1X1)]
    )
    page.dispatch_event("#drop-zone", "drop", {"dataTransfer": transfer})
    uploads = page.get_by_role("list", name="Uploads").get_by_role("listitem")
    expect(uploads).to_have_count(2)
    for name in ("notes.txt", "pixel.png"):
        item = uploads.filter(has_text=name)
        expect(item.get_by_role("progressbar", name=f"Upload of {name}")).to_have_js_property("value", 100)
        expect(item).to_contain_text("Uploaded")

    # Both listed, newest first, with size and type.
    rows = page.locator("#file-rows tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("pixel.png")
    expect(rows.nth(0)).to_contain_text("image/png")
    expect(rows.nth(1)).to_contain_text("notes.txt")
    expect(rows.nth(1)).to_contain_text(f"{len(NOTES) / 1000:.0f} kB")
    expect(page.locator("#quota-text")).to_contain_text("2 of 1000 files")
    person.screenshot("files")

    # Download one: the same bytes come back, under the same name.
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download notes.txt").click()
    download = downloading.value
    assert download.suggested_filename == "notes.txt"
    assert download.path().read_bytes() == NOTES

    # Delete one, by keyboard: Escape cancels, Enter on "Delete" confirms.
    page.get_by_role("button", name="Delete pixel.png").focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Delete pixel.png? This cannot be undone.")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    person.screenshot("delete-confirm")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(rows).to_have_count(2)
    page.get_by_role("button", name="Delete pixel.png").click()
    dialog.get_by_role("button", name="Delete").focus()
    page.keyboard.press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("notes.txt")
    expect(page.get_by_role("status")).to_have_text("pixel.png deleted.")

    # A token: created (the secret shown once), used by an HTTP client, revoked, refused.
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
    page.get_by_label("Name").fill("laptop")
    page.get_by_role("button", name="Create token").click()
    secret_field = page.get_by_label("Token laptop")
    expect(secret_field).to_be_focused()
    secret = secret_field.input_value()
    assert secret
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("status")).to_contain_text("copied", ignore_case=True)
    assert page.evaluate("navigator.clipboard.readText()") == secret
    token_row = page.locator("#token-rows tr").filter(has_text="laptop")
    expect(token_row).to_contain_text("Active")
    person.screenshot("tokens")

    me = httpx.get(f"{site.url}/api/v1/me", headers=bearer(secret))
    assert me.status_code == 200, me.text
    assert me.json()["email"] == "dana@example.com"
    listed = httpx.get(f"{site.url}/api/v1/files", headers=bearer(secret)).json()
    assert [item["filename"] for item in listed["items"]] == ["notes.txt"]

    token_row.get_by_role("button", name="Revoke laptop").click()
    page.get_by_role("dialog").get_by_role("button", name="Revoke").click()
    expect(token_row).to_contain_text("Revoked")
    assert httpx.get(f"{site.url}/api/v1/me", headers=bearer(secret)).status_code == 401

    # Not staff: no links to the docs, and 403 there.
    person.expected_statuses.add(403)
    forbidden = page.goto(f"{site.url}/api/docs")
    assert forbidden is not None
    assert forbidden.status == 403

    # Promoted as an operator would be; the links appear, and Swagger UI renders the operations.
    site.app_command("createstaff", "dana@example.com", "--no-password")
    person.goto("/")
    expect(page.get_by_role("link", name="Admin")).to_be_visible()
    page.get_by_role("link", name="API docs").click()
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() >= 10
    expect(page.locator(".opblock-summary-path").filter(has_text="/api/v1/uploads").first).to_be_visible()
    person.screenshot("api-docs")
    person.goto("/")
    page.get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    person.screenshot("admin")

    # On a phone, the same page.
    person.goto("/")
    page.set_viewport_size(PHONE)
    expect(page.locator("#file-rows tr")).to_have_count(1)
    person.screenshot("phone-files")

    # Signing out leads back to the welcome page.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in with Google")).to_be_visible()
    expect(page.get_by_text("You have signed out.")).to_be_visible()

    person.assert_no_complaints()


def test_older_files_come_a_page_at_a_time(person: Visit) -> None:
    page, site = person.page, person.site
    person.sign_in("hana@example.com", "1005")
    csrf = next(cookie.get("value", "") for cookie in person.context.cookies() if cookie.get("name") == "csrftoken")
    for number in range(PAGE_SIZE + 1):
        created = person.context.request.post(
            f"{site.url}/api/v1/files",
            headers={"X-CSRFToken": csrf},
            multipart={"file": {"name": f"file-{number:02}.txt", "mimeType": "text/plain", "buffer": b"a line\n"}},
        )
        assert created.status == 201, created.text()

    person.goto("/")
    rows = page.locator("#file-rows tr")
    expect(rows).to_have_count(PAGE_SIZE)
    expect(rows.first).to_contain_text(f"file-{PAGE_SIZE:02}.txt")
    page.get_by_role("button", name="Show older files").click()

    expect(rows).to_have_count(PAGE_SIZE + 1)
    expect(rows.last).to_contain_text("file-00.txt")
    expect(page.get_by_role("button", name="Show older files")).to_be_hidden()
    person.assert_no_complaints()
