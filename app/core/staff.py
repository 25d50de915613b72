"""Staff-only pages: anonymous users go to sign in, signed-in non-staff get 403."""

from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol, cast

from django import urls
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseRedirect

STAFF_ONLY = "Staff only."


class _Visitor(Protocol):
    is_authenticated: bool
    is_active: bool
    is_staff: bool


def _visitor(request: HttpRequest) -> _Visitor:
    # AuthenticationMiddleware sets request.user: a User, or AnonymousUser.
    return cast(_Visitor, request.user)  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]


def _is_staff(request: HttpRequest) -> bool:
    visitor = _visitor(request)
    return visitor.is_authenticated and visitor.is_active and visitor.is_staff


def _to_sign_in(next_url: str) -> HttpResponse:
    """A redirect to LOGIN_URL (allauth's sign-in) that comes back to `next_url`."""
    return auth_views.redirect_to_login(next_url)  # pyright: ignore[reportUnknownMemberType]


def _staff_only() -> HttpResponse:
    return HttpResponseForbidden(STAFF_ONLY.encode(), content_type="text/plain; charset=utf-8")


def _guard(request: HttpRequest) -> HttpResponse | None:
    """The answer for anyone but active staff, or None to let them through."""
    if not _visitor(request).is_authenticated:
        return _to_sign_in(request.get_full_path())
    if not _is_staff(request):
        return _staff_only()
    return None


def staff_required[F: Callable[..., HttpResponse]](view: F) -> F:
    """Sends anonymous users to sign in and answers 403 to signed-in non-staff."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _guard(request) or view(request, *args, **kwargs)

    return cast(F, wrapper)


class StaffAdminSite(admin.AdminSite):
    """The admin, signed in through allauth (Google) rather than its own password form."""

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        guarded = cast(Callable[..., HttpResponse], super().admin_view(view, cacheable))  # pyright: ignore[reportUnknownMemberType]

        # Straight to allauth's sign-in rather than the admin's own login page,
        # and a 403 for non-staff rather than a detour through it.
        @wraps(view)
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            return _guard(request) or guarded(request, *args, **kwargs)

        return inner

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        index = urls.reverse("admin:index", current_app=self.name)
        refused = _guard(request)
        if refused is not None and _visitor(request).is_authenticated:
            return refused
        # Where the visitor was going, if it is on this site.
        # django-types lags Django: get_redirect_url() also takes a request, for use outside the view.
        safe_next = cast(str, auth_views.LoginView().get_redirect_url(request))  # pyright: ignore[reportCallIssue]
        next_url = safe_next or index
        if refused is not None:
            return _to_sign_in(next_url)
        return HttpResponseRedirect(next_url)
