"""Uploads the server refuses, and the way round a direct path that is not there, in a real browser."""

from playwright.sync_api import expect

from tests.support.flags import repo_flags, served_flags_edit, with_flag
from tests.web.conftest import QUOTA_BYTES, Visit


def _user_id(person: Visit) -> str:
    """Asked of the API with the page's own session."""
    me = person.context.request.get(f"{person.site.url}/api/v1/me")
    assert me.ok, me.text()
    return me.json()["id"]


def test_a_file_over_the_quota_shows_the_quota_message_and_nothing_is_stored(person: Visit) -> None:
    page = person.page
    person.sign_in("erin@example.com", "1002")
    person.expected_statuses.update({413, 422})
    long_name = "n" * 1100 + ".txt"

    page.get_by_label("Choose files to upload").set_input_files(
        files=[
            {"name": "big.txt", "mimeType": "text/plain", "buffer": b"x" * (QUOTA_BYTES + 1)},
            {"name": long_name, "mimeType": "text/plain", "buffer": b"a name too long\n"},
        ]
    )

    items = page.get_by_role("list", name="Uploads").get_by_role("listitem")
    expect(items).to_have_count(2)
    for item in items.all():
        expect(item).to_contain_text("Not uploaded")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(
        "big.txt was not uploaded. Not enough room: this file would take you over your quota."
    )
    # A refusal by the API's validation says what was wrong, not where to look for it.
    expect(alert).to_contain_text(
        f"{long_name} was not uploaded. Something in the request is not valid."
        " String should have at most 1024 characters."
    )
    expect(alert).to_contain_text(f"storage quota of {QUOTA_BYTES} bytes")
    expect(page.get_by_text("No files yet.")).to_be_visible()
    person.screenshot("files-over-quota")
    quota = person.context.request.get(f"{person.site.url}/api/v1/me").json()["quota"]
    assert (quota["bytes_used"], quota["files_used"]) == (0, 0)
    assert person.site.stored_keys(f"uploads/{_user_id(person)}/") == []
    person.assert_no_complaints()


def test_upload_falls_back_to_post_files_when_direct_uploads_are_off_for_the_user(person: Visit) -> None:
    page, site = person.page, person.site
    assert site.flag_file is not None
    person.sign_in("frank@example.com", "1003")
    # The `direct-uploads` flag off for everyone but staff: the API answers 403
    # direct_uploads_disabled, and the page sends the file to POST /api/v1/files.
    nobody_but_staff = {"if": [{"$ref": "is-staff"}, "on", {"fractional": [["on", 0], ["off", 100]]}]}
    served_flags_edit(site.app, site.flag_file, with_flag(repo_flags(), "direct-uploads", targeting=nobody_but_staff))
    person.expected_statuses.add(403)
    posted: list[str] = []
    page.on("request", lambda request: posted.append(request.url) if request.method == "POST" else None)
    try:
        page.get_by_label("Choose files to upload").set_input_files(
            files=[{"name": "readme.md", "mimeType": "text/markdown", "buffer": b"# Hello\n\nFrom the fallback.\n"}]
        )

        item = page.get_by_role("list", name="Uploads").get_by_role("listitem")
        expect(item).to_contain_text("Uploaded")
        expect(item.get_by_role("progressbar")).to_have_js_property("value", 100)
        expect(page.locator("#file-rows tr")).to_contain_text("readme.md")
    finally:
        served_flags_edit(site.app, site.flag_file, repo_flags())
    assert posted == [f"{site.url}/api/v1/uploads", f"{site.url}/api/v1/files"]
    stored = site.stored_keys(f"uploads/{_user_id(person)}/")
    assert len(stored) == 1
    person.assert_no_complaints()
