"""Uploads, direct uploads, CDN downloads and quotas as the feature flags decide, through the API in-process."""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from pytest_django import Settings

from app import flags
from app.accounts.models import User
from app.core.problems import PROBLEM_CONTENT_TYPE, ProblemCode
from app.files.availability import DEFAULT_RETRY_AFTER_SECONDS
from app.flags.catalog import DIRECT_UPLOADS
from tests.support.api import bearer_client, signed_put
from tests.support.flags import FlagSwitch

pytestmark = pytest.mark.django_db

CONTENT = b"hello, flags\n"
ROLLOUT_USERS = 400


def _small_upload(api: Client, name: str = "notes.txt") -> HttpResponse:
    return api.post("/api/v1/files", {"file": SimpleUploadedFile(name, CONTENT, content_type="text/plain")})


def _start(api: Client) -> HttpResponse:
    return api.post(
        "/api/v1/uploads",
        {"filename": "notes.txt", "size": len(CONTENT), "content_type": "text/plain"},
        content_type="application/json",
    )


def _put(start: dict[str, Any]) -> httpx.Response:
    return signed_put(start["upload_url"], CONTENT, headers=start["headers"])


def _assert_uploads_paused(
    response: HttpResponse | httpx.Response, retry_after: int = DEFAULT_RETRY_AFTER_SECONDS
) -> None:
    assert response.status_code == 503, response.content
    assert response.headers["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert response.json()["code"] == ProblemCode.UPLOADS_DISABLED
    assert response.headers["Retry-After"] == str(retry_after)


def test_uploads_off_pauses_every_upload_entry_point_and_nothing_else(
    flag_switch: FlagSwitch, alice_api: Client
) -> None:
    kept = _small_upload(alice_api).json()
    pending = _start(alice_api).json()
    flag_switch.change("uploads-enabled", defaultVariant="off")

    _assert_uploads_paused(_small_upload(alice_api), retry_after=300)
    _assert_uploads_paused(_start(alice_api), retry_after=300)
    _assert_uploads_paused(_put(pending), retry_after=300)
    _assert_uploads_paused(alice_api.post(f"/api/v1/uploads/{pending['id']}/complete"), retry_after=300)

    assert [item["id"] for item in alice_api.get("/api/v1/files").json()["items"]] == [kept["id"]]
    assert alice_api.get(f"/api/v1/files/{kept['id']}").status_code == 200
    assert alice_api.get(f"/api/v1/files/{kept['id']}/download").status_code == 302
    assert alice_api.delete(f"/api/v1/files/{kept['id']}").status_code == 204

    flag_switch.change("uploads-enabled", defaultVariant="on")
    assert _put(pending).status_code == 200
    assert alice_api.post(f"/api/v1/uploads/{pending['id']}/complete").json()["status"] == "ready"


def test_uploads_off_says_when_to_retry_from_the_flags_metadata_or_a_default(
    flag_switch: FlagSwitch, alice_api: Client
) -> None:
    flag_switch.change("uploads-enabled", defaultVariant="off", metadata={"retryAfterSeconds": 42})
    _assert_uploads_paused(_small_upload(alice_api), retry_after=42)
    flag_switch.change("uploads-enabled", defaultVariant="off", metadata={"retryAfterSeconds": "soon"})
    _assert_uploads_paused(_small_upload(alice_api))


def test_staff_keep_uploading_while_uploads_are_off(
    flag_switch: FlagSwitch, make_user: Callable[..., User], alice_api: Client
) -> None:
    staff_api = bearer_client(make_user("staff@example.com", is_staff=True))
    flag_switch.change("uploads-enabled", defaultVariant="off")
    assert _small_upload(staff_api).status_code == 201
    _assert_uploads_paused(_small_upload(alice_api))


def _rollout(flag_switch: FlagSwitch, percent: int) -> None:
    share = [["on", percent], ["off", 100 - percent]]
    flag_switch.change("direct-uploads", targeting={"if": [{"$ref": "is-staff"}, "on", {"fractional": share}]})


def test_direct_uploads_reach_staff_first_then_a_stable_share_of_users(flag_switch: FlagSwitch) -> None:
    users = [User(email=f"user{number}@example.com") for number in range(ROLLOUT_USERS)]
    staff = User(email="staff@example.com", is_staff=True)

    _rollout(flag_switch, 0)
    assert flags.is_on(DIRECT_UPLOADS, staff)
    assert not any(flags.is_on(DIRECT_UPLOADS, user) for user in users)

    _rollout(flag_switch, 25)
    quarter = {user.id for user in users if flags.is_on(DIRECT_UPLOADS, user)}
    assert 0.15 * ROLLOUT_USERS < len(quarter) < 0.35 * ROLLOUT_USERS
    # Widening the rollout keeps everyone who had it: buckets are per user, not per request.
    _rollout(flag_switch, 60)
    most = {user.id for user in users if flags.is_on(DIRECT_UPLOADS, user)}
    assert quarter < most
    assert 0.5 * ROLLOUT_USERS < len(most) < 0.7 * ROLLOUT_USERS

    _rollout(flag_switch, 100)
    assert all(flags.is_on(DIRECT_UPLOADS, user) for user in users)


def test_a_user_without_direct_uploads_is_told_to_post_files_and_can(
    flag_switch: FlagSwitch, alice_api: Client, settings: Settings
) -> None:
    _rollout(flag_switch, 0)
    refused = _start(alice_api)
    assert refused.status_code == 403
    problem = refused.json()
    assert problem["code"] == ProblemCode.DIRECT_UPLOADS_DISABLED
    assert problem["instead"] == "POST /api/v1/files"
    assert problem["max_bytes"] == settings.FILES_SMALL_UPLOAD_MAX_BYTES
    assert "POST /api/v1/files" in problem["detail"]
    assert _small_upload(alice_api).status_code == 201


def test_the_quota_flag_gives_a_listed_user_their_own_quota(
    flag_switch: FlagSwitch, alice_api: Client, bob_api: Client, settings: Settings
) -> None:
    flag_switch.change(
        "storage-quota",
        variants={"standard": {}, "tiny": {"bytes": len(CONTENT) - 1, "files": 3}},
        targeting={"if": [{"in": [{"var": "email"}, ["alice@example.com"]]}, "tiny"]},
    )
    quota = alice_api.get("/api/v1/me").json()["quota"]
    assert (quota["bytes_limit"], quota["files_limit"]) == (len(CONTENT) - 1, 3)
    refused = _small_upload(alice_api)
    assert refused.status_code == 413
    assert refused.json()["code"] == ProblemCode.QUOTA_EXCEEDED
    assert _start(alice_api).status_code == 413
    # Everyone else keeps the settings' quota.
    quota = bob_api.get("/api/v1/me").json()["quota"]
    assert (quota["bytes_limit"], quota["files_limit"]) == (settings.FILES_QUOTA_BYTES, settings.FILES_QUOTA_COUNT)
    assert _small_upload(bob_api).status_code == 201


def test_cdn_downloads_switch_between_the_cdn_and_storages_own_url(
    flag_switch: FlagSwitch, alice_api: Client, settings: Settings
) -> None:
    settings.CDN_BASE_URL = "https://cdn.example.com"
    settings.CDN_SIGNING_KEY_NAME = "test-key"
    settings.CDN_SIGNING_KEY = "nZtRohdNF9m3cKM24IcK4w=="
    file_id = _small_upload(alice_api).json()["id"]
    through_cdn = alice_api.get(f"/api/v1/files/{file_id}/download")["Location"]
    assert through_cdn.startswith("https://cdn.example.com/uploads/")
    assert "KeyName=test-key" in through_cdn

    flag_switch.change("cdn-downloads", defaultVariant="off")
    direct = alice_api.get(f"/api/v1/files/{file_id}/download")["Location"]
    assert not direct.startswith("https://cdn.example.com")
    assert Client().get(urlsplit(direct).path + "?" + urlsplit(direct).query).status_code == 200


def test_targeting_sees_the_users_email_staff_and_the_app_version(flag_switch: FlagSwitch, settings: Settings) -> None:
    settings.APP_VERSION = "2.4.0"
    rule = {
        "if": [
            {
                "and": [
                    {"ends_with": [{"var": "email"}, "@example.org"]},
                    {"sem_ver": [{"var": "appVersion"}, ">=", "2.3.0"]},
                    {"!": {"var": "staff"}},
                ]
            },
            "off",
        ]
    }
    flag_switch.change("direct-uploads", targeting=rule, defaultVariant="on")
    assert not flags.is_on(DIRECT_UPLOADS, User(email="someone@example.org"))
    assert flags.is_on(DIRECT_UPLOADS, User(email="someone@example.com"))
    assert flags.is_on(DIRECT_UPLOADS, User(email="boss@example.org", is_staff=True))
    settings.APP_VERSION = "2.2.9"
    assert flags.is_on(DIRECT_UPLOADS, User(email="someone@example.org"))
