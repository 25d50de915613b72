"""Removes what an interrupted upload leaves behind. Idempotent: safe to run at any time."""

import logging
from dataclasses import dataclass
from datetime import timedelta
from itertools import batched

from django.utils import timezone

from app.files.models import File
from app.files.storage import storage

logger = logging.getLogger(__name__)

# An object younger than this may belong to an upload whose row is being
# written right now; leave it for the next run.
ORPHAN_GRACE = timedelta(hours=1)
# Objects checked against the database per query.
ORPHAN_CHECK_BATCH = 500


@dataclass(frozen=True)
class CleanupReport:
    expired_uploads: int
    orphan_objects: int


def cleanup_run(*, dry_run: bool = False) -> CleanupReport:
    """Deletes expired pending uploads (object and row) and objects no file row knows."""
    now = timezone.now()
    objects = storage()
    expired = list(File.objects.filter(status=File.Status.PENDING, expires_at__lte=now))
    for file in expired:
        if not dry_run:
            objects.delete(file.storage_key)
            file.delete()
    orphans = 0
    for batch in batched(objects.listing("uploads/"), ORPHAN_CHECK_BATCH):
        known = set(
            File.objects.filter(storage_key__in=[key for key, _ in batch]).values_list("storage_key", flat=True)
        )
        for key, modified in batch:
            if key in known or (modified is not None and now - modified < ORPHAN_GRACE):
                continue
            orphans += 1
            if not dry_run:
                objects.delete(key)
    report = CleanupReport(expired_uploads=len(expired), orphan_objects=orphans)
    logger.info(
        "cleanup finished",
        extra={
            "expired_uploads": report.expired_uploads,
            "orphan_objects": report.orphan_objects,
            "dry_run": dry_run,
        },
    )
    return report
