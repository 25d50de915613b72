"""The token lookup's SQL gives the ORM's answer for every kind of token (PostgreSQL only)."""

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.utils import timezone

from app.accounts import selectors
from app.accounts.models import ApiToken, User
from app.accounts.services import token_create
from app.core import db

pytestmark = pytest.mark.django_db


def lookups(monkeypatch: pytest.MonkeyPatch, secret: str) -> tuple[User | None, User | None]:
    if connection.vendor != "postgresql":
        pytest.skip("the SQL path is PostgreSQL's (CI sets REQUIRE_POSTGRES)")
    found: list[User | None] = []
    for is_sql in (True, False):
        monkeypatch.setattr(db, "is_sql_path", lambda is_sql=is_sql: is_sql)
        found.append(async_to_sync(selectors.user_by_token)(secret=secret))
    return found[0], found[1]


def test_a_live_token_finds_its_whole_user_through_sql_as_through_the_orm(
    alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    issued = async_to_sync(token_create)(user=alice, name="t")
    sql, orm = lookups(monkeypatch, issued.secret)
    assert sql is not None and orm is not None
    fields = [field.attname for field in User._meta.concrete_fields]
    assert [getattr(sql, name) for name in fields] == [getattr(orm, name) for name in fields]
    assert sql.pk == alice.pk and not sql._state.adding  # a saved instance, as the ORM's


@pytest.mark.parametrize("spoil", ["revoked", "expired", "inactive user", "unknown"])
def test_a_dead_token_finds_nobody_through_sql_as_through_the_orm(
    alice: User, monkeypatch: pytest.MonkeyPatch, spoil: str
) -> None:
    issued = async_to_sync(token_create)(user=alice, name="t")
    secret = issued.secret
    if spoil == "revoked":
        ApiToken.objects.filter(id=issued.token.id).update(revoked_at=timezone.now())
    elif spoil == "expired":
        ApiToken.objects.filter(id=issued.token.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif spoil == "inactive user":
        User.objects.filter(id=alice.id).update(is_active=False)
    else:
        secret = secret[:-2] + "xx"
    assert lookups(monkeypatch, secret) == (None, None)
