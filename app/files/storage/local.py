"""Embedded mode's storage: files under var/media, and signed URLs the app itself answers.

The URLs carry a token signed with Django's signing (SECRET_KEY and a salt per
kind): tampering breaks the signature, and the expiry inside it is checked
when the URL is answered, as GCS does for its own. `local_upload` answers the
upload's PUT (before Django reads the body), `local_views` the downloads.

Each object's MD5, computed while it is written, is kept beside it in
`<object>.md5` (with its size), so that completing an upload reads nothing
but the object's first bytes.
"""

import base64
import hashlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from django.core import signing
from django.urls import reverse

from app.core.problems import Problem, ProblemCode
from app.core.signed_urls import SIGNED_URL_PREFIX
from app.files.storage import CHUNK_BYTES, Readable, StoredObject, UploadTarget, md5_b64_of

_UPLOAD_SALT = "files.local-upload"
_DOWNLOAD_SALT = "files.local-download"

TOKEN_INVALID = "The signed URL is invalid."
TOKEN_EXPIRED = "The signed URL has expired."
NOT_A_DIRECTORY = "{root} is not a directory"
STREAM_ENDED_EARLY = "The stream ended {missing} bytes short of the {size} to store."

# Where the app answers the PUT of an upload's bytes (app/files/storage/local_upload.py).
LOCAL_UPLOAD_PREFIX = f"{SIGNED_URL_PREFIX}upload/"
# Beside each object: its size and base64 MD5.
_DIGEST_SUFFIX = ".md5"


@dataclass(frozen=True)
class UploadGrant:
    """What a signed upload URL allows: exactly these bytes, of this type, to this key."""

    key: str
    size: int
    content_type: str
    md5_b64: str | None


@dataclass(frozen=True)
class DownloadGrant:
    key: str
    filename: str
    content_type: str


def _dump(payload: dict[str, Any], *, salt: str, expires_at: datetime) -> str:
    return signing.dumps({**payload, "x": int(expires_at.timestamp())}, salt=salt)


def _load(token: str, *, salt: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = signing.loads(token, salt=salt)
    except signing.BadSignature:
        raise Problem(TOKEN_INVALID, code=ProblemCode.SIGNED_URL_INVALID, status=403) from None
    if time.time() >= data["x"]:
        raise Problem(TOKEN_EXPIRED, code=ProblemCode.SIGNED_URL_EXPIRED, status=403)
    return data


def upload_grant_load(token: str) -> UploadGrant:
    data = _load(token, salt=_UPLOAD_SALT)
    return UploadGrant(key=data["k"], size=data["s"], content_type=data["t"], md5_b64=data["m"])


def download_grant_load(token: str) -> DownloadGrant:
    data = _load(token, salt=_DOWNLOAD_SALT)
    return DownloadGrant(key=data["k"], filename=data["n"], content_type=data["t"])


class LocalStorage:
    """`ObjectStorage` on the local filesystem under `root`."""

    def __init__(self, *, root: Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / key

    def _digest_path(self, key: str) -> Path:
        path = self.path(key)
        return path.with_name(path.name + _DIGEST_SUFFIX)

    def write(self, key: str, stream: Readable, *, size: int, content_type: str, filename: str) -> None:
        # Written beside its final name, made durable, then renamed into place:
        # nobody ever sees half a file, and an acknowledged one survives a crash.
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
        partial = path.with_name(path.name + ".part")
        try:
            with partial.open("wb") as out:
                partial.chmod(0o640)
                md5_b64 = _copy_exactly(stream, out, size)
                out.flush()
                os.fsync(out.fileno())
            # A digest must never describe other bytes than the object's: gone before they change.
            self._digest_path(key).unlink(missing_ok=True)
            partial.replace(path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        _fsync_directory(path.parent)
        self._digest_path(key).write_text(f"{size} {md5_b64}\n")

    def _recorded_md5(self, key: str, size: int) -> str | None:
        """The MD5 recorded when the object was written, if it is there and of this size."""
        try:
            recorded_size, md5_b64 = self._digest_path(key).read_text().split()
        except (FileNotFoundError, ValueError):
            return None
        return md5_b64 if recorded_size == str(size) else None

    def info(self, key: str) -> StoredObject | None:
        path = self.path(key)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return None
        md5_b64 = self._recorded_md5(key, size)
        if md5_b64 is None:
            # Written before digests were kept, or its digest was lost in a crash: read it once.
            with path.open("rb") as stream:
                md5_b64 = md5_b64_of(stream)
        return StoredObject(size=size, md5_b64=md5_b64)

    def read_head(self, key: str, length: int) -> bytes:
        with self.path(key).open("rb") as stream:
            return stream.read(length)

    def describe(self, key: str, *, content_type: str, filename: str) -> None:
        """Nothing to record: the signed download URL carries the type and name."""

    def delete(self, key: str) -> None:
        # The digest first: a digest never outlives its object.
        self._digest_path(key).unlink(missing_ok=True)
        self.path(key).unlink(missing_ok=True)

    def listing(self, prefix: str) -> Iterator[tuple[str, datetime | None]]:
        for path in sorted((self.root / prefix).rglob("*")):
            if path.is_file() and not path.name.endswith(_DIGEST_SUFFIX):
                yield path.relative_to(self.root).as_posix(), datetime.fromtimestamp(path.stat().st_mtime, UTC)

    def ping(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if not self.root.is_dir():
            raise OSError(NOT_A_DIRECTORY.format(root=self.root))

    def upload_target(
        self,
        *,
        key: str,
        size: int,
        content_type: str,
        md5_b64: str | None,
        expires_at: datetime,
        resumable: bool,
    ) -> UploadTarget:
        payload = {"k": key, "s": size, "t": content_type, "m": md5_b64}
        token = _dump(payload, salt=_UPLOAD_SALT, expires_at=expires_at)
        headers = {"Content-Type": content_type}
        if md5_b64:
            headers["Content-MD5"] = md5_b64
        url = LOCAL_UPLOAD_PREFIX + token
        return UploadTarget(url=url, method="PUT", headers=headers, is_resumable=False)

    def download_url(self, *, key: str, filename: str, content_type: str, expires_at: datetime) -> str:
        payload = {"k": key, "n": filename, "t": content_type}
        token = _dump(payload, salt=_DOWNLOAD_SALT, expires_at=expires_at)
        return reverse("files:local-download", kwargs={"token": token})


def _copy_exactly(stream: Readable, out: BinaryIO, size: int) -> str:
    """Copies `size` bytes from `stream` to `out` and returns their base64 MD5."""
    digest = hashlib.md5(usedforsecurity=False)
    left = size
    while left > 0 and (chunk := stream.read(min(CHUNK_BYTES, left))):
        out.write(chunk)
        digest.update(chunk)
        left -= len(chunk)
    if left:
        raise ValueError(STREAM_ENDED_EARLY.format(missing=left, size=size))
    return base64.b64encode(digest.digest()).decode()


def _fsync_directory(directory: Path) -> None:
    """Makes a rename in `directory` durable."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
