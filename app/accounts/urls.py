"""allauth's routes, less those that have no use here.

Staff passwords come from `app createstaff`, Google vouches for everyone
else's email, and the app sends no mail (MAILERS is empty): password reset,
email address management and confirmation, and setting a first password
answer 404 instead of trying to send mail.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import include, path, re_path


def _off(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


urlpatterns = [
    re_path(r"^(?:password/(?:reset|set)|email|confirm-email)/", _off),
    path("", include("allauth.urls")),
]
