"""Reads for accounts."""

from django.utils import timezone

from app.accounts.models import ApiToken, User
from app.accounts.tokens import is_token_shaped, token_digest
from app.core import db


async def user_by_token(*, secret: str) -> User | None:
    """The active user owning a live (unexpired, unrevoked) token, if any."""
    if not is_token_shaped(secret):
        return None
    live_token = ApiToken.objects.select_related("user").filter(
        digest=token_digest(secret),
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
        user__is_active=True,
    )
    token = await db.read(live_token.first)
    return token.user if token else None


async def token_list(*, user: User) -> list[ApiToken]:
    tokens = ApiToken.objects.filter(user=user).order_by("-created_at", "-id")
    return await db.read(lambda: list(tokens))
