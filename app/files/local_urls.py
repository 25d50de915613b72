"""Signed URLs for embedded mode, where the app itself stands in for GCS.

The token is Django's signed, timestamped payload: tampering breaks the
signature, and `max_age` enforces the expiry.
"""

from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.urls import reverse

from app.core.problems import Problem

_UPLOAD_SALT = "files.local-upload"
_DOWNLOAD_SALT = "files.local-download"

TOKEN_INVALID = "The signed URL is invalid."
TOKEN_EXPIRED = "The signed URL has expired."


@dataclass(frozen=True)
class UploadGrant:
    key: str
    size: int
    content_type: str
    md5_b64: str | None


@dataclass(frozen=True)
class DownloadGrant:
    key: str
    filename: str
    content_type: str


def upload_url(grant: UploadGrant) -> str:
    token = signing.dumps(
        {"k": grant.key, "s": grant.size, "t": grant.content_type, "m": grant.md5_b64},
        salt=_UPLOAD_SALT,
    )
    return reverse("files:local-upload", kwargs={"token": token})


def download_url(grant: DownloadGrant) -> str:
    token = signing.dumps({"k": grant.key, "n": grant.filename, "t": grant.content_type}, salt=_DOWNLOAD_SALT)
    return reverse("files:local-download", kwargs={"token": token})


def _load(token: str, *, salt: str, max_age: int) -> dict[str, Any]:
    try:
        return signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise Problem(TOKEN_EXPIRED, code="signed_url_expired", status=403) from None
    except signing.BadSignature:
        raise Problem(TOKEN_INVALID, code="signed_url_invalid", status=403) from None


def upload_grant_load(token: str, *, max_age: int) -> UploadGrant:
    data = _load(token, salt=_UPLOAD_SALT, max_age=max_age)
    return UploadGrant(key=data["k"], size=data["s"], content_type=data["t"], md5_b64=data["m"])


def download_grant_load(token: str, *, max_age: int) -> DownloadGrant:
    data = _load(token, salt=_DOWNLOAD_SALT, max_age=max_age)
    return DownloadGrant(key=data["k"], filename=data["n"], content_type=data["t"])
