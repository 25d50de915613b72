"""The three endpoints, written the obvious way: async ORM, ninja schemas."""

import base64
import hashlib
import uuid
from datetime import datetime

from django.db.models import Count, Q, Sum
from django.http import HttpRequest
from django.shortcuts import aget_object_or_404
from django.utils import timezone
from ninja import NinjaAPI, Schema
from ninja.security import HttpBearer

from tests.benchmarks.obvious.models import ApiToken, File, User

QUOTA_BYTES = 1024 * 1024 * 1024
QUOTA_FILES = 1000


class BearerAuth(HttpBearer):
    async def authenticate(self, request: HttpRequest, token: str) -> User | None:
        digest = hashlib.sha256(token.encode()).hexdigest()
        try:
            api_token = await ApiToken.objects.select_related("user").aget(
                digest=digest, revoked_at__isnull=True, expires_at__gt=timezone.now(), user__is_active=True
            )
        except ApiToken.DoesNotExist:
            return None
        return api_token.user


api = NinjaAPI(auth=BearerAuth(), urls_namespace="obvious")


class FileOut(Schema):
    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    checksum_md5: str
    status: str
    created_at: datetime
    completed_at: datetime | None


class FilePageOut(Schema):
    items: list[FileOut]
    next_cursor: str | None


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


@api.get("/v1/files", response=FilePageOut)
async def file_list(request: HttpRequest, limit: int = 20, cursor: str | None = None) -> dict[str, object]:
    files = File.objects.filter(owner=request.auth, status="ready")  # pyright: ignore[reportAttributeAccessIssue]
    if cursor:
        created_at, file_id = base64.urlsafe_b64decode(cursor + "==").decode().split("|")
        files = files.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=file_id))
    rows = [file async for file in files.order_by("-created_at", "-id")[: limit + 1]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = base64.urlsafe_b64encode(f"{last.created_at.isoformat()}|{last.id}".encode()).decode()
    return {"items": rows[:limit], "next_cursor": next_cursor}


@api.get("/v1/files/{file_id}", response=FileOut)
async def file_get(request: HttpRequest, file_id: uuid.UUID) -> File:
    return await aget_object_or_404(File, id=file_id, owner=request.auth)  # pyright: ignore[reportAttributeAccessIssue]


@api.get("/v1/me", response=MeOut)
async def me(request: HttpRequest) -> dict[str, object]:
    user: User = request.auth  # pyright: ignore[reportAttributeAccessIssue]
    live = Q(status="ready") | Q(status="pending", expires_at__gt=timezone.now())
    usage = await File.objects.filter(live, owner=user).aaggregate(bytes_used=Sum("size"), files_used=Count("id"))
    bytes_used, files_used = usage["bytes_used"] or 0, usage["files_used"]
    quota = {
        "bytes_used": bytes_used,
        "bytes_limit": QUOTA_BYTES,
        "bytes_left": max(QUOTA_BYTES - bytes_used, 0),
        "files_used": files_used,
        "files_limit": QUOTA_FILES,
        "files_left": max(QUOTA_FILES - files_used, 0),
    }
    return {"id": user.id, "email": user.email, "is_staff": user.is_staff, "quota": quota}
