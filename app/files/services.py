"""Writes for files: the two upload paths, completion, deletion, download links.

Every rejection removes what was stored and raises a `Problem` naming the reason. A request
that fails or is cancelled half-way gives back what it reserved before it ends (`_release`).
Feature flags decide, per user, whether uploads are open, whether the direct
path is offered, the quota, and whether downloads go through the CDN
(app/files/availability.py, app/files/quota.py).
"""

import asyncio
import base64
import binascii
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import IO

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from app.accounts.models import User
from app.core import db, telemetry
from app.core.problems import NotFound, Problem, ProblemCode
from app.files import metrics
from app.files.availability import direct_uploads_check, is_cdn_download, uploads_open_check
from app.files.content_types import SNIFF_BYTES, content_check, declared_type_check, extension_check
from app.files.filenames import filename_clean
from app.files.models import File
from app.files.quota import QuotaLimits, owner_lock, quota_check, quota_limits
from app.files.selectors import FILE_NOT_FOUND, file_owned
from app.files.storage import (
    StorageUnavailable,
    UploadTarget,
    in_storage_thread,
    storage,
    storage_key,
    write_arriving,
)
from app.integrations import cloud_cdn

logger = logging.getLogger(__name__)

FILE_EMPTY = "The file is empty."
FILE_TOO_LARGE = "The file is {size} bytes; the limit here is {limit} bytes."
CHECKSUM_MALFORMED = "checksum must be the base64 MD5 of the content (24 characters)."
UPLOAD_NOT_ARRIVED = "The upload has not arrived yet; PUT the bytes to upload_url first."
UPLOAD_EXPIRED = "The upload expired before it was completed."
UPLOAD_GONE = "This upload no longer exists."
ALREADY_UPLOADED = "The bytes for this upload have already been received."
SIZE_MISMATCH = "The upload is {actual} bytes, but {declared} were declared."
CHECKSUM_MISMATCH = "The upload's MD5 does not match the declared checksum."
STORED_OTHERWISE = "Storage does not hold the {size} bytes just written under {key}."


def _size_check(size: int, *, limit: int) -> None:
    if size <= 0:
        raise Problem(FILE_EMPTY, code=ProblemCode.EMPTY_FILE, status=422)
    if size > limit:
        raise Problem(FILE_TOO_LARGE.format(size=size, limit=limit), code=ProblemCode.FILE_TOO_LARGE, status=413)


def _checksum_check(checksum: str | None) -> str:
    if checksum is None:
        return ""
    try:
        raw = base64.b64decode(checksum, validate=True)
    except binascii.Error:
        raw = b""
    if len(raw) != 16:
        raise Problem(CHECKSUM_MALFORMED, code=ProblemCode.INVALID_CHECKSUM, status=422)
    return checksum


def _reserve(file: File, limits: QuotaLimits) -> None:
    """Inserts the pending file if the owner's quota has room for it. Call through `db.write`."""
    owner_lock(file.owner_id)
    quota_check(file.owner_id, timezone.now(), limits=limits, size=file.size)
    file.save(force_insert=True)


def _mark_ready(file: File, checksum_md5: str, limits: QuotaLimits) -> File:
    """The file, now ready, if the quota still holds it. Call through `db.write`."""
    owner_lock(file.owner_id)
    current = File.objects.select_for_update().filter(id=file.id).first()
    if current is None:
        # Deleted by its owner while the bytes were being verified.
        raise Problem(UPLOAD_GONE, code=ProblemCode.UPLOAD_GONE, status=410)
    if current.status == File.Status.READY:
        return current
    now = timezone.now()
    # Again at completion: other uploads may have completed meanwhile.
    quota_check(file.owner_id, now, limits=limits, size=file.size, excluding=file.id)
    current.status = File.Status.READY
    current.checksum_md5 = checksum_md5
    current.completed_at = now
    current.expires_at = None
    current.save(update_fields=["status", "checksum_md5", "completed_at", "expires_at"])
    return current


def _mark_reserved_ready(file: File, checksum_md5: str, limits: QuotaLimits) -> File:
    """`_mark_ready` for an upload that completes within its own request: while its reservation
    holds, the quota already counts it, so one statement completes it without the owner's lock
    (under a slow database, the owner's other uploads wait for it only while it reserves).
    Call through `db.write`."""
    now = timezone.now()
    completed = File.objects.filter(id=file.id, status=File.Status.PENDING, expires_at__gt=now).update(
        status=File.Status.READY, checksum_md5=checksum_md5, completed_at=now, expires_at=None
    )
    if not completed:
        # Deleted, or held past its reservation: decide under the lock, as any completion.
        return _mark_ready(file, checksum_md5, limits)
    file.status, file.checksum_md5, file.completed_at, file.expires_at = File.Status.READY, checksum_md5, now, None
    return file


async def _forget(file: File) -> None:
    await db.write(File.objects.filter(id=file.id).delete)


async def _discard(file: File) -> None:
    """Removes the object first, then the row: a failure leaves a row the cleanup finds."""
    await in_storage_thread(storage().delete, file.storage_key)
    await _forget(file)


def _expire(file: File) -> None:
    File.objects.filter(id=file.id, status=File.Status.PENDING).update(expires_at=timezone.now())


async def _release(file: File) -> None:
    """Gives back what an upload that will not complete reserved: its object, then its row.

    When storage cannot remove the object now, the pending row is expired instead: its quota
    is free at once, and the cleanup removes the row and any object later.
    """
    try:
        await in_storage_thread(storage().delete, file.storage_key)
    except StorageUnavailable:
        await db.write(lambda: _expire(file))
        return
    await _forget(file)


async def _reject(file: File, problem: Problem) -> Problem:
    await _release(file)
    logger.info("upload rejected", extra={"file_id": str(file.id), "reason": problem.code})
    return problem


def small_upload_hold() -> timedelta:
    """How long a small upload's reservation holds quota: as long as its request can last (its
    storage write, the removal of a failed one, its two database writes). A worker killed
    half-way leaves a reservation that frees the quota by itself this soon after."""
    return timedelta(seconds=3 * settings.STORAGE_TIMEOUT_SECONDS + 2 * settings.DATABASE_TIMEOUT_SECONDS)


def _new_file(
    *, owner: User, filename: str, content_type: str, size: int, checksum: str, hold: timedelta | None = None
) -> File:
    """A pending file; it holds quota for `hold` (default FILES_PENDING_TTL_SECONDS) unless completed."""
    file_id = uuid.uuid4()
    now = timezone.now()
    return File(
        id=file_id,
        owner=owner,
        storage_key=storage_key(owner_id=owner.id, file_id=file_id),
        filename=filename,
        content_type=content_type,
        size=size,
        checksum_md5=checksum,
        status=File.Status.PENDING,
        created_at=now,
        expires_at=now + (hold or timedelta(seconds=settings.FILES_PENDING_TTL_SECONDS)),
    )


def _read_head(stream: IO[bytes]) -> bytes:
    stream.seek(0)
    head = stream.read(SNIFF_BYTES)
    stream.seek(0)
    return head


def _stored_md5(key: str, size: int) -> str:
    """The MD5 storage computed while it wrote the object, once it holds all `size` bytes."""
    stored = storage().info(key)
    if stored is None or stored.size != size or not stored.md5_b64:
        raise RuntimeError(STORED_OTHERWISE.format(key=key, size=size))
    return stored.md5_b64


@telemetry.traced("upload.small", on_problem=metrics.upload_rejected)
async def file_upload(*, owner: User, upload: UploadedFile) -> File:
    """The small-upload path: the multipart body was spooled to disk by Django."""
    uploads_open_check(owner)
    size = upload.size or 0
    metrics.upload_started(kind="small", size=size)
    _size_check(size, limit=min(settings.FILES_SMALL_UPLOAD_MAX_BYTES, settings.FILES_MAX_BYTES))
    filename = filename_clean(upload.name or "")
    head = await in_storage_thread(_read_head, upload.file)
    declared = upload.content_type
    if declared in (None, "", "application/octet-stream"):
        declared = None  # a client that did not say; the content decides
    content_type = content_check(head=head, is_whole=size <= SNIFF_BYTES, declared=declared, filename=filename)
    file = _new_file(
        owner=owner, filename=filename, content_type=content_type, size=size, checksum="", hold=small_upload_hold()
    )
    limits = quota_limits(owner)
    await db.write(lambda: _reserve(file, limits))
    try:
        await in_storage_thread(
            storage().write, file.storage_key, upload.file, size=size, content_type=content_type, filename=filename
        )
        # Hashed once, by storage on the way in (GCS computes it on its side).
        md5 = await in_storage_thread(_stored_md5, file.storage_key, size)
        ready = await db.write(lambda: _mark_reserved_ready(file, md5, limits))
    except BaseException:
        # Also when the client went away: the write is over by now (in_storage_thread waits for it).
        await _release(file)
        raise
    metrics.upload_completed(kind="small", size=size)
    return ready


@telemetry.traced("upload.start", on_problem=metrics.upload_rejected)
async def upload_start(
    *,
    owner: User,
    filename: str,
    size: int,
    content_type: str,
    checksum: str | None,
    resumable: bool,
) -> tuple[File, UploadTarget, datetime]:
    """Reserves quota for a direct upload and returns where to PUT the bytes."""
    uploads_open_check(owner)
    direct_uploads_check(owner)
    metrics.upload_started(kind="direct", size=size)
    _size_check(size, limit=settings.FILES_MAX_BYTES)
    clean_name = filename_clean(filename)
    normalised_type = declared_type_check(content_type)
    extension_check(clean_name, normalised_type)
    md5 = _checksum_check(checksum)
    file = _new_file(owner=owner, filename=clean_name, content_type=normalised_type, size=size, checksum=md5)
    limits = quota_limits(owner)
    await db.write(lambda: _reserve(file, limits))
    url_expires_at = timezone.now() + timedelta(seconds=settings.FILES_UPLOAD_URL_TTL_SECONDS)
    try:
        target = await in_storage_thread(
            storage().upload_target,
            key=file.storage_key,
            size=size,
            content_type=normalised_type,
            md5_b64=md5 or None,
            expires_at=url_expires_at,
            resumable=resumable,
        )
    except BaseException:
        await _forget(file)
        raise
    logger.info("upload started", extra={"file_id": str(file.id), "size": size})
    return file, target, url_expires_at


def _claim(key: str) -> File:
    """The pending upload under `key`, now claimed by this PUT. Call through `db.write`."""
    # One UPDATE decides: of two PUTs at once, the database lets exactly one set received_at.
    claimed = File.objects.filter(storage_key=key, status=File.Status.PENDING, received_at__isnull=True).update(
        received_at=timezone.now()
    )
    file = File.objects.select_related("owner").filter(storage_key=key).first()
    if file is None:
        raise Problem(UPLOAD_GONE, code=ProblemCode.UPLOAD_GONE, status=410)
    if not claimed:
        raise Problem(ALREADY_UPLOADED, code=ProblemCode.ALREADY_UPLOADED, status=409)
    return file


async def upload_receive(*, key: str, chunks: AsyncIterator[bytes]) -> None:
    """Stores the bytes of a pending direct upload as they arrive, once (embedded mode's signed PUT).

    The upload is claimed first: a second PUT, at the same time or later, gets
    409 and the stored bytes stay the first one's. A PUT that fails on the way
    (the client went away, storage refused) gives its claim back, so the
    client may send the bytes again.
    """
    file = await db.write(lambda: _claim(key))
    try:
        await _receive(file, chunks)
    except BaseException:
        unclaim = File.objects.filter(id=file.id, received_at=file.received_at).update
        await asyncio.shield(db.write(lambda: unclaim(received_at=None)))
        raise


async def _receive(file: File, chunks: AsyncIterator[bytes]) -> None:
    uploads_open_check(file.owner)
    if await in_storage_thread(storage().info, file.storage_key) is not None:
        # Stored before claims were recorded.
        raise Problem(ALREADY_UPLOADED, code=ProblemCode.ALREADY_UPLOADED, status=409)
    await write_arriving(
        file.storage_key, chunks, size=file.size, content_type=file.content_type, filename=file.filename
    )


@telemetry.traced("upload.complete", on_problem=metrics.upload_rejected)
async def upload_complete(*, owner: User, file_id: uuid.UUID) -> File:
    """Verifies the uploaded object against the declaration; the file becomes ready or is removed."""
    uploads_open_check(owner)
    file = await file_owned(owner=owner, file_id=file_id)
    if file.status == File.Status.READY:
        return file
    if file.expires_at is not None and file.expires_at <= timezone.now():
        raise await _reject(file, Problem(UPLOAD_EXPIRED, code=ProblemCode.UPLOAD_EXPIRED, status=410))
    found = await in_storage_thread(storage().info, file.storage_key)
    if found is None:
        raise Problem(UPLOAD_NOT_ARRIVED, code=ProblemCode.UPLOAD_MISSING, status=409)
    if found.size != file.size:
        raise await _reject(
            file,
            Problem(
                SIZE_MISMATCH.format(actual=found.size, declared=file.size),
                code=ProblemCode.SIZE_MISMATCH,
                status=422,
            ),
        )
    if file.checksum_md5 and found.md5_b64 != file.checksum_md5:
        raise await _reject(file, Problem(CHECKSUM_MISMATCH, code=ProblemCode.CHECKSUM_MISMATCH, status=422))
    head = await in_storage_thread(storage().read_head, file.storage_key, SNIFF_BYTES)
    try:
        content_check(
            head=head,
            is_whole=file.size <= SNIFF_BYTES,
            declared=file.content_type,
            filename=file.filename,
        )
        await in_storage_thread(
            storage().describe, file.storage_key, content_type=file.content_type, filename=file.filename
        )
        limits = quota_limits(owner)
        ready = await db.write(lambda: _mark_ready(file, found.md5_b64 or "", limits))
    except Problem as problem:
        raise await _reject(file, problem) from None
    logger.info("upload completed", extra={"file_id": str(file.id), "size": file.size})
    metrics.upload_completed(kind="direct", size=file.size)
    return ready


async def file_delete(*, owner: User, file_id: uuid.UUID) -> None:
    file = await file_owned(owner=owner, file_id=file_id)
    await _discard(file)


def _download_url(file: File, expires_at: datetime, *, through_cdn: bool) -> str:
    if through_cdn:
        # Cloud CDN in front of the bucket: its own signature scheme, and cached at the edge.
        return cloud_cdn.cdn_url_sign(
            f"{settings.CDN_BASE_URL.rstrip('/')}/{file.storage_key}",
            key_name=settings.CDN_SIGNING_KEY_NAME,
            key_b64=settings.CDN_SIGNING_KEY,
            expires_at=expires_at,
        )
    return storage().download_url(
        key=file.storage_key, filename=file.filename, content_type=file.content_type, expires_at=expires_at
    )


@telemetry.traced("download.sign")
async def file_download_url(*, owner: User, file_id: uuid.UUID) -> tuple[File, str]:
    file = await file_owned(owner=owner, file_id=file_id)
    if file.status != File.Status.READY:
        raise NotFound(FILE_NOT_FOUND)
    expires_at = timezone.now() + timedelta(seconds=settings.FILES_DOWNLOAD_URL_TTL_SECONDS)
    through_cdn = is_cdn_download(owner)
    return file, await in_storage_thread(_download_url, file, expires_at, through_cdn=through_cdn)
