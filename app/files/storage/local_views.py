"""The app's answers to embedded mode's signed URLs: the PUT of an upload's bytes, and downloads."""

from collections.abc import AsyncIterator
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from app.core.problems import NotFound, Problem, ProblemCode, problem_answer
from app.files import services
from app.files.selectors import FILE_NOT_FOUND
from app.files.storage import CHUNK_BYTES, download_headers, in_storage_thread, storage
from app.files.storage.local import LocalStorage, download_grant_load, upload_grant_load

HEADER_MISMATCH = "The {header} header must be {expected!r}, as the signed URL says."


def _expect_header(request: HttpRequest, header: str, expected: str) -> None:
    if request.headers.get(header, "") != expected:
        raise Problem(
            HEADER_MISMATCH.format(header=header, expected=expected),
            code=ProblemCode.SIGNED_HEADERS_MISMATCH,
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


def _local_storage() -> LocalStorage:
    found = storage()
    if not isinstance(found, LocalStorage):
        # A token from an earlier embedded-mode run: this app now uses GCS.
        raise NotFound(FILE_NOT_FOUND)
    return found


async def _upload(request: HttpRequest, token: str) -> HttpResponse:
    grant = upload_grant_load(token)
    _expect_header(request, "Content-Type", grant.content_type)
    _expect_header(request, "Content-Length", str(grant.size))
    if grant.md5_b64:
        _expect_header(request, "Content-MD5", grant.md5_b64)
    _local_storage()
    await services.upload_receive(key=grant.key, stream=_BodyStream(request, grant.size), size=grant.size)
    return HttpResponse(status=200)


async def _chunks(path: Path) -> AsyncIterator[bytes]:
    stream = await in_storage_thread(path.open, "rb")
    try:
        while chunk := await in_storage_thread(stream.read, CHUNK_BYTES):
            yield chunk
    finally:
        await in_storage_thread(stream.close)


async def _download(token: str) -> HttpResponseBase:
    grant = download_grant_load(token)
    path = _local_storage().path(grant.key)
    if not await in_storage_thread(path.is_file):
        raise NotFound(FILE_NOT_FOUND)
    response: HttpResponseBase
    if settings.FILES_LOCAL_ACCEL_REDIRECT_PREFIX:
        # nginx serves the bytes from its internal location; the app sends none.
        response = HttpResponse(content_type=grant.content_type)
        response["X-Accel-Redirect"] = settings.FILES_LOCAL_ACCEL_REDIRECT_PREFIX.rstrip("/") + "/" + grant.key
    else:
        response = StreamingHttpResponse(_chunks(path), content_type=grant.content_type)
        response["Content-Length"] = str((await in_storage_thread(path.stat)).st_size)
    for header, value in download_headers(grant.filename).items():
        response[header] = value
    return response


@csrf_exempt
@require_http_methods(["PUT"])
async def local_upload(request: HttpRequest, token: str) -> HttpResponseBase:
    try:
        return await _upload(request, token)
    except Problem as problem:
        return problem_answer(request, problem)


@require_GET
async def local_download(request: HttpRequest, token: str) -> HttpResponseBase:
    try:
        return await _download(token)
    except Problem as problem:
        return problem_answer(request, problem)


app_name = "files"
urlpatterns = [
    path("upload/<str:token>", local_upload, name="local-upload"),
    path("download/<str:token>", local_download, name="local-download"),
]
