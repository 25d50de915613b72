"""Who am I, and personal API tokens (managed from the browser session only)."""

import uuid

from django.http import HttpRequest
from ninja import Router, Status

from app.accounts import selectors, services
from app.accounts.auth import authenticated_user, session_auth
from app.accounts.schemas import MeOut, QuotaOut, TokenCreatedOut, TokenCreateIn, TokenOut
from app.files.selectors import quota_get

router = Router(tags=["accounts"])


@router.get("/me", response=MeOut, summary="Who am I, and how much quota is left")
async def me(request: HttpRequest) -> MeOut:
    user = authenticated_user(request)
    quota = await quota_get(owner=user)
    return MeOut(
        id=user.id,
        email=user.email,
        is_staff=user.is_staff,
        quota=QuotaOut(
            bytes_used=quota.bytes_used,
            bytes_limit=quota.bytes_limit,
            bytes_left=max(quota.bytes_limit - quota.bytes_used, 0),
            files_used=quota.files_used,
            files_limit=quota.files_limit,
            files_left=max(quota.files_limit - quota.files_used, 0),
        ),
    )


@router.post("/tokens", response={201: TokenCreatedOut}, auth=session_auth, summary="Create an API token")
async def token_create(request: HttpRequest, payload: TokenCreateIn) -> Status[TokenCreatedOut]:
    issued = await services.token_create(user=authenticated_user(request), name=payload.name, ttl_days=payload.ttl_days)
    out = TokenOut.from_orm(issued.token).model_dump()
    return Status(201, TokenCreatedOut(**out, token=issued.secret))


@router.get("/tokens", response=list[TokenOut], auth=session_auth, summary="Your API tokens")
async def token_list(request: HttpRequest) -> object:
    return await selectors.token_list(user=authenticated_user(request))


@router.delete("/tokens/{token_id}", response={204: None}, auth=session_auth, summary="Revoke an API token")
async def token_revoke(request: HttpRequest, token_id: uuid.UUID) -> Status[None]:
    await services.token_revoke(user=authenticated_user(request), token_id=token_id)
    return Status(204, None)
