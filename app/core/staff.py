"""Staff-only pages: anonymous users go to sign in, signed-in non-staff get 403."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden

STAFF_ONLY = "Staff only."


def staff_required[F: Callable[..., HttpResponse]](view: F) -> F:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (request.user.is_active and request.user.is_staff):
            return HttpResponseForbidden(STAFF_ONLY, content_type="text/plain")
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class StaffAdminSite(admin.AdminSite):
    """The admin, signed in through allauth (Google) rather than its own password form."""

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:  # type: ignore[override]
        if request.user.is_authenticated:
            return HttpResponseForbidden(STAFF_ONLY, content_type="text/plain")
        return redirect_to_login(request.GET.get("next", self.index_url()))

    def index_url(self) -> str:
        return "/admin/"
