"""How API requests authenticate: a bearer token, or the browser session."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from app.accounts.models import User
from app.accounts.selectors import user_by_token


class BearerTokenAuth(HttpBearer):
    """`Authorization: Bearer <personal API token>`."""

    async def authenticate(self, request: HttpRequest, token: str) -> User | None:  # type: ignore[override]
        user = await user_by_token(secret=token)
        if user is not None:
            request.user = user
        return user


class SessionUserAuth(APIKeyCookie):
    """The signed-in browser session; unsafe methods also need the CSRF token."""

    param_name: str = settings.SESSION_COOKIE_NAME

    async def authenticate(self, request: HttpRequest, key: str | None) -> Any:  # type: ignore[override]
        user = await request.auser()
        return user if user.is_authenticated and user.is_active else None


bearer_auth = BearerTokenAuth()
session_auth = SessionUserAuth()
user_auth = [bearer_auth, session_auth]
