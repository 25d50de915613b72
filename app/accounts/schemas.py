import uuid
from datetime import datetime
from typing import Annotated

from ninja import Schema
from pydantic import Field


class QuotaOut(Schema):
    bytes_used: int
    bytes_limit: int
    bytes_left: int
    files_used: int
    files_limit: int
    files_left: int


class MeOut(Schema):
    id: uuid.UUID
    email: str
    is_staff: bool
    quota: QuotaOut


class TokenCreateIn(Schema):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    ttl_days: Annotated[int | None, Field(default=None, ge=1, le=3650)]


class TokenOut(Schema):
    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The secret. It is shown only this once.")
