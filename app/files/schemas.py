import uuid
from datetime import datetime
from typing import Annotated

from ninja import Schema
from pydantic import Field


class FileOut(Schema):
    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    checksum_md5: str = Field(description="Base64 MD5 of the content; empty until verified.")
    status: str
    created_at: datetime
    completed_at: datetime | None


class FilePageOut(Schema):
    items: list[FileOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at the end.")


class UploadStartIn(Schema):
    filename: Annotated[str, Field(min_length=1, max_length=1024)]
    size: Annotated[int, Field(ge=1, le=2**53, description="Bytes; at least 1.")]
    content_type: Annotated[str, Field(min_length=1, max_length=255)]
    checksum: Annotated[
        str | None,
        Field(
            default=None,
            max_length=64,
            description="Base64 MD5 of the content (Content-MD5 format).",
        ),
    ]
    resumable: bool = Field(
        default=False,
        description="Ask for a resumable session (GCS only); the answer's `resumable` says what you got.",
    )


class UploadStartOut(Schema):
    id: uuid.UUID
    upload_url: str
    method: str
    headers: dict[str, str] = Field(description="Send exactly these headers with the bytes.")
    expires_at: datetime
    resumable: bool
