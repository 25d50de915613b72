"""Concurrent uploads against the real server cannot together exceed the quota."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from asgiref.sync import async_to_sync
from django.db import connection, transaction
from django.utils import timezone
from pytest_django import Settings

from app.accounts.models import User
from app.core.problems import Problem, ProblemCode
from app.files import services
from app.files.models import File
from app.files.quota import owner_lock
from tests.plugin import postgres_cluster
from tests.support.live_app import live_app, live_app_env

QUOTA_COUNT = 3
QUOTA_BYTES = 1000
ATTEMPTS = 12


def test_concurrent_upload_starts_never_exceed_the_file_count_quota() -> None:
    env = live_app_env(postgres_cluster(), {"FILES_QUOTA_COUNT": str(QUOTA_COUNT), "ACCESS_LOG": "0"})
    with live_app(env, workers=2) as app:
        headers = {"Authorization": f"Bearer {app.token}"}

        def start(n: int) -> int:
            payload = {"filename": f"{n}.txt", "size": 10, "content_type": "text/plain"}
            return httpx.post(f"{app.base_url}/api/v1/uploads", json=payload, headers=headers, timeout=30).status_code

        with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
            statuses = list(pool.map(start, range(ATTEMPTS)))
        me = httpx.get(f"{app.base_url}/api/v1/me", headers=headers).json()
    assert sorted(statuses) == [201] * QUOTA_COUNT + [413] * (ATTEMPTS - QUOTA_COUNT)
    assert me["quota"]["files_used"] == QUOTA_COUNT


def test_concurrent_small_uploads_never_exceed_the_byte_quota() -> None:
    env = live_app_env(postgres_cluster(), {"FILES_QUOTA_BYTES": str(QUOTA_BYTES), "ACCESS_LOG": "0"})
    content = b"x" * 299 + b"\n"  # 300 bytes: three fit in 1000, four do not
    with live_app(env, workers=2) as app:
        headers = {"Authorization": f"Bearer {app.token}"}

        def upload(n: int) -> int:
            files = {"file": (f"{n}.txt", content, "text/plain")}
            return httpx.post(f"{app.base_url}/api/v1/files", files=files, headers=headers, timeout=30).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(upload, range(8)))
        listing = httpx.get(f"{app.base_url}/api/v1/files", headers=headers).json()
    assert sorted(statuses) == [201] * 3 + [413] * 5
    assert sum(item["size"] for item in listing["items"]) == 900


@pytest.mark.django_db(transaction=True)
def test_upload_start_waits_for_the_owner_lock_and_then_sees_the_quota_full(
    settings: Settings, make_user: Callable[..., User]
) -> None:
    """Deterministic: while another transaction holds the owner's lock and fills
    the quota, a concurrent upload start must wait, then be refused."""
    settings.FILES_QUOTA_COUNT = 1
    owner = make_user("racer@example.com")
    outcome: list[object] = []

    def start_upload() -> None:
        try:
            async_to_sync(services.upload_start)(
                owner=owner,
                filename="b.txt",
                size=10,
                content_type="text/plain",
                checksum=None,
                resumable=False,
            )
            outcome.append("started")
        except Problem as problem:
            outcome.append(problem.code)
        finally:
            connection.close()

    with transaction.atomic():
        owner_lock(owner.id)
        File.objects.create(
            owner=owner,
            storage_key=f"uploads/{owner.id}/held",
            filename="a.txt",
            content_type="text/plain",
            size=10,
            created_at=timezone.now(),
            expires_at=timezone.now() + timedelta(hours=1),
        )
        racer = threading.Thread(target=start_upload)
        racer.start()
        racer.join(timeout=1.0)
        assert racer.is_alive(), "upload_start did not wait for the owner's lock"
    racer.join(timeout=30)
    assert outcome == [ProblemCode.QUOTA_EXCEEDED]
