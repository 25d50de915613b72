"""The one rule for database access from async code (app/core/db.py), and that the app keeps it."""

import re

import pytest
from asgiref.sync import async_to_sync

from app.accounts.models import User
from app.core import db
from tests.support.paths import REPO_ROOT

pytestmark = pytest.mark.django_db

# The async ORM (`aget`, `afirst`, `async for` over a queryset, ...) and ad hoc thread hops.
ASYNC_ORM = re.compile(
    r"\.a(get|first|last|create|update|delete|exists|count|aggregate|save|in_bulk|iterator|get_or_create|"
    r"update_or_create|bulk_create|bulk_update|contains|explain)\(|async for \w+ in \w+\.objects|sync_to_async\("
)
# Where a thread hop is the point: the rule itself, and Django's middleware hooks that may do I/O.
ALLOWED = {
    "app/core/db.py",
    *(f"app/core/internals/{name}.py" for name in ("__init__", "middleware", "request_threads")),
}


def test_write_commits_everything_or_nothing(alice: User) -> None:
    def rename_then_fail() -> None:
        User.objects.filter(id=alice.id).update(first_name="changed")
        raise RuntimeError("half-way")

    with pytest.raises(RuntimeError):
        async_to_sync(db.write)(rename_then_fail)
    assert User.objects.get(id=alice.id).first_name == ""


def test_read_returns_what_the_query_returns(alice: User) -> None:
    assert async_to_sync(db.read)(User.objects.filter(id=alice.id).count) == 1


def test_no_app_module_reaches_the_database_around_the_rule() -> None:
    offenders = [
        f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}"
        for path in sorted((REPO_ROOT / "app").rglob("*.py"))
        if path.relative_to(REPO_ROOT).as_posix() not in ALLOWED
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if ASYNC_ORM.search(line) and not line.lstrip().startswith("#")
    ]
    assert not offenders, "use app.core.db.read/write instead:\n" + "\n".join(offenders)
