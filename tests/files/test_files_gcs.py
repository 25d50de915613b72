"""The file lifecycle on GCS: the real client library against the emulator on loopback,
with URLs signed by a generated key."""

import base64
import hashlib
import os
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django import Settings

from app.core.problems import ProblemCode
from app.integrations import gcs
from tests.support.api import PNG_1X1
from tests.support.gcs import TEST_BUCKET

pytestmark = pytest.mark.django_db

TEN_MIB = 10 * 1024 * 1024


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


@pytest.fixture(autouse=True)
def on_gcs(gcs_storage: str) -> None:
    """Every test here runs against the emulator's bucket."""


def _object(key: str) -> bytes | None:
    blob = gcs.client().bucket(TEST_BUCKET).get_blob(key)
    return None if blob is None else blob.download_as_bytes()


def _key(file_id: str) -> str:
    from app.files.models import File

    return File.objects.get(id=file_id).storage_key


def _text(size: int) -> bytes:
    line = b"0123456789abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ\n"
    return (line * (size // len(line) + 1))[:size]


def test_small_upload_lands_in_the_bucket_with_attachment_metadata(alice_api: Client) -> None:
    created = alice_api.post("/api/v1/files", {"file": SimpleUploadedFile("dot.png", PNG_1X1, "image/png")})
    assert created.status_code == 201, created.content
    key = _key(created.json()["id"])
    assert _object(key) == PNG_1X1
    blob = gcs.client().bucket(TEST_BUCKET).get_blob(key)
    assert blob is not None
    assert blob.content_type == "image/png"
    assert blob.content_disposition == 'attachment; filename="dot.png"'


def test_download_redirects_to_a_v4_signed_url_that_serves_the_bytes(alice_api: Client) -> None:
    file_id = alice_api.post("/api/v1/files", {"file": SimpleUploadedFile("dot.png", PNG_1X1, "image/png")}).json()[
        "id"
    ]
    download = alice_api.get(f"/api/v1/files/{file_id}/download")
    assert download.status_code == 302
    location = download.headers["Location"]
    query = parse_qs(urlsplit(location).query)
    assert query["X-Goog-Algorithm"] == ["GOOG4-RSA-SHA256"]
    assert int(query["X-Goog-Expires"][0]) <= 300
    assert "attachment" in query["response-content-disposition"][0]
    assert location.startswith(os.environ["STORAGE_EMULATOR_HOST"])
    assert httpx.get(location).content == PNG_1X1


def test_direct_upload_through_a_signed_put_url_completes(alice_api: Client) -> None:
    content = _text(10_000)
    start = alice_api.post(
        "/api/v1/uploads",
        {
            "filename": "big.txt",
            "size": len(content),
            "content_type": "text/plain",
            "checksum": md5_b64(content),
        },
        content_type="application/json",
    ).json()
    signed_headers = parse_qs(urlsplit(start["upload_url"]).query)["X-Goog-SignedHeaders"][0].split(";")
    assert {"content-type", "content-md5", "x-goog-content-length-range"} <= set(signed_headers)
    put = httpx.put(start["upload_url"], content=content, headers=start["headers"])
    assert put.status_code == 200, put.text
    completed = alice_api.post(f"/api/v1/uploads/{start['id']}/complete")
    assert completed.status_code == 200, completed.content
    assert _object(_key(start["id"])) == content


def test_ten_mib_resumable_upload_completes(alice_api: Client) -> None:
    content = _text(TEN_MIB)
    start = alice_api.post(
        "/api/v1/uploads",
        {
            "filename": "ten.txt",
            "size": len(content),
            "content_type": "text/plain",
            "checksum": md5_b64(content),
            "resumable": True,
        },
        content_type="application/json",
    ).json()
    assert start["resumable"] is True
    chunk = 4 * 1024 * 1024  # a multiple of 256 KiB, as GCS requires
    for offset in range(0, len(content), chunk):
        part = content[offset : offset + chunk]
        end = offset + len(part) - 1
        response = httpx.put(
            start["upload_url"],
            content=part,
            headers={"Content-Range": f"bytes {offset}-{end}/{len(content)}"},
            timeout=30,
        )
        assert response.status_code in (200, 201, 308), response.text
    completed = alice_api.post(f"/api/v1/uploads/{start['id']}/complete")
    assert completed.status_code == 200, completed.content
    assert completed.json()["checksum_md5"] == md5_b64(content)


def test_resumable_session_is_handed_out_on_the_public_endpoint(alice_api: Client, settings: Settings) -> None:
    # The emulator answers on any of its names; "localhost" stands for the address clients use.
    emulator = urlsplit(os.environ["STORAGE_EMULATOR_HOST"])
    settings.GCS_PUBLIC_ENDPOINT = f"http://localhost:{emulator.port}"
    content = _text(1000)
    start = alice_api.post(
        "/api/v1/uploads",
        {"filename": "r.txt", "size": len(content), "content_type": "text/plain", "resumable": True},
        content_type="application/json",
    ).json()
    assert start["upload_url"].startswith(f"http://localhost:{emulator.port}/upload/")
    assert httpx.put(start["upload_url"], content=content, timeout=30).status_code in (200, 201)
    assert alice_api.post(f"/api/v1/uploads/{start['id']}/complete").status_code == 200


def test_public_origin_puts_the_endpoint_and_its_path_in_front() -> None:
    session = "http://gcs:9023/upload/storage/v1/b/files/o?uploadType=resumable&upload_id=abc"
    assert gcs.public_origin(session, "http://localhost:8080/storage/") == (
        "http://localhost:8080/storage/upload/storage/v1/b/files/o?uploadType=resumable&upload_id=abc"
    )


def test_upload_complete_rejects_checksum_mismatch_and_deletes_the_object(
    alice_api: Client,
) -> None:
    declared, sent = _text(5000), _text(5000)[::-1]
    start = alice_api.post(
        "/api/v1/uploads",
        {
            "filename": "x.txt",
            "size": len(declared),
            "content_type": "text/plain",
            "checksum": md5_b64(declared),
        },
        content_type="application/json",
    ).json()
    # The emulator, unlike GCS, does not enforce Content-MD5: completion must catch it.
    assert httpx.put(start["upload_url"], content=sent, headers=start["headers"]).status_code == 200
    key = _key(start["id"])
    assert _object(key) == sent
    completed = alice_api.post(f"/api/v1/uploads/{start['id']}/complete")
    assert completed.status_code == 422
    assert completed.json()["code"] == ProblemCode.CHECKSUM_MISMATCH
    assert _object(key) is None


def test_delete_removes_the_object_from_the_bucket(alice_api: Client) -> None:
    file_id = alice_api.post("/api/v1/files", {"file": SimpleUploadedFile("dot.png", PNG_1X1, "image/png")}).json()[
        "id"
    ]
    key = _key(file_id)
    assert alice_api.delete(f"/api/v1/files/{file_id}").status_code == 204
    assert _object(key) is None


def test_readyz_checks_the_bucket(client: Client) -> None:
    assert client.get("/readyz").status_code == 200


def test_cleanup_removes_orphan_objects_from_the_bucket_and_keeps_files(
    alice_api: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.files import cleanup

    file_id = alice_api.post("/api/v1/files", {"file": SimpleUploadedFile("dot.png", PNG_1X1, "image/png")}).json()[
        "id"
    ]
    gcs.client().bucket(TEST_BUCKET).blob("uploads/nobody/orphan").upload_from_string(b"left behind")
    monkeypatch.setattr(cleanup, "ORPHAN_GRACE", timedelta(0))

    report = cleanup.cleanup_run()

    # The emulator outlives each test's database, so earlier tests' objects are orphans too.
    assert report.orphan_objects >= 1
    assert _object("uploads/nobody/orphan") is None
    assert _object(_key(file_id)) == PNG_1X1
