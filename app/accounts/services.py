"""Writes for accounts: API tokens and local staff users."""

import unicodedata
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from app.accounts.models import ApiToken, User
from app.accounts.tokens import DISPLAY_PREFIX_LENGTH, token_digest, token_generate
from app.core import db
from app.core.display_text import has_hidden_characters
from app.core.problems import NotFound, Problem, ProblemCode

TOKEN_TTL_TOO_LONG = "A token may live at most {days} days."
TOKEN_NOT_FOUND = "No such token."
TOKEN_NAME_INVALID = "The token's name must not be blank or contain control, invisible or bidirectional characters."


def _token_name_clean(name: str) -> str:
    """The name as shown wherever the token is listed: NFC, trimmed, nothing hidden in it."""
    clean = unicodedata.normalize("NFC", name).strip()
    if not clean or has_hidden_characters(clean):
        raise Problem(TOKEN_NAME_INVALID, code=ProblemCode.INVALID_TOKEN_NAME)
    return clean


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
    clean_name = _token_name_clean(name)
    secret = token_generate()
    now = timezone.now()
    token = ApiToken(
        user=user,
        name=clean_name,
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
