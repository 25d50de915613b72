"""Reads for files: one owned file, a page of files, quota usage.

The three reads behind the hottest endpoints (a page, one file's metadata,
quota usage) take hand-written SQL on PostgreSQL (see app/core/db.py) and the
ORM elsewhere; both give the same `FileRow`s, which
tests/files/test_selectors_sql.py pins.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.core import signing
from django.db.models import Q
from django.utils import timezone

from app.accounts.models import User
from app.core import db
from app.core.problems import NotFound, Problem, ProblemCode
from app.files.models import File
from app.files.quota import USAGE_AGGREGATES, live_files, quota_limits

CURSOR_INVALID = "The cursor is not one this API returned."
FILE_NOT_FOUND = "No such file."

_CURSOR_SALT = "files.cursor"


class FileRow(NamedTuple):
    """What the API shows of a file (`FileOut`), as one row."""

    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    checksum_md5: str
    status: str
    created_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True)
class FilePage:
    items: list[FileRow]
    next_cursor: str | None


@dataclass(frozen=True)
class Quota:
    bytes_used: int
    bytes_limit: int
    files_used: int
    files_limit: int


def cursor_encode(file: FileRow) -> str:
    """The position after `file`, signed: only cursors the API issued come back as positions."""
    return signing.dumps([file.created_at.isoformat(), str(file.id)], salt=_CURSOR_SALT)


def cursor_decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        created_at, file_id = signing.loads(cursor, salt=_CURSOR_SALT)
        return datetime.fromisoformat(created_at), uuid.UUID(file_id)
    except (signing.BadSignature, TypeError, ValueError):
        # A cursor of the old shape, made up, or signed with another SECRET_KEY.
        raise Problem(CURSOR_INVALID, code=ProblemCode.INVALID_CURSOR) from None


_ROW_COLUMNS = ", ".join(FileRow._fields)
_FILES = File._meta.db_table
_READY = File.Status.READY.value
_PAGE_SQL = f"""
SELECT {_ROW_COLUMNS} FROM {_FILES}
WHERE owner_id = %s AND status = '{_READY}' {{after}}
ORDER BY created_at DESC, id DESC LIMIT %s
"""  # noqa: S608 - only names and a constant from the model are formatted in
_FIRST_PAGE_SQL = _PAGE_SQL.format(after="")
_NEXT_PAGE_SQL = _PAGE_SQL.format(after="AND (created_at < %s OR (created_at = %s AND id < %s))")
_FILE_SQL = f"SELECT {_ROW_COLUMNS} FROM {_FILES} WHERE id = %s AND owner_id = %s"  # noqa: S608
_USAGE_SQL = f"""
SELECT COALESCE(SUM(size), 0), COUNT(id) FROM {_FILES}
WHERE owner_id = %s AND (status = '{_READY}' OR (status = '{File.Status.PENDING.value}' AND expires_at > %s))
"""  # noqa: S608 - the same set as app.files.quota.live_files


def _page_orm(owner_id: uuid.UUID, size: int, after: tuple[datetime, uuid.UUID] | None) -> list[FileRow]:
    files = File.objects.filter(owner_id=owner_id, status=File.Status.READY)
    if after is not None:
        created_at, file_id = after
        files = files.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=file_id))
    return [FileRow._make(row) for row in files.order_by("-created_at", "-id").values_list(*FileRow._fields)[:size]]


async def _page(owner_id: uuid.UUID, size: int, after: tuple[datetime, uuid.UUID] | None) -> list[FileRow]:
    if not db.is_sql_path():
        return await db.read(lambda: _page_orm(owner_id, size, after))
    if after is None:
        found = await db.rows(_FIRST_PAGE_SQL, (owner_id, size))
    else:
        created_at, file_id = after
        found = await db.rows(_NEXT_PAGE_SQL, (owner_id, created_at, created_at, file_id, size))
    return [FileRow._make(row) for row in found]


async def file_list(*, owner: User, limit: int, cursor: str | None) -> FilePage:
    """The owner's ready files, newest first, `limit` at a time."""
    after = None if cursor is None else cursor_decode(cursor)
    rows = await _page(owner.id, limit + 1, after)
    has_more = len(rows) > limit
    items = rows[:limit]
    return FilePage(items=items, next_cursor=cursor_encode(items[-1]) if has_more else None)


def _file_orm(owner_id: uuid.UUID, file_id: uuid.UUID) -> FileRow | None:
    row = File.objects.filter(id=file_id, owner_id=owner_id).values_list(*FileRow._fields).first()
    return None if row is None else FileRow._make(row)


async def file_get(*, owner: User, file_id: uuid.UUID) -> FileRow:
    """What the API shows of the owner's file with this id; another user's answers 404 as a missing one does."""
    if db.is_sql_path():
        found = await db.rows(_FILE_SQL, (file_id, owner.id))
        row = FileRow._make(found[0]) if found else None
    else:
        row = await db.read(lambda: _file_orm(owner.id, file_id))
    if row is None:
        raise NotFound(FILE_NOT_FOUND)
    return row


async def file_owned(*, owner: User, file_id: uuid.UUID) -> File:
    """The owner's file with this id, in any state; another user's answers 404 as a missing one does."""
    file = await db.read(File.objects.filter(id=file_id, owner_id=owner.id).first)
    if file is None:
        raise NotFound(FILE_NOT_FOUND)
    return file


def _usage_orm(owner_id: uuid.UUID, now: datetime) -> tuple[int, int]:
    row = live_files(owner_id, now).aggregate(**USAGE_AGGREGATES)
    return row["bytes_used"] or 0, row["files_used"] or 0


async def quota_get(*, owner: User) -> Quota:
    now = timezone.now()
    if db.is_sql_path():
        ((bytes_used, files_used),) = await db.rows(_USAGE_SQL, (owner.id, now))
    else:
        bytes_used, files_used = await db.read(lambda: _usage_orm(owner.id, now))
    limits = quota_limits(owner)
    return Quota(
        bytes_used=int(bytes_used),
        bytes_limit=limits.bytes,
        files_used=files_used,
        files_limit=limits.files,
    )
