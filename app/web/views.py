"""The pages: thin async views that render a template. The pages' JavaScript does the rest through the API."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache

from app.accounts.models import User
from app.files.content_types import EXTENSIONS
from app.web.problem_text import PROBLEM_TEXT, SMALL_UPLOAD_INSTEAD


async def _signed_in(request: HttpRequest) -> User | None:
    # AuthenticationMiddleware adds auser(); django-types does not know it.
    user = await request.auser()  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownVariableType]
    return user if isinstance(user, User) and user.is_active else None


def _page_data() -> dict[str, Any]:
    """What the pages' JavaScript reads from the page (a JSON script element, never executed)."""
    return {
        "problems": {str(code): text for code, text in PROBLEM_TEXT.items()},
        "smallUploadInstead": sorted(SMALL_UPLOAD_INSTEAD),
        # Extension -> accepted type, for files the browser gives no (or another) type.
        "types": {extension: content_type for content_type, names in EXTENSIONS.items() for extension in names},
    }


@never_cache
async def home(request: HttpRequest) -> HttpResponse:
    """Signed out: what this is, and sign-in. Signed in: your files."""
    user = await _signed_in(request)
    if user is None:
        return render(
            request,
            "web/welcome.html",
            {
                # Over the auth context processor's lazy request.user (an AnonymousUser here).
                "user": None,
                "google_sign_in": bool(settings.GOOGLE_OAUTH_CLIENT_ID),
                "password_sign_in": settings.ALLOW_PASSWORD_LOGIN,
            },
        )
    return render(request, "web/files.html", {"user": user, "section": "files", "page_data": _page_data()})


@never_cache
async def tokens(request: HttpRequest) -> HttpResponse:
    """Your personal API tokens: create (the secret shown once), list, revoke."""
    user = await _signed_in(request)
    if user is None:
        return redirect("web:home")
    context = {
        "user": user,
        "section": "tokens",
        "page_data": _page_data(),
        "ttl_default_days": settings.API_TOKEN_DEFAULT_TTL_DAYS,
        "ttl_max_days": settings.API_TOKEN_MAX_TTL_DAYS,
    }
    return render(request, "web/tokens.html", context)


async def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages that name no icon (the admin's, plain-text answers)."""
    return HttpResponsePermanentRedirect(static("web/icon.svg"))
