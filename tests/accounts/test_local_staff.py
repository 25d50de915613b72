"""`app createstaff`: a local staff user who signs in with a password (embedded mode)."""

import io
from collections.abc import Callable

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from pytest_django.fixtures import Settings

from app.accounts.management.commands.createstaff import PASSWORD_VARIABLE
from app.accounts.models import User
from tests.accounts.conftest import browser, csrf_token

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple 42"


def password_sign_in(client: Client, email: str, password: str) -> int:
    response = client.post(
        "/accounts/login/",
        {"login": email, "password": password, "csrfmiddlewaretoken": csrf_token(client)},
    )
    return response.status_code


@pytest.fixture
def staff_password(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(PASSWORD_VARIABLE, PASSWORD)
    return PASSWORD


def test_createstaff_makes_a_staff_user_who_signs_in_with_a_password(staff_password: str) -> None:
    out = io.StringIO()
    call_command("createstaff", "Ops@Example.com", stdout=out, stderr=io.StringIO())
    assert "ops@example.com is ready" in out.getvalue()
    user = User.objects.get(email="ops@example.com")
    assert user.is_staff
    assert not user.is_superuser
    assert EmailAddress.objects.get(user=user).verified

    client = browser()
    assert client.get("/api/docs").status_code == 302
    assert password_sign_in(client, "ops@example.com", "not the password") == 200
    assert client.get("/api/docs").status_code == 302
    assert password_sign_in(client, "ops@example.com", staff_password) == 302
    assert client.get("/api/docs").status_code == 200
    assert client.get("/admin/").status_code == 200


def test_createstaff_again_updates_the_password_and_keeps_one_user(
    staff_password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    call_command("createstaff", "ops@example.com", stdout=io.StringIO(), stderr=io.StringIO())
    monkeypatch.setenv(PASSWORD_VARIABLE, "another fine password 43")
    call_command("createstaff", "ops@example.com", "--superuser", stdout=io.StringIO(), stderr=io.StringIO())
    user = User.objects.get()
    assert user.is_superuser
    assert user.check_password("another fine password 43")
    assert EmailAddress.objects.filter(user=user).count() == 1


@pytest.mark.parametrize("password", ["short", "password123", "12345678901"])
def test_createstaff_refuses_a_weak_password(monkeypatch: pytest.MonkeyPatch, password: str) -> None:
    monkeypatch.setenv(PASSWORD_VARIABLE, password)
    with pytest.raises(CommandError):
        call_command("createstaff", "ops@example.com", stdout=io.StringIO())
    assert not User.objects.exists()


def test_createstaff_refuses_something_that_is_not_an_email(staff_password: str) -> None:
    with pytest.raises(CommandError, match="not an email address"):
        call_command("createstaff", "ops", stdout=io.StringIO())


def test_createstaff_without_password_promotes_an_existing_google_user(
    make_user: Callable[..., User],
) -> None:
    with pytest.raises(CommandError, match="sign in with Google first"):
        call_command("createstaff", "ivy@example.com", "--no-password", stdout=io.StringIO())
    make_user("ivy@example.com")
    call_command("createstaff", "ivy@example.com", "--no-password", stdout=io.StringIO())
    user = User.objects.get(email="ivy@example.com")
    assert user.is_staff
    assert not user.has_usable_password()


def test_password_sign_in_is_refused_when_only_google_sign_in_is_on(staff_password: str, settings: Settings) -> None:
    # Production's default (ALLOW_PASSWORD_LOGIN off) is SOCIALACCOUNT_ONLY on; see
    # test_production_settings for that derivation.
    call_command("createstaff", "ops@example.com", stdout=io.StringIO(), stderr=io.StringIO())
    settings.SOCIALACCOUNT_ONLY = True
    client = browser()
    assert password_sign_in(client, "ops@example.com", staff_password) == 403
    assert client.get("/api/docs").status_code == 302


def test_createstaff_warns_when_password_sign_in_is_off(staff_password: str, settings: Settings) -> None:
    settings.ALLOW_PASSWORD_LOGIN = False
    err = io.StringIO()
    call_command("createstaff", "ops@example.com", stdout=io.StringIO(), stderr=err)
    assert "password sign-in is off" in err.getvalue()


def test_nobody_can_sign_up_with_a_password(db: None) -> None:
    client = browser()
    response = client.post(
        "/accounts/signup/",
        {
            "email": "new@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "csrfmiddlewaretoken": csrf_token(client),
        },
    )
    assert response.status_code in {200, 404}
    assert not User.objects.exists()
    assert settings.ACCOUNT_ADAPTER == "app.accounts.adapters.AccountAdapter"


def test_the_sign_in_page_offers_no_password_reset_that_would_lead_nowhere() -> None:
    page = browser().get("/accounts/login/")
    assert page.status_code == 200
    assert b'name="password"' in page.content
    assert b"/accounts/password/reset/" not in page.content
    assert browser().get("/accounts/password/reset/").status_code == 404
