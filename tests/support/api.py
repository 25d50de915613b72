"""Helpers for tests that call the API in-process: bearer clients, bodies, a tiny PNG."""

from asgiref.sync import async_to_sync
from django.http import HttpResponseBase
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


def body_of(response: HttpResponseBase) -> bytes:
    """The whole body of a response, streaming (sync or async) or not."""
    if not getattr(response, "streaming", False):
        return response.content  # type: ignore[attr-defined,no-any-return]

    async def collect() -> bytes:
        return b"".join([chunk async for chunk in response.streaming_content])  # type: ignore[attr-defined]

    return async_to_sync(collect)()
