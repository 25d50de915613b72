"""Who am I, and personal API tokens (managed from the browser session only)."""

import uuid
from typing import cast

from django.http import HttpRequest
from ninja import Router, Status

from app.accounts import selectors, services
from app.accounts.auth import session_auth
from app.accounts.models import User
from app.accounts.schemas import MeOut, QuotaOut, TokenCreatedOut, TokenCreateIn, TokenOut
from app.files.selectors import quota_get

router = Router(tags=["accounts"])


def _user(request: HttpRequest) -> User:
    # ninja sets `auth` to what the authenticator returned: a User.
    return cast(User, request.auth)  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]


@router.get("/me", response=MeOut, summary="Who am I, and how much quota is left")
async def me(request: HttpRequest) -> MeOut:
    user = _user(request)
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
    issued = await services.token_create(user=_user(request), name=payload.name, ttl_days=payload.ttl_days)
    out = TokenOut.from_orm(issued.token).model_dump()
    return Status(201, TokenCreatedOut(**out, token=issued.secret))


@router.get("/tokens", response=list[TokenOut], auth=session_auth, summary="Your API tokens")
async def token_list(request: HttpRequest) -> object:
    return await selectors.token_list(user=_user(request))


@router.delete("/tokens/{token_id}", response={204: None}, auth=session_auth, summary="Revoke an API token")
async def token_revoke(request: HttpRequest, token_id: uuid.UUID) -> Status[None]:
    await services.token_revoke(user=_user(request), token_id=token_id)
    return Status(204, None)
