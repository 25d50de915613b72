"""Every route the app serves, asked anonymously or by a signed-in user, never answers 5xx.

Password reset and email management are off (staff passwords come from `app
createstaff`, and nothing here sends mail): their routes answer 404.
"""

import re
import uuid
from collections.abc import Iterable, Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from pytest_django import Settings

import app.config.settings as configured
from app.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def configured_mail(settings: Settings) -> None:
    """The mailers the app runs with (the test runner swaps in an in-memory outbox): none, so sending fails."""
    settings.MAILERS = configured.MAILERS


# A value for each kind of path parameter.
_SAMPLES = {"int": "1", "uuid": str(uuid.uuid4()), "path": "x/y", "slug": "x", "str": "x"}
_ROUTE_PARAMETER = re.compile(r"<(?:(\w+):)?\w+>")
_REGEX_GROUP = re.compile(r"\(\?P<\w+>[^)]*\)")
# What forms ask for, filled in plausibly, so that a form gets past its validation.
_FORM = {"email": "alice@example.com", "login": "alice@example.com", "password": "not it", "action_add": ""}
MAIL_ROUTES = [
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/password/reset/key/done/",
    "/accounts/password/reset/key/1-set-password/",
    "/accounts/email/",
    "/accounts/confirm-email/",
    "/accounts/confirm-email/some-key/",
    "/accounts/password/set/",
]


def _example_path(pattern: str) -> str:
    """A path that matches a route (`<int:id>`) or a regex (`(?P<key>.+)`) pattern, roughly."""
    path = _ROUTE_PARAMETER.sub(lambda match: _SAMPLES.get(match[1] or "str", "x"), pattern)
    return _REGEX_GROUP.sub("1", path).lstrip("^").rstrip("$").replace("\\", "")


def _paths(patterns: Iterable[object], prefix: str = "/") -> Iterator[str]:
    for entry in patterns:
        assert isinstance(entry, URLPattern | URLResolver)
        here = prefix + _example_path(str(entry.pattern))
        if isinstance(entry, URLResolver):
            yield from _paths(entry.url_patterns, here)
        else:
            yield here


def test_routes_that_would_send_mail_are_off(alice: User) -> None:
    signed_in = Client()
    signed_in.force_login(alice)
    for client in (Client(), signed_in):
        for path in MAIL_ROUTES:
            assert client.get(path).status_code == 404, path
            assert client.post(path, _FORM).status_code == 404, path


def test_no_route_answers_5xx(alice: User) -> None:
    signed_in = Client()
    signed_in.force_login(alice)
    paths = sorted(set(_paths(get_resolver().url_patterns)))
    assert len(paths) > 50
    for path in paths:
        for client in (Client(), signed_in):
            for response in (client.get(path), client.post(path, _FORM)):
                assert response.status_code < 500, (path, response.status_code)
