"""Nobody reaches another user's files: every route answers 404, and nothing changes."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from app.core.problems import ProblemCode
from app.files.models import File

pytestmark = pytest.mark.django_db


def test_other_users_file_is_404_on_every_route(alice_api: Client, bob_api: Client) -> None:
    ready = alice_api.post("/api/v1/files", {"file": SimpleUploadedFile("a.txt", b"alice's\n")}).json()
    pending = alice_api.post(
        "/api/v1/uploads",
        {"filename": "p.txt", "size": 5, "content_type": "text/plain"},
        content_type="application/json",
    ).json()

    for file_id in (ready["id"], pending["id"]):
        responses = [
            bob_api.get(f"/api/v1/files/{file_id}"),
            bob_api.get(f"/api/v1/files/{file_id}/download"),
            bob_api.delete(f"/api/v1/files/{file_id}"),
            bob_api.post(f"/api/v1/uploads/{file_id}/complete"),
        ]
        for response in responses:
            assert response.status_code == 404, (response.request, response.content)
            assert response.json()["code"] == ProblemCode.NOT_FOUND
    assert bob_api.get("/api/v1/files").json()["items"] == []
    assert File.objects.filter(id__in=[ready["id"], pending["id"]]).count() == 2
    assert alice_api.get(f"/api/v1/files/{ready['id']}").status_code == 200


def test_me_reports_only_own_quota(alice_api: Client, bob_api: Client) -> None:
    alice_api.post("/api/v1/files", {"file": SimpleUploadedFile("a.txt", b"12345\n")})
    assert alice_api.get("/api/v1/me").json()["quota"]["bytes_used"] == 6
    assert bob_api.get("/api/v1/me").json()["quota"]["bytes_used"] == 0


def test_pagination_walks_all_files_newest_first(alice_api: Client) -> None:
    ids = [
        alice_api.post("/api/v1/files", {"file": SimpleUploadedFile(f"{n}.txt", f"file {n}\n".encode())}).json()["id"]
        for n in range(5)
    ]
    seen: list[str] = []
    cursor = None
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = alice_api.get(f"/api/v1/files{query}").json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
