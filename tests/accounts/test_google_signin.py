"""Google sign-in through allauth's real code, Google answered by a local fake."""

import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.test import Client
from pytest_django.fixtures import Settings

from app.accounts.adapters import EMAIL_IN_USE, UNVERIFIED_EMAIL
from app.accounts.models import User
from tests.accounts.conftest import (
    CALLBACK_PATH,
    LOGIN_PATH,
    browser,
    callback,
    csrf_token,
    google_sign_in,
    sign_in_start,
    signed_in_email,
)
from tests.support.fake_google import CLIENT_ID, KID, FakeGoogle, signing_key

pytestmark = pytest.mark.django_db

SUB = "108000000000000000042"


def test_google_sign_in_runs_the_pkce_code_flow_and_signs_the_user_in(google: FakeGoogle) -> None:
    client = browser()
    started = sign_in_start(client)

    # The redirect to Google: our client, our callback, a state, and PKCE (S256).
    assert started.location.startswith(google.endpoints["authorize"] + "?")
    assert started.query["client_id"] == CLIENT_ID
    assert started.query["redirect_uri"] == f"http://testserver{CALLBACK_PATH}"
    assert started.query["response_type"] == "code"
    assert len(started.query["state"]) >= 12
    assert started.query["code_challenge_method"] == "S256"
    assert len(started.query["code_challenge"]) == 43
    assert {"openid", "email", "profile"} <= set(started.query["scope"].split())

    code = google.authorize(started.location, claims={"sub": SUB, "email": "Carol@Example.com", "given_name": "Carol"})
    response = callback(client, code=code, state=started.state)

    assert response.status_code == 302, response.content
    assert response.headers["Location"] == settings.LOGIN_REDIRECT_URL
    # The fake checked the code, redirect URI, client secret and PKCE verifier.
    assert google.refusals == []
    [exchange] = google.token_requests
    assert exchange["code"] == code
    assert exchange["code_verifier"]
    assert google.certs_requests == 1, "the ID token's signature is checked against Google's keys"

    assert signed_in_email(client) == "carol@example.com"
    user = User.objects.get(socialaccount__provider="google", socialaccount__uid=SUB)
    assert user.first_name == "Carol"
    assert not user.has_usable_password()
    assert not user.is_staff
    assert EmailAddress.objects.get(user=user).verified


def test_google_sign_in_again_reaches_the_same_account(google: FakeGoogle) -> None:
    first = google_sign_in(browser(), google, claims={"sub": SUB, "email": "dan@example.com"})
    assert first.status_code == 302
    client = browser()
    again = google_sign_in(client, google, claims={"sub": SUB, "email": "dan@example.com"})
    assert again.status_code == 302, again.content
    assert signed_in_email(client) == "dan@example.com"
    assert User.objects.count() == 1
    assert SocialAccount.objects.filter(uid=SUB).count() == 1


def test_google_login_on_get_shows_a_confirmation_page_without_redirecting(
    google: FakeGoogle,
) -> None:
    response = browser().get(LOGIN_PATH)
    assert response.status_code == 200
    assert "Location" not in response.headers
    assert google.endpoints["authorize"] not in response.content.decode()
    assert b'method="post"' in response.content


def test_google_login_post_without_csrf_token_does_not_start(google: FakeGoogle) -> None:
    client = browser()
    csrf_token(client)
    response = client.post(LOGIN_PATH)
    assert response.status_code == 403
    assert "Location" not in response.headers


def test_google_callback_refuses_state_mismatch(google: FakeGoogle) -> None:
    client = browser()
    started = sign_in_start(client)
    code = google.authorize(started.location)
    response = callback(client, code=code, state="not-the-state-we-sent")
    assert response.status_code == 401
    assert google.token_requests == [], "no code is exchanged without the right state"
    assert signed_in_email(client) is None


def test_google_callback_refuses_a_flow_started_in_another_browser(google: FakeGoogle) -> None:
    # Login CSRF: an attacker starts sign-in with their own Google account and
    # sends the victim the callback link; the victim's session has no such state.
    attacker = browser()
    started = sign_in_start(attacker)
    code = google.authorize(started.location, claims={"email": "mallory@example.com"})
    victim = browser()
    csrf_token(victim)
    response = callback(victim, code=code, state=started.state)
    assert response.status_code == 401
    assert google.token_requests == []
    assert signed_in_email(victim) is None


def test_google_callback_refuses_a_replayed_state(google: FakeGoogle) -> None:
    client = browser()
    started = sign_in_start(client)
    assert callback(client, code=google.authorize(started.location), state=started.state).status_code == 302
    client.post("/accounts/logout/", {"csrfmiddlewaretoken": csrf_token(client)})
    assert signed_in_email(client) is None
    replay = callback(client, code=google.authorize(started.location), state=started.state)
    assert replay.status_code == 401
    assert signed_in_email(client) is None


@pytest.mark.parametrize("email_verified", [False, None, "true", "false", 1])
def test_google_callback_refuses_unverified_email(google: FakeGoogle, email_verified: object) -> None:
    # Only the boolean `true` Google puts in the ID token counts as verified.
    claims: dict[str, Any] = {"sub": SUB, "email": "erin@example.com", "email_verified": email_verified}
    client = browser()
    response = google_sign_in(client, google, claims=claims)
    assert response.status_code == 403
    assert response.content.decode() == UNVERIFIED_EMAIL
    assert signed_in_email(client) is None
    assert not User.objects.exists()
    assert not SocialAccount.objects.exists()


def test_google_callback_refuses_an_id_token_without_email(google: FakeGoogle) -> None:
    client = browser()
    response = google_sign_in(client, google, claims={"email": None, "email_verified": None})
    assert response.status_code == 403
    assert signed_in_email(client) is None
    assert not User.objects.exists()


@pytest.mark.parametrize("local_email_verified", [False, True])
def test_google_sign_in_never_takes_over_an_account_with_the_same_email(
    google: FakeGoogle, make_user: Callable[..., User], local_email_verified: bool
) -> None:
    # Someone made a local account with this address (verified or not); a new
    # Google identity with the same address must neither enter nor join it.
    owner = make_user("frank@example.com", password="an owner's password 1")
    EmailAddress.objects.create(user=owner, email="frank@example.com", verified=local_email_verified, primary=True)
    client = browser()
    response = google_sign_in(client, google, claims={"sub": SUB, "email": "Frank@example.com", "email_verified": True})
    assert response.status_code == 403
    assert response.content.decode() == EMAIL_IN_USE
    assert signed_in_email(client) is None
    assert not SocialAccount.objects.exists()
    assert User.objects.count() == 1
    owner.refresh_from_db()
    assert owner.check_password("an owner's password 1")
    # Nor is the user sent on to a signup form to pick some other address.
    assert "socialaccount_sociallogin" not in client.session
    assert client.get("/accounts/3rdparty/signup/").status_code != 200


def test_signed_in_user_may_connect_their_google_account_explicitly(
    google: FakeGoogle, make_user: Callable[..., User]
) -> None:
    # What the takeover refusal points to: sign in to the account, then connect.
    owner = make_user("frank@example.com")
    client = browser()
    client.force_login(owner)
    started = sign_in_start(client, process="connect")
    code = google.authorize(started.location, claims={"sub": SUB, "email": "frank@example.com"})
    response = callback(client, code=code, state=started.state)
    assert response.status_code == 302, response.content
    assert SocialAccount.objects.get(uid=SUB).user == owner
    # From now on Google signs in to that account.
    again = browser()
    assert google_sign_in(again, google, claims={"sub": SUB, "email": "frank@example.com"}).status_code == 302
    assert signed_in_email(again) == "frank@example.com"


def test_google_sign_in_refuses_when_signup_is_closed(google: FakeGoogle, settings: Settings) -> None:
    settings.GOOGLE_OAUTH_CLIENT_ID = None
    client = browser()
    response = google_sign_in(client, google, claims={"sub": SUB, "email": "gina@example.com"})
    assert signed_in_email(client) is None
    assert response.status_code == 200
    assert not User.objects.exists()


def _other_key_signed() -> dict[str, Any]:
    return {"key": signing_key("attacker")}


@pytest.mark.parametrize(
    "tampering",
    [
        pytest.param(_other_key_signed, id="signed-by-another-key"),
        pytest.param(lambda: {"kid": "unknown-kid"}, id="unknown-kid"),
        pytest.param(lambda: {"claims": {"aud": "someone-else.apps.googleusercontent.com"}}, id="wrong-audience"),
        pytest.param(lambda: {"claims": {"iss": "https://evil.example"}}, id="wrong-issuer"),
        pytest.param(
            lambda: {"claims": {"iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600}},
            id="expired",
        ),
    ],
)
def test_google_callback_refuses_an_id_token_that_does_not_verify(
    google: FakeGoogle, tampering: Callable[[], dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    client = browser()
    response = google_sign_in(client, google, **tampering())
    assert response.status_code == 401
    [failure] = [record for record in caplog.records if record.getMessage() == "social sign-in failed"]
    assert failure.__dict__["exception"] == "OAuth2Error"
    assert google.refusals == [], "the token exchange itself succeeded"
    assert signed_in_email(client) is None
    assert not User.objects.exists()


def test_google_callback_refuses_a_code_google_does_not_know(google: FakeGoogle) -> None:
    client = browser()
    started = sign_in_start(client)
    google.authorize(started.location)
    response = callback(client, code="4/forged", state=started.state)
    assert response.status_code == 401
    assert google.refusals == ["unknown or used code"]
    assert signed_in_email(client) is None


def test_google_token_sign_in_is_disabled(google: FakeGoogle) -> None:
    # One Tap posts a bare ID token: no state, no PKCE. Even a valid one is refused.
    now = int(time.time())
    id_token = jwt.encode(
        {
            "iss": google.issuer,
            "aud": CLIENT_ID,
            "sub": SUB,
            "email": "hal@example.com",
            "email_verified": True,
            "iat": now,
            "exp": now + 600,
        },
        signing_key(),
        algorithm="RS256",
        headers={"kid": KID},
    )
    client = Client()
    client.cookies["g_csrf_token"] = "double-submit"
    response = client.post("/accounts/google/login/token/", {"credential": id_token, "g_csrf_token": "double-submit"})
    assert response.status_code == 401
    assert signed_in_email(client) is None
    assert not User.objects.exists()


@pytest.mark.parametrize("path", [LOGIN_PATH, CALLBACK_PATH, "/accounts/google/login/token/"])
def test_google_sign_in_is_not_there_without_credentials(path: str) -> None:
    # Embedded mode without GOOGLE_OAUTH_CLIENT_ID: a 404, not a 500.
    assert settings.SOCIALACCOUNT_PROVIDERS["google"]["APPS"] == []
    client = browser()
    assert client.get(path).status_code == 404
    assert client.post(path, {"csrfmiddlewaretoken": csrf_token(client)}).status_code == 404
