"""The app's answers to embedded mode's signed download URLs (uploads: `local_upload`)."""

from collections.abc import AsyncIterator
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from app.core.problems import NotFound, Problem, problem_answer
from app.files.selectors import FILE_NOT_FOUND
from app.files.storage import CHUNK_BYTES, download_headers, in_storage_thread, storage
from app.files.storage.local import LocalStorage, download_grant_load


def _local_storage() -> LocalStorage:
    found = storage()
    if not isinstance(found, LocalStorage):
        # A token from an earlier embedded-mode run: this app now uses GCS.
        raise NotFound(FILE_NOT_FOUND)
    return found


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


# The token is the credential, not a cookie: nothing for CSRF to protect, and its failure log would name the path.
@csrf_exempt
@require_GET
async def local_download(request: HttpRequest, token: str) -> HttpResponseBase:
    try:
        return await _download(token)
    except Problem as problem:
        return problem_answer(request, problem)


app_name = "files"
urlpatterns = [
    path("download/<str:token>", local_download, name="local-download"),
]
