"""The floor Django itself sets: one async view, no middleware, no database.

Served the way the app serves Django (each request borrowing a reused thread),
so the gap between this and the bare ASGI hello is Django's handler alone, and
the gap between this and an API endpoint is everything the endpoint adds.
"""

from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="benchmark-only",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    USE_TZ=True,
)

import django  # noqa: E402

django.setup()

from django.core.asgi import get_asgi_application  # noqa: E402
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402

from app.core.internals.request_threads import ReusedRequestThreads, release_connections_only_when_requests_finish  # noqa: E402


async def hello(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [path("", hello)]

release_connections_only_when_requests_finish()
app = ReusedRequestThreads(get_asgi_application())
