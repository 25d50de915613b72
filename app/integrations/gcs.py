"""Google Cloud Storage: the client, its retry and timeout policy, and V4 signed URLs.

`google.cloud.storage` costs about 200 ms to import, so it is imported only
when a GCS call is made, never at start-up in embedded mode.
"""

import os
from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol, cast
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

if TYPE_CHECKING:
    from google.api_core.retry import Retry
    from google.cloud.storage import Client

# The emulator's host, set by the standard variable the client library reads.
EMULATOR_VARIABLE = "STORAGE_EMULATOR_HOST"
NO_RESUMABLE_SESSION = "GCS answered no resumable upload session URI for {key!r}"

# STORAGE_TIMEOUT_SECONDS split between one HTTP request's connect and read
# timeouts and how long a call keeps retrying transient errors (429, 5xx,
# resets): a last attempt started just before the retry deadline still ends
# within the whole. The library's defaults (60 s reads, retries for 120 s) are
# far longer than any request that waits on the answer.
CONNECT_SHARE = 0.2
READ_SHARE = 0.4
RETRY_SHARE = 0.4
# `ping` (readiness) tries once, within this.
PING_TIMEOUT_SECONDS = (1.0, 2.0)


# google-cloud-storage has no type annotations: these protocols type the part of it used here.
class Blob(Protocol):
    name: str
    content_type: str | None
    content_disposition: str | None

    @property
    def size(self) -> int | None: ...
    @property
    def md5_hash(self) -> str | None: ...
    @property
    def updated(self) -> datetime | None: ...

    def upload_from_file(
        self, file_obj: Any, *, size: int, content_type: str, retry: "Retry", timeout: tuple[float, float]
    ) -> None: ...
    def download_as_bytes(self, *, start: int, end: int, retry: "Retry", timeout: tuple[float, float]) -> bytes: ...
    def patch(self, *, retry: "Retry", timeout: tuple[float, float]) -> None: ...
    def delete(self, *, retry: "Retry", timeout: tuple[float, float]) -> None: ...
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
    def create_resumable_upload_session(
        self, *, content_type: str, size: int, retry: "Retry", timeout: tuple[float, float]
    ) -> str | None: ...


class Bucket(Protocol):
    def blob(self, blob_name: str) -> Blob: ...
    def get_blob(self, blob_name: str, *, retry: "Retry", timeout: tuple[float, float]) -> Blob | None: ...


class _Client(Protocol):
    def bucket(self, bucket_name: str) -> Bucket: ...
    def list_blobs(
        self,
        bucket_or_name: str,
        *,
        prefix: str | None = None,
        max_results: int | None = None,
        retry: "Retry | None",
        timeout: tuple[float, float],
    ) -> Iterable[Blob]: ...


class _SigningIdentity(Protocol):
    """Default credentials that sign through the IAM Credentials API (a service account's)."""

    service_account_email: str
    token: str


@cache
def client() -> "Client":
    from google.cloud import storage

    if os.environ.get(EMULATOR_VARIABLE):
        from google.auth.credentials import AnonymousCredentials

        return storage.Client(project=settings.GCS_PROJECT or "local", credentials=AnonymousCredentials())
    return storage.Client(project=settings.GCS_PROJECT)


def typed_client() -> _Client:
    return cast(_Client, client())


def bucket(name: str) -> Bucket:
    return typed_client().bucket(name)


def request_timeout() -> tuple[float, float]:
    """(connect, read) seconds for each HTTP request of a storage call."""
    total = settings.STORAGE_TIMEOUT_SECONDS
    return (total * CONNECT_SHARE, total * READ_SHARE)


@cache
def retry() -> "Retry":
    """The library's own retry policy (idempotent calls, transient errors), bounded in time."""
    from google.cloud.storage.retry import DEFAULT_RETRY

    return DEFAULT_RETRY.with_timeout(settings.STORAGE_TIMEOUT_SECONDS * RETRY_SHARE)


def is_unavailable(error: BaseException) -> bool:
    """Whether `error` says storage could not be reached or did not answer in time (not a refusal)."""
    import http.client

    import requests
    import urllib3.exceptions
    from google.api_core import exceptions as api_exceptions
    from google.auth import exceptions as auth_exceptions

    return isinstance(
        error,
        api_exceptions.RetryError
        | api_exceptions.ServerError
        | api_exceptions.TooManyRequests
        | requests.RequestException
        | urllib3.exceptions.HTTPError
        | http.client.HTTPException
        | auth_exceptions.TransportError
        | ConnectionError
        | TimeoutError,
    )


def is_emulated() -> bool:
    return bool(os.environ.get(EMULATOR_VARIABLE))


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
    blob: Blob,
    *,
    method: str,
    expires_at: datetime,
    headers: dict[str, str] | None = None,
    response_type: str | None = None,
    response_disposition: str | None = None,
) -> str:
    """A V4 signed URL; `headers` are bound into the signature and must be sent."""
    endpoint = settings.GCS_PUBLIC_ENDPOINT or os.environ.get(EMULATOR_VARIABLE) or None
    return blob.generate_signed_url(
        version="v4",
        expiration=expires_at,
        method=method,
        headers=headers,
        response_type=response_type,
        response_disposition=response_disposition,
        api_access_endpoint=endpoint,
        **_signing_arguments(),
    )


def resumable_session(blob: Blob, *, content_type: str, size: int) -> str:
    """A resumable upload session URI; the URI itself authorises the upload.

    An emulator answers with its own address (compose: `http://gcs:9023/...`),
    which only its peers can reach; with GCS_PUBLIC_ENDPOINT set the session
    is handed out on that endpoint instead, as signed URLs are.
    """
    session = blob.create_resumable_upload_session(
        content_type=content_type, size=size, retry=retry(), timeout=request_timeout()
    )
    if session is None:
        raise RuntimeError(NO_RESUMABLE_SESSION.format(key=blob.name))
    if is_emulated() and settings.GCS_PUBLIC_ENDPOINT:
        return public_origin(session, settings.GCS_PUBLIC_ENDPOINT)
    return session


def public_origin(url: str, public_endpoint: str) -> str:
    """`url` with its scheme and host replaced by `public_endpoint`'s, and that endpoint's path put in front."""
    parts, public = urlsplit(url), urlsplit(public_endpoint)
    return urlunsplit((public.scheme, public.netloc, public.path.rstrip("/") + parts.path, parts.query, ""))
