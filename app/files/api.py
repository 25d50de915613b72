"""The files API: thin handlers that validate, call one service or selector, and shape the answer."""

import uuid
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from ninja import File as FileParam
from ninja import Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from app.accounts.auth import authenticated_user
from app.core.problems import PROBLEM_CONTENT_TYPE
from app.files import selectors, services
from app.files.schemas import FileOut, FilePageOut, UploadStartIn, UploadStartOut
from app.files.storage import download_headers

router = Router(tags=["files"])

# The upload operations' own answer while the `uploads-enabled` feature flag is off.
_UPLOADS_PAUSED: dict[str, Any] = {
    "responses": {
        "503": {
            "description": "Uploads paused (code `uploads_disabled`); retry after `Retry-After` seconds",
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
            "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    }
}


class PageParams(Schema):
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    cursor: Annotated[str | None, Field(max_length=200)] = None


@router.post(
    "/files",
    response={201: FileOut},
    summary="Upload a small file (multipart field `file`)",
    openapi_extra=_UPLOADS_PAUSED,
)
async def file_upload(request: HttpRequest, file: FileParam[UploadedFile]) -> Status[object]:
    return Status(201, await services.file_upload(owner=authenticated_user(request), upload=file))


@router.get("/files", response=FilePageOut, summary="Your files, newest first")
async def file_list(request: HttpRequest, params: Query[PageParams]) -> object:
    return await selectors.file_list(owner=authenticated_user(request), limit=params.limit, cursor=params.cursor)


@router.get("/files/{file_id}", response=FileOut, summary="One file's metadata")
async def file_get(request: HttpRequest, file_id: uuid.UUID) -> object:
    return await selectors.file_get(owner=authenticated_user(request), file_id=file_id)


@router.get(
    "/files/{file_id}/download",
    response={302: None},
    summary="Redirect to a short-lived signed URL for the bytes",
)
async def file_download(request: HttpRequest, file_id: uuid.UUID) -> HttpResponse:
    file, url = await services.file_download_url(owner=authenticated_user(request), file_id=file_id)
    response = HttpResponseRedirect(url)
    for header, value in download_headers(file.filename).items():
        response[header] = value
    return response


@router.delete("/files/{file_id}", response={204: None}, summary="Delete a file and its bytes")
async def file_delete(request: HttpRequest, file_id: uuid.UUID) -> Status[None]:
    await services.file_delete(owner=authenticated_user(request), file_id=file_id)
    return Status(204, None)


@router.post(
    "/uploads",
    response={201: UploadStartOut},
    summary="Start a direct upload (403 `direct_uploads_disabled`: use POST /api/v1/files instead)",
    openapi_extra=_UPLOADS_PAUSED,
)
async def upload_start(request: HttpRequest, payload: UploadStartIn) -> Status[UploadStartOut]:
    file, target, expires_at = await services.upload_start(
        owner=authenticated_user(request),
        filename=payload.filename,
        size=payload.size,
        content_type=payload.content_type,
        checksum=payload.checksum,
        resumable=payload.resumable,
    )
    return Status(
        201,
        UploadStartOut(
            id=file.id,
            upload_url=request.build_absolute_uri(target.url),
            method=target.method,
            headers=target.headers,
            expires_at=expires_at,
            resumable=target.is_resumable,
        ),
    )


@router.post(
    "/uploads/{file_id}/complete", response=FileOut, summary="Verify a direct upload", openapi_extra=_UPLOADS_PAUSED
)
async def upload_complete(request: HttpRequest, file_id: uuid.UUID) -> object:
    return await services.upload_complete(owner=authenticated_user(request), file_id=file_id)
