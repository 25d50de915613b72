"""The largest request body the app takes, refused before Django spools it to disk.

Django's ASGI handler reads every request's whole body into a temporary file
before any middleware or view runs, signed in or not: without a bound, any
client could fill the disk one request at a time. No route here takes more
than a small upload (its file plus multipart framing, the same bound nginx
sets); embedded mode's signed upload URL, which takes whole files, is answered
in front of this guard (`app.files.storage.local_upload`).
"""

from typing import Any

from app.core.asgi_answers import OutsideDjango
from app.core.problems import ProblemCode, problem_response
from app.core.telemetry import ASGIApp, ASGIReceive, ASGISend, Scope

BODY_TOO_LARGE = "The request body is larger than the {limit} bytes this server accepts."


class RequestBodyLimit:
    """ASGI middleware: a body over `limit` bytes answers 413, read no further.

    A declared Content-Length over the limit is refused before a byte is read;
    a chunked body, as soon as it passes the limit (Django then sees the
    client gone, and answers nothing more).
    """

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: ASGIReceive, send: ASGISend) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _declared_length(scope) > self.limit:
            await self._refuse(scope, send)
            return
        received = 0
        refused = False

        async def bounded_receive() -> dict[str, Any]:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                refused = True
                await self._refuse(scope, send)
                return {"type": "http.disconnect"}
            return message

        await self.app(scope, bounded_receive, send)

    async def _refuse(self, scope: Scope, send: ASGISend) -> None:
        async with OutsideDjango(scope, send) as exchange:
            detail = BODY_TOO_LARGE.format(limit=self.limit)
            await exchange.answer(
                problem_response(exchange.request, status=413, detail=detail, code=ProblemCode.BODY_TOO_LARGE)
            )


def _declared_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            # uvicorn has parsed the request by it already: a number.
            return int(value)
    return 0
