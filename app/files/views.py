"""Embedded mode's stand-ins for GCS: the signed upload and download URLs."""

import asyncio
from collections.abc import AsyncIterator

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from app.core.problems import Problem, problem_response
from app.files import blobs, local_urls
from app.files.models import File

HEADER_MISMATCH = "The {header} header must be {expected!r}, as the signed URL says."
ALREADY_UPLOADED = "The bytes for this upload have already been received."
UPLOAD_GONE = "This upload no longer exists."


def _expect_header(request: HttpRequest, header: str, expected: str) -> None:
    if request.headers.get(header, "") != expected:
        raise Problem(
            HEADER_MISMATCH.format(header=header, expected=expected),
            code="signed_headers_mismatch",
            status=403,
        )


class _BodyStream:
    """Reads the request body, refusing to go past the signed size."""

    def __init__(self, request: HttpRequest, size: int) -> None:
        self._request = request
        self._left = size

    def read(self, size: int = -1, /) -> bytes:
        chunk = self._request.read(self._left if size < 0 else min(size, self._left))
        self._left -= len(chunk)
        return chunk


async def _upload(request: HttpRequest, token: str) -> HttpResponse:
    grant = local_urls.upload_grant_load(token, max_age=settings.FILES_UPLOAD_URL_TTL_SECONDS)
    _expect_header(request, "Content-Type", grant.content_type)
    _expect_header(request, "Content-Length", str(grant.size))
    if grant.md5_b64:
        _expect_header(request, "Content-MD5", grant.md5_b64)
    file = await File.objects.filter(storage_key=grant.key).only("status").afirst()
    if file is None:
        raise Problem(UPLOAD_GONE, code="upload_gone", status=410)
    if file.status != File.Status.PENDING or await asyncio.to_thread(default_storage.exists, grant.key):
        raise Problem(ALREADY_UPLOADED, code="already_uploaded", status=409)
    stream = _BodyStream(request, grant.size)
    await asyncio.to_thread(
        blobs.save, grant.key, stream, size=grant.size, content_type=grant.content_type, filename=""
    )
    return HttpResponse(status=200)


async def _chunks(key: str) -> AsyncIterator[bytes]:
    stream = await asyncio.to_thread(default_storage.open, key, "rb")
    try:
        while chunk := await asyncio.to_thread(stream.read, blobs.CHUNK_BYTES):
            yield chunk
    finally:
        await asyncio.to_thread(stream.close)


async def _download(token: str) -> HttpResponseBase:
    grant = local_urls.download_grant_load(token, max_age=settings.FILES_DOWNLOAD_URL_TTL_SECONDS)
    if not await asyncio.to_thread(default_storage.exists, grant.key):
        raise Problem("No such file.", code="not_found", status=404)
    response: HttpResponseBase
    if settings.FILES_LOCAL_ACCEL_REDIRECT_PREFIX:
        # nginx serves the bytes from its internal location; the app sends none.
        response = HttpResponse(content_type=grant.content_type)
        response["X-Accel-Redirect"] = settings.FILES_LOCAL_ACCEL_REDIRECT_PREFIX.rstrip("/") + "/" + grant.key
    else:
        response = StreamingHttpResponse(_chunks(grant.key), content_type=grant.content_type)
        response["Content-Length"] = str(await asyncio.to_thread(default_storage.size, grant.key))
    response["Content-Disposition"] = blobs.attachment_header(grant.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@csrf_exempt
@require_http_methods(["PUT"])
async def local_upload(request: HttpRequest, token: str) -> HttpResponseBase:
    try:
        return await _upload(request, token)
    except Problem as problem:
        return problem_response(request, status=problem.status, detail=problem.detail, code=problem.code)


@require_GET
async def local_download(request: HttpRequest, token: str) -> HttpResponseBase:
    try:
        return await _download(token)
    except Problem as problem:
        return problem_response(request, status=problem.status, detail=problem.detail, code=problem.code)
