"""One revision of the fake Cloud Run: the real app, behind the revision's fault switch.

The switch is the environment variable `FAKE_REVISION_FAULT`, read here only (the app knows
nothing of it), set by the fake from the image the revision runs:

- `errors`: `GET /api/v1/me` answers 500 (an endpoint the smoke test does not touch);
- `slow`: `GET /api/v1/me` answers after `FAKE_REVISION_DELAY_MS` more milliseconds;
- `crash`: the process exits at start-up (the revision never becomes ready);
- `migrations`: as a job, the migrations fail.

`python -m tests.infra.canary.revision_app migrate` is the migrations job's container command.
"""

import asyncio
import os
import subprocess
import sys
from typing import Any

FAULT = os.environ.get("FAKE_REVISION_FAULT", "")
DELAY_SECONDS = int(os.environ.get("FAKE_REVISION_DELAY_MS", "300")) / 1000
FAULTY_PATH = "/api/v1/me"

if __name__ == "__main__":
    if FAULT == "migrations":
        print("django.db.utils.ProgrammingError: a migration that fails", file=sys.stderr)
        sys.exit(1)
    sys.exit(subprocess.run([sys.executable, "-m", "app", "migrate", "--noinput", "-v", "0"], check=False).returncode)

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
            await asyncio.sleep(DELAY_SECONDS)
    await app(scope, receive, send)
