"""What the session authenticator needs from django-ninja's `APIKeyCookie` beyond its public API."""

from django.http import HttpRequest
from ninja.security import APIKeyCookie


class SessionCookieKey(APIKeyCookie):
    """`APIKeyCookie` without its CSRF check in `_get_key` (a private hook).

    ninja checks CSRF while reading the cookie, before `authenticate()` knows
    whether the cookie belongs to a live session; a caller with no session (or
    a dead bearer token) would get 403 instead of 401. Subclasses check CSRF in
    `authenticate()`, once a session signs the request.
    """

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)


def is_csrf_exempt(request: HttpRequest) -> bool:
    """Whether the operation serving `request` was declared `csrf_exempt` (ninja marks the request privately)."""
    return bool(getattr(request, "_ninja_csrf_exempt", False))
