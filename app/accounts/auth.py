"""How API requests authenticate: a bearer token, or the browser session."""

from typing import cast

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja import utils as ninja_utils
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer

from app.accounts.models import User
from app.accounts.selectors import user_by_token

CSRF_FAILED = "CSRF check failed: send the X-CSRFToken header with the csrftoken cookie's value."


class BearerTokenAuth(HttpBearer):
    """`Authorization: Bearer <personal API token>`."""

    async def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = await user_by_token(secret=token)
        if user is not None:
            request.user = user  # pyright: ignore[reportAttributeAccessIssue]
        return user


class SessionUserAuth(APIKeyCookie):
    """The signed-in browser session; unsafe methods also need the CSRF token."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        # CSRF is checked in authenticate(), once a session is known to sign the
        # request: a caller with no session (or a dead bearer token) gets 401.
        return request.COOKIES.get(self.param_name)

    async def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = cast(User | AnonymousUser, await request.auser())  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
        if not isinstance(user, User) or not user.is_active:
            return None
        is_exempt = getattr(request, "_ninja_csrf_exempt", False)  # an operation's csrf_exempt
        if self.csrf and not is_exempt and ninja_utils.check_csrf(request) is not None:  # pyright: ignore[reportUnknownMemberType]
            raise HttpError(403, CSRF_FAILED)
        return user


def authenticated_user(request: HttpRequest) -> User:
    """The user an operation's authenticator accepted (ninja keeps it in `request.auth`)."""
    return cast(User, request.auth)  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]


bearer_auth = BearerTokenAuth()
session_auth = SessionUserAuth()
user_auth = [bearer_auth, session_auth]
