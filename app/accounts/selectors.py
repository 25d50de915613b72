"""Reads for accounts."""

from datetime import datetime

from django.utils import timezone

from app.accounts.models import ApiToken, User
from app.accounts.tokens import is_token_shaped, token_digest
from app.core import db

_USER_FIELDS = [field.attname for field in User._meta.concrete_fields]
# Every request with a bearer token asks this; on PostgreSQL it skips the ORM
# (see app/core/db.py). tests/accounts/test_selectors_sql.py pins it to the ORM's answer.
_USER_BY_TOKEN_SQL = f"""
SELECT {", ".join(f"u.{User._meta.get_field(name).column}" for name in _USER_FIELDS)}
FROM {ApiToken._meta.db_table} t JOIN {User._meta.db_table} u ON u.id = t.user_id
WHERE t.digest = %s AND t.revoked_at IS NULL AND t.expires_at > %s AND u.is_active
"""  # noqa: S608 - only table and column names from the models are formatted in


def _user_by_digest_orm(digest: str, now: datetime) -> User | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=digest, revoked_at__isnull=True, expires_at__gt=now, user__is_active=True)
        .first()
    )
    return token.user if token else None


async def user_by_token(*, secret: str) -> User | None:
    """The active user owning a live (unexpired, unrevoked) token, if any. Never cached: revocation is immediate."""
    if not is_token_shaped(secret):
        return None
    digest, now = token_digest(secret), timezone.now()
    if not db.is_sql_path():
        return await db.read(lambda: _user_by_digest_orm(digest, now))
    found = await db.rows(_USER_BY_TOKEN_SQL, (digest, now))
    return User.from_db("default", _USER_FIELDS, found[0]) if found else None


async def token_list(*, user: User) -> list[ApiToken]:
    tokens = ApiToken.objects.filter(user=user).order_by("-created_at", "-id")
    return await db.read(lambda: list(tokens))
