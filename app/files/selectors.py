"""Reads for files: one owned file, a page of files, quota usage."""

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from app.accounts.models import User
from app.core import db
from app.core.problems import NotFound, Problem, ProblemCode
from app.files.models import File
from app.files.quota import USAGE_AGGREGATES, live_files, quota_limits

CURSOR_INVALID = "The cursor is not one this API returned."
FILE_NOT_FOUND = "No such file."


@dataclass(frozen=True)
class FilePage:
    items: list[File]
    next_cursor: str | None


@dataclass(frozen=True)
class Quota:
    bytes_used: int
    bytes_limit: int
    files_used: int
    files_limit: int


def cursor_encode(file: File) -> str:
    raw = f"{file.created_at.isoformat()}|{file.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, file_id = raw.split("|")
        parsed, parsed_id = datetime.fromisoformat(created_at), uuid.UUID(file_id)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Problem(CURSOR_INVALID, code=ProblemCode.INVALID_CURSOR) from None
    if parsed.tzinfo is None:
        raise Problem(CURSOR_INVALID, code=ProblemCode.INVALID_CURSOR)
    return parsed, parsed_id


async def file_list(*, owner: User, limit: int, cursor: str | None) -> FilePage:
    """The owner's ready files, newest first, `limit` at a time."""
    files = File.objects.filter(owner_id=owner.id, status=File.Status.READY)
    if cursor is not None:
        created_at, file_id = cursor_decode(cursor)
        files = files.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=file_id))
    page = files.order_by("-created_at", "-id")[: limit + 1]
    rows = await db.read(lambda: list(page))
    has_more = len(rows) > limit
    items = rows[:limit]
    return FilePage(items=items, next_cursor=cursor_encode(items[-1]) if has_more else None)


async def file_owned(*, owner: User, file_id: uuid.UUID) -> File:
    """The owner's file with this id, in any state; another user's answers 404 as a missing one does."""
    file = await db.read(File.objects.filter(id=file_id, owner_id=owner.id).first)
    if file is None:
        raise NotFound(FILE_NOT_FOUND)
    return file


async def file_by_storage_key(key: str) -> File | None:
    """The file stored under `key`, with its owner."""
    return await db.read(File.objects.select_related("owner").filter(storage_key=key).first)


async def quota_get(*, owner: User) -> Quota:
    row = await db.read(lambda: live_files(owner.id, timezone.now()).aggregate(**USAGE_AGGREGATES))
    limits = quota_limits(owner)
    return Quota(
        bytes_used=row["bytes_used"] or 0,
        bytes_limit=limits.bytes,
        files_used=row["files_used"] or 0,
        files_limit=limits.files,
    )
