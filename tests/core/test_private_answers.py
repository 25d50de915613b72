"""Private answers carry `Cache-Control: no-store`: every API operation, signed, anonymous or refused."""

from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client

from app.accounts.models import User
from app.config.api import api
from tests.support.api import PNG_1X1

pytestmark = pytest.mark.django_db

type Operations = dict[tuple[str, str], Callable[[], HttpResponse]]


def _schema_operations() -> set[tuple[str, str]]:
    paths: dict[str, dict[str, object]] = api.get_openapi_schema()["paths"]
    return {(method.upper(), path) for path, item in paths.items() for method in item}


def _operations(client: Client) -> Operations:
    """One well-formed call of every operation, keyed as the schema names it."""
    uploaded = client.post("/api/v1/files", {"file": SimpleUploadedFile("p.png", PNG_1X1, "image/png")}).json()
    started = client.post(
        "/api/v1/uploads", {"filename": "a.txt", "size": 6, "content_type": "text/plain"}, "application/json"
    ).json()
    token = client.post("/api/v1/tokens", {"name": "spare"}, "application/json").json()
    file_path = f"/api/v1/files/{uploaded['id']}"
    return {
        ("GET", "/api/v1/me"): lambda: client.get("/api/v1/me"),
        ("POST", "/api/v1/tokens"): lambda: client.post("/api/v1/tokens", {"name": "x"}, "application/json"),
        ("GET", "/api/v1/tokens"): lambda: client.get("/api/v1/tokens"),
        ("DELETE", "/api/v1/tokens/{token_id}"): lambda: client.delete(f"/api/v1/tokens/{token['id']}"),
        ("POST", "/api/v1/files"): lambda: client.post(
            "/api/v1/files", {"file": SimpleUploadedFile("q.png", PNG_1X1, "image/png")}
        ),
        ("GET", "/api/v1/files"): lambda: client.get("/api/v1/files"),
        ("GET", "/api/v1/files/{file_id}"): lambda: client.get(file_path),
        ("GET", "/api/v1/files/{file_id}/download"): lambda: client.get(f"{file_path}/download"),
        ("POST", "/api/v1/uploads"): lambda: client.post(
            "/api/v1/uploads", {"filename": "b.txt", "size": 6, "content_type": "text/plain"}, "application/json"
        ),
        # Completion before the bytes arrived: a refusal, private all the same.
        ("POST", "/api/v1/uploads/{file_id}/complete"): lambda: client.post(
            f"/api/v1/uploads/{started['id']}/complete"
        ),
        ("DELETE", "/api/v1/files/{file_id}"): lambda: client.delete(file_path),
    }


def _is_no_store(response: HttpResponse) -> bool:
    return "no-store" in response.headers.get("Cache-Control", "")


@pytest.fixture
def session_client(alice: User) -> Client:
    client = Client()
    client.force_login(alice)
    return client


def test_every_operation_in_the_schema_answers_no_store(session_client: Client) -> None:
    operations = _operations(session_client)
    assert set(operations) == _schema_operations(), "an operation without a call here: add one"
    for (method, path), call in operations.items():
        response = call()
        assert response.status_code < 500, (method, path, response.content)
        assert _is_no_store(response), (method, path, response.headers)


def test_refused_and_anonymous_api_answers_are_no_store(alice_api: Client) -> None:
    for response in (
        Client().get("/api/v1/files"),
        alice_api.get("/api/v1/files/00000000-0000-0000-0000-000000000000"),
        alice_api.get("/api/v1/nope"),
    ):
        assert 400 <= response.status_code < 500
        assert _is_no_store(response), response.headers


def test_signed_download_answer_is_no_store(alice_api: Client) -> None:
    created = alice_api.post("/api/v1/files", {"file": SimpleUploadedFile("p.png", PNG_1X1, "image/png")}).json()
    location = urlsplit(alice_api.get(f"/api/v1/files/{created['id']}/download").headers["Location"])
    served = Client().get(f"{location.path}?{location.query}" if location.query else location.path)
    assert served.status_code == 200
    assert _is_no_store(served)


def test_pages_for_a_signed_in_visitor_are_no_store(session_client: Client) -> None:
    assert _is_no_store(session_client.get("/healthz"))
    assert not _is_no_store(Client().get("/healthz"))
