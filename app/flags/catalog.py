"""The flags the app reads: each one's key, type and in-code default, and what its variants may hold.

The in-code default is what a flag answers when the flag file has no say: no file, the flag
not in it, disabled there, or an evaluation that fails. Defaults are the product's normal
behaviour, so a lost file never switches a feature off.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

type JsonObject = Mapping[str, object]


@dataclass(frozen=True)
class BooleanFlag:
    """An on/off switch."""

    key: str
    default: bool


@dataclass(frozen=True)
class ObjectFlag:
    """A flag whose variants are JSON objects; `variant_problem` says why a variant's value cannot be used."""

    key: str
    default: JsonObject
    variant_problem: Callable[[JsonObject], str | None]


type Flag = BooleanFlag | ObjectFlag

QUOTA_KEYS: Final = ("bytes", "files")
QUOTA_UNKNOWN_KEY = "may hold only {allowed}, not {key!r}"
QUOTA_NOT_A_COUNT = "{key} must be a whole number of 0 or more, got {value!r}"


def _quota_problem(value: JsonObject) -> str | None:
    for key, limit in value.items():
        if key not in QUOTA_KEYS:
            return QUOTA_UNKNOWN_KEY.format(allowed=" and ".join(QUOTA_KEYS), key=key)
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            return QUOTA_NOT_A_COUNT.format(key=key, value=limit)
    return None


# Off: every upload entry point answers 503 with Retry-After; reads, downloads and deletes go on.
UPLOADS_ENABLED: Final = BooleanFlag("uploads-enabled", default=True)
# Off for a user: POST /api/v1/uploads tells them to use POST /api/v1/files instead.
DIRECT_UPLOADS: Final = BooleanFlag("direct-uploads", default=True)
# Off: downloads get storage's own signed URL even when a Cloud CDN key is configured.
CDN_DOWNLOADS: Final = BooleanFlag("cdn-downloads", default=True)
# A user's quota: `bytes` and `files` override FILES_QUOTA_BYTES and FILES_QUOTA_COUNT.
STORAGE_QUOTA: Final = ObjectFlag("storage-quota", default={}, variant_problem=_quota_problem)

CATALOG: Final[tuple[Flag, ...]] = (UPLOADS_ENABLED, DIRECT_UPLOADS, CDN_DOWNLOADS, STORAGE_QUOTA)
