"""Liveness and readiness: plain async views, outside the API and its auth."""

import asyncio
import logging
from collections.abc import Awaitable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse

from app.core import db
from app.files.storage import storage_ping

logger = logging.getLogger(__name__)

READINESS_TIMEOUT_SECONDS = 3.0


async def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: answers without touching any dependency."""
    return JsonResponse({"status": "ok", "version": settings.APP_VERSION})


def _database_answers() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


async def _check(name: str, probe: Awaitable[object]) -> str | None:
    """Runs one probe; returns the dependency's name if it failed."""
    try:
        await asyncio.wait_for(probe, timeout=READINESS_TIMEOUT_SECONDS)
    except Exception:
        logger.warning("readiness check failed", extra={"dependency": name}, exc_info=True)
        return name
    return None


async def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when the database and the storage answer, else 503 naming what failed.

    Each dependency is asked on its own, within READINESS_TIMEOUT_SECONDS: one that hangs
    neither delays nor fails the other's answer.
    """
    results = await asyncio.gather(
        _check("database", db.read(_database_answers)),
        _check("storage", storage_ping()),
    )
    failed = [name for name in results if name is not None]
    if failed:
        return JsonResponse(
            {"status": "unavailable", "failed": failed, "version": settings.APP_VERSION},
            status=503,
        )
    return JsonResponse({"status": "ok", "version": settings.APP_VERSION})
