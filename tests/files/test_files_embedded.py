"""The file lifecycle in embedded mode (local files, the app's own signed URLs)."""

import base64
import hashlib
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from app.core.problems import ProblemCode
from tests.support.api import PNG_1X1, body_of, signed_put

pytestmark = pytest.mark.django_db


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_small_upload_lists_downloads_and_deletes(alice_api: Client) -> None:
    upload = SimpleUploadedFile("pixel.png", PNG_1X1, content_type="image/png")
    created = alice_api.post("/api/v1/files", {"file": upload})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "ready"
    assert body["content_type"] == "image/png"
    assert body["size"] == len(PNG_1X1)
    assert body["checksum_md5"] == md5_b64(PNG_1X1)

    listing = alice_api.get("/api/v1/files").json()
    assert [item["id"] for item in listing["items"]] == [body["id"]]

    download = alice_api.get(f"/api/v1/files/{body['id']}/download")
    assert download.status_code == 302
    assert download.headers["Content-Disposition"] == 'attachment; filename="pixel.png"'
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    served = Client().get(_path(download.headers["Location"]))
    assert served.status_code == 200
    assert body_of(served) == PNG_1X1
    assert served.headers["Content-Disposition"] == 'attachment; filename="pixel.png"'
    assert served.headers["X-Content-Type-Options"] == "nosniff"

    assert alice_api.delete(f"/api/v1/files/{body['id']}").status_code == 204
    assert alice_api.get(f"/api/v1/files/{body['id']}").status_code == 404
    assert Client().get(_path(download.headers["Location"])).status_code == 404


def test_direct_upload_put_then_complete_makes_file_ready(alice_api: Client) -> None:
    content = b"hello, direct upload\n"
    started = alice_api.post(
        "/api/v1/uploads",
        {
            "filename": "notes.txt",
            "size": len(content),
            "content_type": "text/plain",
            "checksum": md5_b64(content),
        },
        content_type="application/json",
    )
    assert started.status_code == 201, started.content
    start = started.json()
    assert start["method"] == "PUT"
    put = signed_put(start["upload_url"], content, headers=start["headers"])
    assert put.status_code == 200, put.content
    completed = alice_api.post(f"/api/v1/uploads/{start['id']}/complete")
    assert completed.status_code == 200, completed.content
    assert completed.json()["status"] == "ready"
    # Completing again is harmless.
    assert alice_api.post(f"/api/v1/uploads/{start['id']}/complete").json()["status"] == "ready"


def test_upload_complete_rejects_checksum_mismatch_and_removes_the_object(
    alice_api: Client,
) -> None:
    declared = b"the bytes the client meant\n"
    sent = b"the bytes that arrived....\n"
    assert len(declared) == len(sent)
    start = alice_api.post(
        "/api/v1/uploads",
        {"filename": "a.txt", "size": len(declared), "content_type": "text/plain"},
        content_type="application/json",
    ).json()
    signed_put(start["upload_url"], sent, headers={"Content-Type": "text/plain"})
    # Without a declared checksum the bytes are accepted; with one they are checked.
    assert alice_api.post(f"/api/v1/uploads/{start['id']}/complete").status_code == 200

    start = alice_api.post(
        "/api/v1/uploads",
        {
            "filename": "b.txt",
            "size": len(declared),
            "content_type": "text/plain",
            "checksum": md5_b64(declared),
        },
        content_type="application/json",
    ).json()
    put = signed_put(
        start["upload_url"], sent, headers={"Content-Type": "text/plain", "Content-MD5": md5_b64(declared)}
    )
    assert put.status_code == 200
    completed = alice_api.post(f"/api/v1/uploads/{start['id']}/complete")
    assert completed.status_code == 422
    assert completed.headers["Content-Type"] == "application/problem+json"
    assert completed.json()["code"] == ProblemCode.CHECKSUM_MISMATCH
    assert alice_api.get(f"/api/v1/files/{start['id']}").status_code == 404
