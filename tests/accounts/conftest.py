"""Fixtures for sign-in and access control: a fake Google, users, browser sessions."""

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings as django_settings
from django.http import HttpResponse
from django.test import Client
from django.utils.crypto import get_random_string
from pytest_django.fixtures import Settings

from tests.support.fake_google import CLIENT_ID, CLIENT_SECRET, FakeGoogle, fake_google_running

LOGIN_PATH = "/accounts/google/login/"
CALLBACK_PATH = "/accounts/google/login/callback/"


@pytest.fixture
def google(settings: Settings) -> Iterator[FakeGoogle]:
    """Google sign-in configured for a test client, its endpoints answered on loopback."""
    with fake_google_running() as fake:
        settings.GOOGLE_OAUTH_ENDPOINTS = fake.endpoints
        settings.GOOGLE_OAUTH_CLIENT_ID = CLIENT_ID
        settings.GOOGLE_OAUTH_CLIENT_SECRET = CLIENT_SECRET
        providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
        providers["google"]["APPS"] = [{"client_id": CLIENT_ID, "secret": CLIENT_SECRET, "key": ""}]
        settings.SOCIALACCOUNT_PROVIDERS = providers
        yield fake


def browser() -> Client:
    """A test browser that, like a real one, must send the CSRF token."""
    return Client(enforce_csrf_checks=True)


def csrf_token(client: Client) -> str:
    """The browser's CSRF cookie (as any page with a form would have set it)."""
    if django_settings.CSRF_COOKIE_NAME not in client.cookies:
        client.cookies[django_settings.CSRF_COOKIE_NAME] = get_random_string(32)
    return client.cookies[django_settings.CSRF_COOKIE_NAME].value


@dataclass(frozen=True)
class Started:
    """The app's redirect to Google's authorize page, taken apart."""

    location: str
    query: dict[str, str]

    @property
    def state(self) -> str:
        return self.query["state"]


def sign_in_start(client: Client, **form: str) -> Started:
    """Press "Continue with Google": a POST (with CSRF) that redirects to Google."""
    response = client.post(LOGIN_PATH, {"csrfmiddlewaretoken": csrf_token(client), **form})
    assert response.status_code == 302, response.content
    location = response.headers["Location"]
    query = {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}
    return Started(location=location, query=query)


def callback(client: Client, *, code: str, state: str) -> HttpResponse:
    """Google sends the browser back to the app with the code and the state."""
    return client.get(CALLBACK_PATH, {"code": code, "state": state})


def google_sign_in(client: Client, google: FakeGoogle, **authorize: Any) -> HttpResponse:
    """The whole flow; `authorize` shapes the ID token (claims=, key=, kid=)."""
    started = sign_in_start(client)
    code = google.authorize(started.location, **authorize)
    return callback(client, code=code, state=started.state)


def signed_in_email(client: Client) -> str | None:
    """Whom the browser session belongs to, asked of the API itself."""
    response = client.get("/api/v1/me")
    if response.status_code == 401:
        return None
    assert response.status_code == 200, response.content
    return response.json()["email"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Settings) -> None:
    """Hashing with production's work factor costs half a second a password."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
