"""The hand-written SQL behind the hot reads gives what the ORM gives, row for row (PostgreSQL only)."""

import uuid
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.utils import timezone

from app.accounts.models import User
from app.core import db
from app.core.problems import NotFound
from app.files import selectors
from app.files.models import File

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the SQL path is PostgreSQL's (CI sets REQUIRE_POSTGRES)")


def both[R](monkeypatch: pytest.MonkeyPatch, read: Callable[[], Coroutine[Any, Any, R]]) -> tuple[R, R]:
    """`read()` through the SQL path, then through the ORM."""
    answers: list[R] = []

    async def call() -> R:
        return await read()

    for is_sql in (True, False):
        monkeypatch.setattr(db, "is_sql_path", lambda is_sql=is_sql: is_sql)
        answers.append(async_to_sync(call)())
    return answers[0], answers[1]


def files_of(owner: User, count: int, *, status: str = File.Status.READY, same_instant: bool = False) -> list[File]:
    now = timezone.now()
    made = [
        File(
            owner=owner,
            storage_key=f"uploads/{owner.id}/{uuid.uuid4()}",
            filename=f"{n}.txt",
            content_type="text/plain",
            size=n + 1,
            checksum_md5="" if status == File.Status.PENDING else "XUFAKrxLKna5cZ2REBfFkg==",
            status=status,
            created_at=now if same_instant else now - timedelta(seconds=n),
            expires_at=now + timedelta(hours=1) if status == File.Status.PENDING else None,
            completed_at=None if status == File.Status.PENDING else now,
        )
        for n in range(count)
    ]
    return File.objects.bulk_create(made)


def test_every_page_of_the_list_is_the_same_through_sql_and_the_orm(
    alice: User, bob: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    files_of(alice, 7)
    files_of(alice, 4, same_instant=True)  # the cursor's tie-break on id
    files_of(alice, 2, status=File.Status.PENDING)
    files_of(bob, 3)
    cursor: str | None = None
    pages = 0
    while True:
        sql, orm = both(monkeypatch, lambda: selectors.file_list(owner=alice, limit=3, cursor=cursor))
        assert sql == orm
        assert all(row.status == File.Status.READY for row in sql.items)
        pages += 1
        if (cursor := sql.next_cursor) is None:
            break
    assert pages == 4  # 11 ready files, 3 a page


def test_one_file_is_the_same_through_sql_and_the_orm_and_another_users_is_not_found(
    alice: User, bob: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    (mine,) = files_of(alice, 1)
    (theirs,) = files_of(bob, 1)
    sql, orm = both(monkeypatch, lambda: selectors.file_get(owner=alice, file_id=mine.id))
    assert sql == orm
    assert sql.id == mine.id
    for is_sql in (True, False):
        monkeypatch.setattr(db, "is_sql_path", lambda is_sql=is_sql: is_sql)
        with pytest.raises(NotFound):
            async_to_sync(selectors.file_get)(owner=alice, file_id=theirs.id)


def test_quota_usage_is_the_same_through_sql_and_the_orm(alice: User, monkeypatch: pytest.MonkeyPatch) -> None:
    files_of(alice, 3)
    pending = files_of(alice, 2, status=File.Status.PENDING)
    File.objects.filter(id=pending[0].id).update(expires_at=timezone.now() - timedelta(seconds=1))  # holds no quota
    sql, orm = both(monkeypatch, lambda: selectors.quota_get(owner=alice))
    assert sql == orm
    assert (sql.files_used, sql.bytes_used) == (4, 1 + 2 + 3 + 2)
