"""Swagger UI, the OpenAPI schema and the admin: staff only."""

from collections.abc import Callable
from urllib.parse import quote

import pytest
from django.conf import settings
from django.test import Client

from app.accounts.models import User
from app.core.staff import STAFF_ONLY

pytestmark = pytest.mark.django_db

STAFF_PAGES = ["/api/docs", "/api/openapi.json", "/admin/", "/admin/account/emailaddress/"]


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def staff(make_user: Callable[..., User]) -> User:
    return make_user("operator@example.com", is_staff=True, is_superuser=True)


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_pages_send_anonymous_visitors_to_sign_in(path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"{settings.LOGIN_URL}?next={quote(path, safe='/')}"


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_pages_forbid_signed_in_non_staff(path: str, alice: User) -> None:
    response = signed_in(alice).get(path)
    assert response.status_code == 403
    if path.startswith("/api/"):
        # Under the API every error is a problem, with the guard's reason as its detail.
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["detail"] == STAFF_ONLY
    else:
        assert response.content.decode() == STAFF_ONLY


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_pages_forbid_deactivated_staff(path: str, staff: User) -> None:
    client = signed_in(staff)
    staff.is_active = False
    staff.save()
    assert client.get(path).status_code in {302, 403}
    assert client.get(path).status_code != 200


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_pages_open_to_staff(path: str, staff: User) -> None:
    assert signed_in(staff).get(path).status_code == 200


def test_openapi_schema_is_served_to_staff(staff: User) -> None:
    schema = signed_in(staff).get("/api/openapi.json").json()
    assert "/api/v1/tokens" in schema["paths"]


def test_admin_login_page_hands_over_to_sign_in(alice: User, staff: User) -> None:
    anonymous = Client().get("/admin/login/", {"next": "/admin/accounts/"})
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"] == f"{settings.LOGIN_URL}?next=/admin/accounts/"

    assert signed_in(alice).get("/admin/login/").status_code == 403

    staff_client = signed_in(staff)
    onward = staff_client.get("/admin/login/", {"next": "/admin/accounts/"})
    assert (onward.status_code, onward.headers["Location"]) == (302, "/admin/accounts/")
    # Never onward to another site.
    elsewhere = staff_client.get("/admin/login/", {"next": "https://evil.example/"})
    assert (elsewhere.status_code, elsewhere.headers["Location"]) == (302, "/admin/")


def test_admin_password_form_does_not_sign_anyone_in(staff: User) -> None:
    staff.set_password("a long staff password 7")
    staff.save()
    client = Client()
    response = client.post("/admin/login/", {"username": staff.username, "password": "a long staff password 7"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(settings.LOGIN_URL)
    assert client.get("/admin/").status_code == 302
