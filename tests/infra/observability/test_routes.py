"""Route templates name spans and label metrics; paths holding a signed token are never logged."""

import pytest
from django.http import HttpRequest
from django.test import RequestFactory
from django.urls import resolve

from app.core.telemetry import loggable_path, route_template

FILE_ID = "6b1c1b0e-8a43-4f2b-9a57-5c8a7b5b1a11"


def _resolved(path: str) -> HttpRequest:
    request = RequestFactory().get(path)
    request.resolver_match = resolve(path)
    return request


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/api/v1/files", "/api/v1/files"),
        (f"/api/v1/files/{FILE_ID}/download", "/api/v1/files/{file_id}/download"),
        (f"/api/v1/uploads/{FILE_ID}/complete", "/api/v1/uploads/{file_id}/complete"),
        ("/healthz", "/healthz"),
        ("/files/local/download/eyJrIjoi:1u2:abc", "/files/local/download/{token}"),
    ],
)
def test_route_template_replaces_parameters(path: str, template: str) -> None:
    assert route_template(_resolved(path)) == template


def test_route_template_is_none_before_resolution() -> None:
    assert route_template(RequestFactory().get("/api/v1/files")) is None


def test_loggable_path_hides_signed_tokens_but_keeps_ids() -> None:
    # Matched route or not: the upload route is answered in front of Django, a 404 matches nothing.
    assert loggable_path(RequestFactory().put("/files/local/upload/secret-token")) == "/files/local/upload/{token}"
    assert loggable_path(_resolved("/files/local/download/secret-token")) == "/files/local/download/{token}"
    assert loggable_path(RequestFactory().get("/files/local/download/secret/more/")) == "/files/local/download/{token}"
    assert loggable_path(_resolved(f"/api/v1/files/{FILE_ID}")) == f"/api/v1/files/{FILE_ID}"
    assert loggable_path(RequestFactory().get("/nowhere")) == "/nowhere"
