"""Object storage for file bytes: GCS when a bucket is configured, else local files.

Bytes are written and read through Django's storage API (django-storages'
GCS backend or FileSystemStorage); signing and object metadata go to the
GCS integration or to the app's own signed URLs. All functions block: call
them through `asyncio.to_thread`.
"""

import base64
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Protocol, cast

from django.conf import settings
from django.core.files import File as DjangoFile
from django.core.files.storage import default_storage

# django-types lags Django 6.1: it has no content_disposition_header (added in Django 4.2).
from django.utils.http import content_disposition_header  # pyright: ignore[reportAttributeAccessIssue, reportUnknownVariableType]

from app.files import local_urls
from app.integrations import cloud_cdn, gcs
from app.integrations.gcs import ObjectInfo

CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class UploadTarget:
    url: str
    method: str
    headers: dict[str, str]
    is_resumable: bool


def is_gcs() -> bool:
    return bool(settings.GCS_BUCKET)


def storage_key(*, owner_id: object, file_id: object) -> str:
    return f"uploads/{owner_id}/{file_id}"


def attachment_header(filename: str) -> str:
    """`Content-Disposition: attachment` with the name encoded per RFC 6266."""
    header = cast(str | None, content_disposition_header(as_attachment=True, filename=filename))
    assert header is not None  # noqa: S101 - always set for attachments
    return header


def md5_b64_of(stream: IO[bytes]) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    while chunk := stream.read(CHUNK_BYTES):
        digest.update(chunk)
    return base64.b64encode(digest.digest()).decode()


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def save(key: str, stream: Readable, *, size: int, content_type: str, filename: str) -> None:
    content = DjangoFile(stream, name=key)
    # Django's File.size is a cached_property, which django-types declares read-only.
    content.size = size  # pyright: ignore[reportAttributeAccessIssue]
    default_storage.save(key, content)
    metadata_set(key, content_type=content_type, filename=filename)


def info(key: str) -> ObjectInfo | None:
    if is_gcs():
        return gcs.object_info(key)
    if not default_storage.exists(key):
        return None
    with default_storage.open(key, "rb") as stream:
        md5 = md5_b64_of(stream)
    return ObjectInfo(size=default_storage.size(key), md5_b64=md5)


def read_head(key: str, length: int) -> bytes:
    if is_gcs():
        return gcs.object_head(key, length)
    with default_storage.open(key, "rb") as stream:
        return stream.read(length)


def metadata_set(key: str, *, content_type: str, filename: str) -> None:
    """Stores type and attachment name on the object, so every path that serves it sends them."""
    if is_gcs():
        gcs.object_metadata_set(key, content_type=content_type, content_disposition=attachment_header(filename))


def delete(key: str) -> None:
    if is_gcs():
        gcs.object_delete(key)
    else:
        default_storage.delete(key)


def listing(prefix: str) -> Iterator[tuple[str, datetime | None]]:
    """Every object under `prefix`: its key and when it last changed."""
    if is_gcs():
        yield from gcs.object_listing(prefix)
        return
    root = Path(settings.MEDIA_ROOT)
    for path in sorted((root / prefix).rglob("*")):
        if path.is_file():
            yield path.relative_to(root).as_posix(), datetime.fromtimestamp(path.stat().st_mtime, UTC)


def ping() -> None:
    if is_gcs():
        gcs.ping()
        return
    root = Path(settings.MEDIA_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    if not root.is_dir():
        raise OSError(f"{root} is not a directory")


def upload_target(
    *,
    key: str,
    size: int,
    content_type: str,
    md5_b64: str | None,
    expires_at: datetime,
    resumable: bool,
) -> UploadTarget:
    if not is_gcs():
        grant = local_urls.UploadGrant(key=key, size=size, content_type=content_type, md5_b64=md5_b64)
        headers = {"Content-Type": content_type}
        if md5_b64:
            headers["Content-MD5"] = md5_b64
        return UploadTarget(url=local_urls.upload_url(grant), method="PUT", headers=headers, is_resumable=False)
    if resumable:
        session = gcs.resumable_session(key, content_type=content_type, size=size)
        return UploadTarget(url=session, method="PUT", headers={}, is_resumable=True)
    headers = {
        "Content-Type": content_type,
        # GCS rejects a body of any other length.
        "x-goog-content-length-range": f"{size},{size}",
    }
    if md5_b64:
        # GCS rejects bytes that do not hash to this.
        headers["Content-MD5"] = md5_b64
    signed = gcs.signed_url(key, method="PUT", expires_at=expires_at, headers=headers)
    return UploadTarget(url=signed.url, method="PUT", headers=signed.headers, is_resumable=False)


def download_url(*, key: str, filename: str, content_type: str, expires_at: datetime) -> str:
    if settings.CDN_BASE_URL:
        return cloud_cdn.cdn_url_sign(
            f"{settings.CDN_BASE_URL.rstrip('/')}/{key}",
            key_name=settings.CDN_SIGNING_KEY_NAME,
            key_b64=settings.CDN_SIGNING_KEY,
            expires_at=expires_at,
        )
    if is_gcs():
        return gcs.signed_url(
            key,
            method="GET",
            expires_at=expires_at,
            response_type=content_type,
            response_disposition=attachment_header(filename),
        ).url
    grant = local_urls.DownloadGrant(key=key, filename=filename, content_type=content_type)
    return local_urls.download_url(grant)
