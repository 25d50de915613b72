"""How API requests authenticate: a bearer token, or the browser session."""

from typing import cast

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja import utils as ninja_utils
from ninja.errors import HttpError
from ninja.security import HttpBearer

from app.accounts.models import User
from app.accounts.selectors import user_by_token
from app.core.internals.ninja_auth import SessionCookieKey, is_csrf_exempt

CSRF_FAILED = "CSRF check failed: send the X-CSRFToken header with the csrftoken cookie's value."


class BearerTokenAuth(HttpBearer):
    """`Authorization: Bearer <personal API token>`."""

    async def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = await user_by_token(secret=token)
        if user is not None:
            request.user = user  # pyright: ignore[reportAttributeAccessIssue]
        return user


class SessionUserAuth(SessionCookieKey):
    """The signed-in browser session; unsafe methods also need the CSRF token (checked here, see SessionCookieKey)."""

    param_name: str = settings.SESSION_COOKIE_NAME

    async def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = cast(User | AnonymousUser, await request.auser())  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
        if not isinstance(user, User) or not user.is_active:
            return None
        if self.csrf and not is_csrf_exempt(request) and ninja_utils.check_csrf(request) is not None:  # pyright: ignore[reportUnknownMemberType]
            raise HttpError(403, CSRF_FAILED)
        return user


def authenticated_user(request: HttpRequest) -> User:
    """The user an operation's authenticator accepted (ninja keeps it in `request.auth`)."""
    return cast(User, request.auth)  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]


bearer_auth = BearerTokenAuth()
session_auth = SessionUserAuth()
user_auth = [bearer_auth, session_auth]
