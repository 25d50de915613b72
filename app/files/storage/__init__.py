"""Where file bytes live: one interface, two implementations, chosen once from settings.

`GcsStorage` (app/files/storage/gcs.py) when GCS_BUCKET is set; otherwise
`LocalStorage` (app/files/storage/local.py), embedded mode's files under
var/media with the app's own signed URLs standing in for GCS's. Services call
`storage()` and never ask which one they got.

Every method blocks: async code calls them through `in_storage_thread`, which
runs them on threads of their own, with a deadline and a fast 503 while storage
is down (app/files/storage/guard.py), so a slow or failing storage endpoint can
neither stall the event loop nor take the threads Django and the database use.
"""

import asyncio
import base64
import concurrent.futures
import hashlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache, partial
from typing import Protocol, cast

from django.conf import settings

# django-types lags Django 6.1: it has no content_disposition_header (added in Django 4.2).
from django.utils.http import content_disposition_header  # pyright: ignore[reportAttributeAccessIssue, reportUnknownVariableType]

from app.files.storage import guard
from app.files.storage.guard import StorageUnavailable

__all__ = ["StorageUnavailable"]

CHUNK_BYTES = 1024 * 1024


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


@dataclass(frozen=True)
class StoredObject:
    """What storage holds under a key: its size and base64 MD5 (the Content-MD5 format)."""

    size: int
    md5_b64: str | None


@dataclass(frozen=True)
class UploadTarget:
    """Where and how a client sends the bytes of a direct upload."""

    url: str
    method: str
    headers: dict[str, str]
    is_resumable: bool


class ObjectStorage(Protocol):
    """The storage operations the files app needs, whatever holds the bytes."""

    def write(self, key: str, stream: Readable, *, size: int, content_type: str, filename: str) -> None:
        """Stores exactly `size` bytes from `stream`, served later as `content_type` and `filename`."""
        ...

    def info(self, key: str) -> StoredObject | None: ...

    def read_head(self, key: str, length: int) -> bytes:
        """Up to `length` leading bytes of the object."""
        ...

    def describe(self, key: str, *, content_type: str, filename: str) -> None:
        """Records the type and attachment name that every path serving the object sends."""
        ...

    def delete(self, key: str) -> None:
        """Removes the object; a missing one is not an error."""
        ...

    def listing(self, prefix: str) -> Iterator[tuple[str, datetime | None]]:
        """Every object under `prefix`: its key and when it last changed."""
        ...

    def ping(self) -> None:
        """Raises unless the storage answers, within a few seconds."""
        ...

    def upload_target(
        self,
        *,
        key: str,
        size: int,
        content_type: str,
        md5_b64: str | None,
        expires_at: datetime,
        resumable: bool,
    ) -> UploadTarget: ...

    def download_url(self, *, key: str, filename: str, content_type: str, expires_at: datetime) -> str:
        """A URL that serves the object as an attachment until `expires_at`."""
        ...


@cache
def storage() -> ObjectStorage:
    """The configured storage, decided once per process."""
    if settings.GCS_BUCKET:
        from app.files.storage.gcs import GcsStorage

        return GcsStorage(bucket_name=settings.GCS_BUCKET)
    from app.files.storage.local import LocalStorage

    return LocalStorage(root=settings.MEDIA_ROOT)


async def in_storage_thread[**P, R](call: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Runs a blocking storage call on the storage threads, guarded (see guard.py): it returns
    or raises only once the call is over, even when the caller is cancelled."""
    return await guard.guarded(partial(call, *args, **kwargs), ping=storage().ping)


async def storage_ping() -> None:
    """Readiness: raises at once while storage is known to be down, else unless a ping answers.

    Outside the bounded lane, so that a queue of uploads cannot make readiness wait its turn.
    """
    if guard.is_down():
        raise StorageUnavailable
    await asyncio.get_running_loop().run_in_executor(guard.executor(), storage().ping)


class ArrivingBytes:
    """A blocking `Readable`, for a storage thread, of bytes that arrive on the event loop.

    The next block (up to CHUNK_BYTES) is gathered on the loop while the
    thread writes the current one. `close()` wakes a thread waiting for bytes
    (its `read` raises), so that an abandoned write stops.
    """

    def __init__(self, chunks: AsyncIterator[bytes], loop: asyncio.AbstractEventLoop) -> None:
        self._chunks = chunks
        self._loop = loop
        self._block: bytes = b""
        self._offset = 0
        self._next = self._gather_next()

    def _gather_next(self) -> concurrent.futures.Future[bytes]:
        return asyncio.run_coroutine_threadsafe(self._gather(), self._loop)

    async def _gather(self) -> bytes:
        parts: list[bytes] = []
        gathered = 0
        while gathered < CHUNK_BYTES and (chunk := await anext(self._chunks, None)) is not None:
            parts.append(chunk)
            gathered += len(chunk)
        return b"".join(parts)

    def read(self, size: int = -1, /) -> bytes:
        if self._offset == len(self._block):
            self._block, self._offset = self._next.result(), 0
            if not self._block:
                return b""
            self._next = self._gather_next()
        end = len(self._block) if size < 0 else self._offset + size
        piece = self._block[self._offset : end]
        self._offset += len(piece)
        return piece

    def close(self) -> None:
        self._next.cancel()


async def write_arriving(
    key: str, chunks: AsyncIterator[bytes], *, size: int, content_type: str, filename: str
) -> None:
    """Stores `size` bytes as they arrive from `chunks`, written on a storage thread while more arrive.

    Returns (or raises) only once the thread is done with the object: even when
    the caller is cancelled, nothing is left writing behind its back.
    """
    reader = ArrivingBytes(chunks, asyncio.get_running_loop())
    write = partial(storage().write, key, reader, size=size, content_type=content_type, filename=filename)
    try:
        await guard.guarded(write, ping=storage().ping, on_cancel=reader.close)
    finally:
        reader.close()  # a write that failed or never started leaves no gathering behind


def md5_b64_of(stream: Readable) -> str:
    """The base64 MD5 of what is left in `stream`, read in chunks."""
    digest = hashlib.md5(usedforsecurity=False)
    while chunk := stream.read(CHUNK_BYTES):
        digest.update(chunk)
    return base64.b64encode(digest.digest()).decode()


def storage_key(*, owner_id: object, file_id: object) -> str:
    """Generated from ids, never from the filename."""
    return f"uploads/{owner_id}/{file_id}"


def attachment_header(filename: str) -> str:
    """`Content-Disposition: attachment` with the name encoded per RFC 6266."""
    header = cast(str | None, content_disposition_header(as_attachment=True, filename=filename))
    assert header is not None  # noqa: S101 - always set for attachments
    return header


def download_headers(filename: str) -> dict[str, str]:
    """The headers every answer that hands out a file's bytes (or the way to them) carries."""
    return {
        "Content-Disposition": attachment_header(filename),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }
