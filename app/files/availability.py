"""What the feature flags let a user do with files right now (app/flags/catalog.py defines them)."""

from collections.abc import Mapping
from typing import Final

from django.conf import settings

from app import flags
from app.accounts.models import User
from app.core.problems import Problem, ProblemCode
from app.flags.catalog import CDN_DOWNLOADS, DIRECT_UPLOADS, UPLOADS_ENABLED

UPLOADS_PAUSED = (
    "Uploads are paused for maintenance; listing, downloading and deleting files still work. "
    "Try again in {seconds} seconds."
)
DIRECT_UPLOADS_OFF = (
    "Direct uploads are not offered to your account right now: send the file to POST /api/v1/files "
    "(multipart field `file`, up to {limit} bytes) instead."
)
# Retry-After when the flag's metadata gives no `retryAfterSeconds`.
DEFAULT_RETRY_AFTER_SECONDS: Final = 300
RETRY_AFTER_METADATA: Final = "retryAfterSeconds"
_RETRY_AFTER_RANGE: Final = range(1, 86_401)


def _retry_after(metadata: Mapping[str, object]) -> int:
    seconds = metadata.get(RETRY_AFTER_METADATA)
    if isinstance(seconds, int) and not isinstance(seconds, bool) and seconds in _RETRY_AFTER_RANGE:
        return seconds
    return DEFAULT_RETRY_AFTER_SECONDS


def uploads_open_check(user: User) -> None:
    """Raises a 503 problem with Retry-After while `uploads-enabled` is off for `user`."""
    answer = flags.evaluation(UPLOADS_ENABLED, user)
    if answer.value:
        return
    seconds = _retry_after(answer.metadata)
    raise Problem(
        UPLOADS_PAUSED.format(seconds=seconds),
        code=ProblemCode.UPLOADS_DISABLED,
        status=503,
        retry_after=seconds,
    )


def direct_uploads_check(user: User) -> None:
    """Raises a 403 problem pointing at POST /api/v1/files while `direct-uploads` is off for `user`."""
    if flags.is_on(DIRECT_UPLOADS, user):
        return
    limit = min(settings.FILES_SMALL_UPLOAD_MAX_BYTES, settings.FILES_MAX_BYTES)
    raise Problem(
        DIRECT_UPLOADS_OFF.format(limit=limit),
        code=ProblemCode.DIRECT_UPLOADS_DISABLED,
        status=403,
        extra={"instead": "POST /api/v1/files", "max_bytes": limit},
    )


def is_cdn_download(user: User) -> bool:
    """Whether `user`'s downloads go through Cloud CDN: a CDN key is configured and `cdn-downloads` is on."""
    return bool(settings.CDN_BASE_URL) and flags.is_on(CDN_DOWNLOADS, user)
