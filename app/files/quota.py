"""Per-user quota, checked under a lock on the owner's row so that concurrent
uploads cannot together exceed it. The checks run inside a transaction:
call them from a function passed to `app.core.db.write`.

A user's limits are FILES_QUOTA_BYTES and FILES_QUOTA_COUNT unless the
`storage-quota` feature flag gives them others (`quota_limits`)."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet, Sum

from app import flags
from app.accounts.models import User
from app.core.problems import Problem, ProblemCode
from app.files.models import File
from app.flags.catalog import STORAGE_QUOTA

QUOTA_BYTES_EXCEEDED = "This upload would exceed your storage quota of {limit} bytes ({left} left)."
QUOTA_COUNT_EXCEEDED = "You already have the maximum of {limit} files."


def _live(now: datetime) -> Q:
    """Files that hold quota: ready ones, and pending ones not yet expired."""
    return Q(status=File.Status.READY) | Q(status=File.Status.PENDING, expires_at__gt=now)


def live_files(owner_id: object, now: datetime, *, excluding: object = None) -> "QuerySet[File]":
    files = File.objects.filter(_live(now), owner_id=owner_id)
    return files if excluding is None else files.exclude(id=excluding)


USAGE_AGGREGATES = {"bytes_used": Sum("size"), "files_used": Count("id")}


@dataclass(frozen=True)
class QuotaLimits:
    bytes: int
    files: int


def quota_limits(owner: User) -> QuotaLimits:
    """The owner's limits: the settings, or what the `storage-quota` flag's variant for them says."""
    tier = flags.object_value(STORAGE_QUOTA, owner)
    # The flag file was checked on loading (app/flags/catalog.py): these are counts when present.
    bytes_limit, files_limit = tier.get("bytes"), tier.get("files")
    return QuotaLimits(
        bytes=bytes_limit if isinstance(bytes_limit, int) else settings.FILES_QUOTA_BYTES,
        files=files_limit if isinstance(files_limit, int) else settings.FILES_QUOTA_COUNT,
    )


def owner_lock(owner_id: object) -> None:
    """Serialises quota decisions per user (a row lock; SQLite locks the whole database)."""
    get_user_model().objects.select_for_update().filter(pk=owner_id).values_list("pk").get()  # pyright: ignore[reportUnknownMemberType]


def quota_check(owner_id: object, now: datetime, *, limits: QuotaLimits, size: int, excluding: object = None) -> None:
    """Raises a 413 problem unless one more file of `size` bytes fits. Call under `owner_lock`."""
    row = live_files(owner_id, now, excluding=excluding).aggregate(**USAGE_AGGREGATES)
    bytes_used, files_used = row["bytes_used"] or 0, row["files_used"] or 0
    if files_used + 1 > limits.files:
        raise Problem(
            QUOTA_COUNT_EXCEEDED.format(limit=limits.files),
            code=ProblemCode.QUOTA_EXCEEDED,
            status=413,
        )
    if bytes_used + size > limits.bytes:
        raise Problem(
            QUOTA_BYTES_EXCEEDED.format(limit=limits.bytes, left=max(limits.bytes - bytes_used, 0)),
            code=ProblemCode.QUOTA_EXCEEDED,
            status=413,
        )
