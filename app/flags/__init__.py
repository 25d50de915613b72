"""Feature flags: the one place the app reads them (README.md, "Feature flags").

The flags and their in-code defaults are in `catalog.py`; their values come from flagd's
JSON flag file (FLAGS_FILE) through OpenFeature (`app.integrations.openfeature`), evaluated
for the signed-in user: their id as the targeting key, `email`, `staff`, and the app's
`appVersion`. `start()` runs once per worker process (app/config/asgi.py); a process that
never calls it (management commands, the in-process tests) gets the in-code defaults.
"""

from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from app.flags import metrics
from app.flags.catalog import BooleanFlag, JsonObject, ObjectFlag
from app.flags.flag_file import FlagFile
from app.integrations import openfeature
from app.integrations.openfeature import Evaluation

if TYPE_CHECKING:
    # Only for annotations: this package is imported before Django's apps are ready.
    from app.accounts.models import User

__all__ = ["Evaluation", "evaluation", "is_on", "object_value", "start", "stop"]


def _context(user: "User") -> openfeature.EvaluationContext:
    return openfeature.context_of(
        str(user.id),
        {"email": user.email, "staff": user.is_staff, "appVersion": settings.APP_VERSION},
    )


def evaluation(flag: BooleanFlag, user: "User") -> Evaluation:
    """The flag's answer for `user`, with the variant and the flag's metadata."""
    return openfeature.boolean(flag.key, flag.default, _context(user))


def is_on(flag: BooleanFlag, user: "User") -> bool:
    return bool(evaluation(flag, user).value)


def object_value(flag: ObjectFlag, user: "User") -> JsonObject:
    return openfeature.json_object(flag.key, flag.default, _context(user)).value


_running: FlagFile | None = None


def start(path: Path | None = None, *, poll_interval_ms: int | None = None) -> FlagFile:
    """Loads the flag file into a new provider and watches it; once per process."""
    global _running
    if _running is not None:
        raise RuntimeError("feature flags are already started in this process")
    provider = openfeature.FlagSetProvider()
    interval_ms = settings.FLAGS_POLL_INTERVAL_MS if poll_interval_ms is None else poll_interval_ms
    flag_file = FlagFile(path or settings.FLAGS_FILE, interval_seconds=interval_ms / 1000, apply=provider.replace)
    flag_file.load()
    # With telemetry off the hook would record into no-ops, at a fifth of an evaluation's cost.
    openfeature.install(provider, count=metrics.evaluated if settings.OTEL_ENABLED else None)
    flag_file.watch()
    _running = flag_file
    return flag_file


def stop() -> None:
    """Stops watching and returns every flag to its in-code default."""
    global _running
    flag_file, _running = _running, None
    if flag_file is not None:
        flag_file.stop()
    openfeature.uninstall()
