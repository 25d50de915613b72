"""Personal API tokens: made from a signed-in session, shown once, hashed, expiring, revocable."""

import hashlib
import io
import re
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from app.accounts.models import ApiToken, User
from app.config.api import api
from app.core.problems import ProblemCode
from tests.accounts.conftest import browser, csrf_token
from tests.support.api import generic

pytestmark = pytest.mark.django_db

TOKENS = "/api/v1/tokens"


def session_of(user: User) -> Client:
    """A signed-in browser that sends the CSRF token like the real page would."""
    client = browser()
    client.force_login(user)
    csrf_token(client)
    return client


def create_token(client: Client, **payload: object) -> dict[str, object]:
    response = client.post(
        TOKENS,
        {"name": "laptop", **payload},
        content_type="application/json",
        headers={"X-CSRFToken": csrf_token(client)},
    )
    assert response.status_code == 201, response.content
    return response.json()


def bearer(secret: object) -> Client:
    # Real API clients get no CSRF exemption either.
    return Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {secret}"})


def test_token_is_made_from_a_session_and_works_as_a_bearer_token(alice: User) -> None:
    created = create_token(session_of(alice))
    assert isinstance(created["token"], str)
    assert created["token"].startswith("oeb_")
    me = bearer(created["token"]).get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["email"] == "alice@example.com"


def test_token_create_needs_the_csrf_token(alice: User) -> None:
    client = session_of(alice)
    response = client.post(TOKENS, {"name": "laptop"}, content_type="application/json")
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_token_routes_refuse_bearer_tokens(alice: User, alice_api: Client) -> None:
    # A token cannot mint, list or revoke tokens: only the signed-in session can.
    [existing] = ApiToken.objects.filter(user=alice)
    assert alice_api.get(TOKENS).status_code == 401
    created = alice_api.post(TOKENS, {"name": "x"}, content_type="application/json")
    assert created.status_code == 401
    assert alice_api.delete(f"{TOKENS}/{existing.id}").status_code == 401
    assert ApiToken.objects.filter(user=alice).count() == 1


def test_token_is_shown_once_and_stored_only_as_a_hash(alice: User) -> None:
    client = session_of(alice)
    created = create_token(client)
    secret = created["token"]
    assert isinstance(secret, str)

    listing = client.get(TOKENS).json()
    assert [item["id"] for item in listing] == [created["id"]]
    assert "token" not in listing[0]
    assert secret not in client.get(TOKENS).content.decode()

    row = ApiToken.objects.get(id=created["id"])
    assert row.digest == hashlib.sha256(secret.encode()).hexdigest()
    stored = [str(value) for value in ApiToken.objects.filter(id=row.id).values().get().values()]
    assert not any(secret in value for value in stored)
    assert row.prefix == secret[: len(row.prefix)]
    assert len(row.prefix) < len(secret) // 3


def test_token_expires(alice: User, settings: object) -> None:
    client = session_of(alice)
    created = create_token(client, ttl_days=7)
    row = ApiToken.objects.get(id=created["id"])
    assert row.expires_at - row.created_at == timedelta(days=7)
    row.expires_at = timezone.now() - timedelta(seconds=1)
    row.save()
    refused = bearer(created["token"]).get("/api/v1/me")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert refused.headers["Content-Type"] == "application/problem+json"


def test_token_lifetime_is_bounded(alice: User) -> None:
    client = session_of(alice)
    default = create_token(client)
    row = ApiToken.objects.get(id=default["id"])
    assert row.expires_at - row.created_at == timedelta(days=30)
    too_long = client.post(
        TOKENS,
        {"name": "forever", "ttl_days": 366},
        content_type="application/json",
        headers={"X-CSRFToken": csrf_token(client)},
    )
    assert too_long.status_code == 422
    assert too_long.json()["code"] == ProblemCode.INVALID_TOKEN_TTL


def test_revoked_token_stops_working(alice: User) -> None:
    client = session_of(alice)
    created = create_token(client)
    headers = {"X-CSRFToken": csrf_token(client)}
    assert client.delete(f"{TOKENS}/{created['id']}", headers=headers).status_code == 204
    assert bearer(created["token"]).get("/api/v1/me").status_code == 401
    [listed] = client.get(TOKENS).json()
    assert listed["revoked_at"] is not None
    # Revoking again is harmless.
    assert client.delete(f"{TOKENS}/{created['id']}", headers=headers).status_code == 204


def test_revoke_needs_the_csrf_token(alice: User) -> None:
    client = session_of(alice)
    created = create_token(client)
    assert client.delete(f"{TOKENS}/{created['id']}").status_code == 403
    assert bearer(created["token"]).get("/api/v1/me").status_code == 200


def test_token_routes_answer_404_to_another_user(alice: User, bob: User) -> None:
    alices = create_token(session_of(alice))
    bobs_session = session_of(bob)
    headers = {"X-CSRFToken": csrf_token(bobs_session)}

    revoke = bobs_session.delete(f"{TOKENS}/{alices['id']}", headers=headers)
    assert revoke.status_code == 404
    assert revoke.headers["Content-Type"] == "application/problem+json"
    # Same answer as for a token that does not exist at all: nothing leaks.
    missing = bobs_session.delete(f"{TOKENS}/{uuid.uuid4()}", headers=headers)
    assert (missing.status_code, missing.json()["detail"]) == (404, revoke.json()["detail"])
    assert bobs_session.get(TOKENS).json() == []
    assert bearer(alices["token"]).get("/api/v1/me").json()["email"] == "alice@example.com"
    assert ApiToken.objects.get(id=alices["id"]).revoked_at is None


def _operations() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return [
        (method.upper(), re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path))
        for path, operations in schema["paths"].items()
        for method in operations
    ]


OPERATIONS = _operations()


def test_every_api_operation_is_covered() -> None:
    assert len(OPERATIONS) >= 10


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_every_api_route_takes_a_bearer_token_and_refuses_anonymous_callers(
    method: str, path: str, alice: User
) -> None:
    anonymous = generic(Client(enforce_csrf_checks=True), method, path)
    assert anonymous.status_code == 401, anonymous.content
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    assert anonymous.headers["Content-Type"] == "application/problem+json"

    revoked = create_token(session_of(alice))
    ApiToken.objects.filter(id=revoked["id"]).update(revoked_at=timezone.now())
    assert generic(bearer(revoked["token"]), method, path).status_code == 401
    assert generic(bearer("oeb_" + "x" * 43), method, path).status_code == 401

    valid = generic(bearer(create_token(session_of(alice))["token"]), method, path)
    if path.startswith(TOKENS):
        assert valid.status_code == 401, "token routes take the session only"
    else:
        assert valid.status_code != 401, valid.content


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p in OPERATIONS if m in {"POST", "PUT", "PATCH", "DELETE"}])
def test_every_unsafe_api_route_needs_csrf_with_a_session(method: str, path: str, alice: User) -> None:
    client = browser()
    client.force_login(alice)
    response = generic(client, method, path)
    assert response.status_code == 403, response.content
    with_token = generic(client, method, path, headers={"X-CSRFToken": csrf_token(client)})
    assert with_token.status_code not in {401, 403}, with_token.content


def test_issue_token_command_prints_a_working_token(alice: User) -> None:
    out = io.StringIO()
    call_command("issue_token", "Alice@Example.com", "--name", "ci", "--ttl-days", "2", stdout=out)
    secret = out.getvalue().strip()
    assert bearer(secret).get("/api/v1/me").json()["email"] == "alice@example.com"
    row = ApiToken.objects.get(user=alice)
    assert row.name == "ci"
    assert row.expires_at - row.created_at == timedelta(days=2)


def test_issue_token_command_refuses_an_unknown_user_unless_asked_to_create_it(db: None) -> None:
    with pytest.raises(CommandError, match="no user with email"):
        call_command("issue_token", "nobody@example.com", stdout=io.StringIO())
    out = io.StringIO()
    call_command("issue_token", "nobody@example.com", "--create-user", stdout=out)
    user = User.objects.get(email="nobody@example.com")
    assert not user.has_usable_password()
    assert bearer(out.getvalue().strip()).get("/api/v1/me").status_code == 200


def test_issue_token_command_refuses_too_long_a_lifetime(alice: User) -> None:
    with pytest.raises(CommandError, match="at most"):
        call_command("issue_token", "alice@example.com", "--ttl-days", "9999", stdout=io.StringIO())


@pytest.mark.parametrize(
    "name",
    ["   ", "work\u202elaptop", "lap\u200btop", "lap\u3164top", "\u2800", "tab\tname", "new\nline"],
)
def test_token_name_shown_in_lists_holds_nothing_hidden(alice: User, name: str) -> None:
    client = session_of(alice)
    response = client.post(
        TOKENS, {"name": name}, content_type="application/json", headers={"X-CSRFToken": csrf_token(client)}
    )
    assert response.status_code == 400, response.content
    assert response.json()["code"] == ProblemCode.INVALID_TOKEN_NAME
    assert not ApiToken.objects.filter(user=alice).exists()


def test_token_name_is_kept_trimmed_and_composed(alice: User) -> None:
    assert create_token(session_of(alice), name="  Cafe\u0301 laptop ")["name"] == "Caf\u00e9 laptop"
