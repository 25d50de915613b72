"""Google Cloud Storage: the client, object metadata and V4 signed URLs.

`google.cloud.storage` costs about 200 ms to import, so it is imported only
when a GCS call is made, never at start-up in embedded mode.
"""

import os
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol, cast

from django.conf import settings
from storages.backends.gcloud import GoogleCloudStorage

if TYPE_CHECKING:
    from google.cloud.storage import Client

# The emulator's host, set by the standard variable the client library reads.
EMULATOR_VARIABLE = "STORAGE_EMULATOR_HOST"
NO_RESUMABLE_SESSION = "GCS answered no resumable upload session URI for {key!r}"


# google-cloud-storage has no type annotations: these protocols type the part of it used here.
class _Blob(Protocol):
    name: str
    content_type: str | None
    content_disposition: str | None

    @property
    def size(self) -> int | None: ...
    @property
    def md5_hash(self) -> str | None: ...
    @property
    def updated(self) -> datetime | None: ...

    def download_as_bytes(self, *, start: int, end: int) -> bytes: ...
    def patch(self) -> None: ...
    def delete(self) -> None: ...
    def generate_signed_url(
        self,
        *,
        version: str,
        expiration: datetime,
        method: str,
        headers: dict[str, str] | None,
        response_type: str | None,
        response_disposition: str | None,
        api_access_endpoint: str | None,
        **signing: Any,
    ) -> str: ...
    def create_resumable_upload_session(self, *, content_type: str, size: int) -> str | None: ...


class _Bucket(Protocol):
    def blob(self, blob_name: str) -> _Blob: ...
    def get_blob(self, blob_name: str) -> _Blob | None: ...


class _Client(Protocol):
    def bucket(self, bucket_name: str) -> _Bucket: ...
    def list_blobs(
        self, bucket_or_name: str, *, prefix: str | None = None, max_results: int | None = None
    ) -> Iterable[_Blob]: ...


class _SigningIdentity(Protocol):
    """Default credentials that sign through the IAM Credentials API (a service account's)."""

    service_account_email: str
    token: str


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    md5_b64: str | None


@dataclass(frozen=True)
class SignedRequest:
    url: str
    method: str
    headers: dict[str, str]


@cache
def client() -> "Client":
    from google.cloud import storage

    if os.environ.get(EMULATOR_VARIABLE):
        from google.auth.credentials import AnonymousCredentials

        return storage.Client(project=settings.GCS_PROJECT or "local", credentials=AnonymousCredentials())
    return storage.Client(project=settings.GCS_PROJECT)


def _typed_client() -> _Client:
    return cast(_Client, client())


def bucket() -> _Bucket:
    return _typed_client().bucket(settings.GCS_BUCKET)


def _blob(key: str) -> _Blob:
    return bucket().blob(key)


class BucketStorage(GoogleCloudStorage):
    """django-storages' GCS backend, sharing this module's client."""

    @property
    def client(self) -> "Client":
        return client()


def object_info(key: str) -> ObjectInfo | None:
    blob = bucket().get_blob(key)
    if blob is None:
        return None
    return ObjectInfo(size=int(blob.size or 0), md5_b64=blob.md5_hash)


def object_head(key: str, length: int) -> bytes:
    """Up to `length` leading bytes of the object."""
    from google.api_core.exceptions import RequestRangeNotSatisfiable

    try:
        return _blob(key).download_as_bytes(start=0, end=length - 1)
    except RequestRangeNotSatisfiable:
        return b""  # an empty object has no byte 0


def object_metadata_set(key: str, *, content_type: str, content_disposition: str) -> None:
    blob = _blob(key)
    blob.content_type = content_type
    blob.content_disposition = content_disposition
    blob.patch()


def object_delete(key: str) -> None:
    from google.api_core.exceptions import NotFound

    with suppress(NotFound):
        _blob(key).delete()


def object_listing(prefix: str) -> Iterator[tuple[str, datetime | None]]:
    """Each object's key and last update, from the listing itself (no request per object)."""
    for blob in _typed_client().list_blobs(settings.GCS_BUCKET, prefix=prefix):
        yield blob.name, blob.updated


def ping() -> None:
    """Raises unless the bucket answers a listing."""
    next(iter(_typed_client().list_blobs(settings.GCS_BUCKET, max_results=1)), None)


def _signing_arguments() -> dict[str, Any]:
    """How to sign: a key file when one is given, else the IAM Credentials API."""
    if settings.GCS_SIGNING_KEY_FILE:
        from google.oauth2 import service_account

        # google-auth is untyped.
        key_credentials = service_account.Credentials.from_service_account_file(settings.GCS_SIGNING_KEY_FILE)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        return {"credentials": key_credentials}
    import google.auth
    from google.auth.transport.requests import Request

    credentials, _ = cast(tuple[Any, object], google.auth.default())  # pyright: ignore[reportUnknownMemberType]
    credentials.refresh(Request())
    identity = cast(_SigningIdentity, credentials)
    return {
        "service_account_email": identity.service_account_email,
        "access_token": identity.token,
    }


def signed_url(
    key: str,
    *,
    method: str,
    expires_at: datetime,
    headers: dict[str, str] | None = None,
    response_type: str | None = None,
    response_disposition: str | None = None,
) -> SignedRequest:
    """A V4 signed URL; `headers` are bound into the signature and must be sent."""
    endpoint = settings.GCS_PUBLIC_ENDPOINT or os.environ.get(EMULATOR_VARIABLE) or None
    url = _blob(key).generate_signed_url(
        version="v4",
        expiration=expires_at,
        method=method,
        headers=headers,
        response_type=response_type,
        response_disposition=response_disposition,
        api_access_endpoint=endpoint,
        **_signing_arguments(),
    )
    return SignedRequest(url=url, method=method, headers=dict(headers or {}))


def resumable_session(key: str, *, content_type: str, size: int) -> str:
    """A resumable upload session URI; the URI itself authorises the upload."""
    session = _blob(key).create_resumable_upload_session(content_type=content_type, size=size)
    if session is None:
        raise RuntimeError(NO_RESUMABLE_SESSION.format(key=key))
    return session
