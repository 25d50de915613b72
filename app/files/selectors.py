"""Reads for files: one owned file, a page of files, quota usage."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core import signing
from django.db.models import Q
from django.utils import timezone

from app.accounts.models import User
from app.core import db
from app.core.problems import NotFound, Problem, ProblemCode
from app.files.models import File
from app.files.quota import USAGE_AGGREGATES, live_files

CURSOR_INVALID = "The cursor is not one this API returned."
FILE_NOT_FOUND = "No such file."

_CURSOR_SALT = "files.cursor"


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
    """The position after `file`, signed: only cursors the API issued come back as positions."""
    return signing.dumps([file.created_at.isoformat(), str(file.id)], salt=_CURSOR_SALT)


def cursor_decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        created_at, file_id = signing.loads(cursor, salt=_CURSOR_SALT)
        return datetime.fromisoformat(created_at), uuid.UUID(file_id)
    except (signing.BadSignature, TypeError, ValueError):
        # A cursor of the old shape, made up, or signed with another SECRET_KEY.
        raise Problem(CURSOR_INVALID, code=ProblemCode.INVALID_CURSOR) from None


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


async def quota_get(*, owner: User) -> Quota:
    row = await db.read(lambda: live_files(owner.id, timezone.now()).aggregate(**USAGE_AGGREGATES))
    return Quota(
        bytes_used=row["bytes_used"] or 0,
        bytes_limit=settings.FILES_QUOTA_BYTES,
        files_used=row["files_used"] or 0,
        files_limit=settings.FILES_QUOTA_COUNT,
    )
