"""Helpers for tests that call the API in-process: bearer clients, bodies, signed PUTs, a tiny PNG."""

import base64
from collections.abc import AsyncIterator, Mapping
from typing import Any, cast
from urllib.parse import urlsplit

import httpx
from asgiref.sync import async_to_sync
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.test import Client

from app.accounts.models import User
from app.accounts.services import token_create

PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def bearer_client(user: User) -> Client:
    issued = async_to_sync(token_create)(user=user, name="test")
    return Client(headers={"Authorization": f"Bearer {issued.secret}"})


def generic(client: Client, method: str, path: str, data: bytes | str = b"", **extra: Any) -> HttpResponse:
    """`client.generic(...)`, typed as the response it returns (django-types gives the request factory's)."""
    return cast(HttpResponse, client.generic(method, path, data, **extra))


def body_of(response: HttpResponseBase) -> bytes:
    """The whole body of a response, streaming (sync or async) or not."""
    if isinstance(response, HttpResponse):
        return response.content
    streaming = cast(StreamingHttpResponse, response)

    async def collect() -> bytes:
        return b"".join(
            [cast(bytes, chunk) async for chunk in cast(AsyncIterator[object], streaming.streaming_content)]
        )

    return async_to_sync(collect)()


async def _not_an_upload(scope: object, receive: object, send: object) -> None:
    raise AssertionError("signed_put only sends to signed upload URLs")


def signed_put(
    url: str, body: bytes | AsyncIterator[bytes], *, headers: Mapping[str, str], method: str = "PUT"
) -> httpx.Response:
    """A PUT to a signed upload URL, in-process, through the app's upload route.

    Django's test client cannot send it: those requests never reach Django. A
    body given as an iterator goes chunked, without Content-Length.
    """
    from app.files.storage.local_upload import LocalUploadRoute

    parts = urlsplit(url)
    path = f"{parts.path}?{parts.query}" if parts.query else parts.path

    async def put() -> httpx.Response:
        transport = httpx.ASGITransport(app=cast(Any, LocalUploadRoute(_not_an_upload)))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.request(method, path, content=body, headers=dict(headers))

    return async_to_sync(put)()


def made_up_cursor(created_at: str) -> str:
    """A cursor in the shape the API once issued (base64 of `created_at|id`), made up by a client."""
    raw = f"{created_at}|00000000-0000-0000-0000-000000000000"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
