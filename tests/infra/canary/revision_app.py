"""One revision of the fake Cloud Run: the real app, behind the revision's fault switch.

The switch is the environment variable `FAKE_REVISION_FAULT`, read here only (the app knows
nothing of it), set by the fake from the image the revision runs:

- `errors`: `GET /api/v1/me` answers 500 (an endpoint the smoke test does not touch);
- `slow`: `GET /api/v1/me` answers 800 ms later than the app would;
- `crash`: the process exits at start-up (the revision never becomes ready);
- `migrations`: as a job, the migrations fail.

`python -m tests.infra.canary.revision_app migrate` is the migrations job's container command.
"""

import asyncio
import os
import sys
from typing import Any

FAULT = os.environ.get("FAKE_REVISION_FAULT", "")
SLOW_SECONDS = 0.8
FAULTY_PATH = "/api/v1/me"

if __name__ == "__main__":
    if FAULT == "migrations":
        print("django.db.utils.ProgrammingError: a migration that fails", file=sys.stderr)
        sys.exit(1)
    from app.__main__ import main

    sys.argv = ["app", "migrate", "--noinput", "-v", "0"]
    main()
    sys.exit(0)

if FAULT == "crash":
    raise SystemExit("the revision's container crashed at start-up")

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app.config.settings")
from app.config.asgi import application as app  # noqa: E402


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http" and scope["path"] == FAULTY_PATH:
        if FAULT == "errors":
            await send({"type": "http.response.start", "status": 500, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"injected fault"})
            return
        if FAULT == "slow":
            await asyncio.sleep(SLOW_SECONDS)
    await app(scope, receive, send)
