"""Writes for accounts: API tokens and local staff users."""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from app.accounts.models import ApiToken, User
from app.accounts.tokens import DISPLAY_PREFIX_LENGTH, token_digest, token_generate
from app.core import db
from app.core.problems import NotFound, Problem, ProblemCode

TOKEN_TTL_TOO_LONG = "A token may live at most {days} days."
TOKEN_NOT_FOUND = "No such token."


@dataclass(frozen=True)
class IssuedToken:
    """A token just created: the only moment its secret exists in the clear."""

    token: ApiToken
    secret: str


async def token_create(*, user: User, name: str, ttl_days: int | None = None) -> IssuedToken:
    days = settings.API_TOKEN_DEFAULT_TTL_DAYS if ttl_days is None else ttl_days
    if not 1 <= days <= settings.API_TOKEN_MAX_TTL_DAYS:
        raise Problem(
            TOKEN_TTL_TOO_LONG.format(days=settings.API_TOKEN_MAX_TTL_DAYS),
            code=ProblemCode.INVALID_TOKEN_TTL,
            status=422,
        )
    secret = token_generate()
    now = timezone.now()
    token = ApiToken(
        user=user,
        name=name,
        prefix=secret[:DISPLAY_PREFIX_LENGTH],
        digest=token_digest(secret),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    await db.write(lambda: token.save(force_insert=True))
    return IssuedToken(token=token, secret=secret)


async def token_revoke(*, user: User, token_id: uuid.UUID) -> None:
    def revoke() -> bool:
        """Whether the user has this token (revoked now, or before)."""
        mine = ApiToken.objects.filter(id=token_id, user=user)
        return bool(mine.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())) or mine.exists()

    if not await db.write(revoke):
        raise NotFound(TOKEN_NOT_FOUND)
