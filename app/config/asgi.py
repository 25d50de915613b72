"""The ASGI application: Django, with static files served in front of it, and telemetry when on.

Each uvicorn worker imports this module, so each sets up its own exporters and its own
watch on the feature flag file.
"""

import gc
import os
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.asgi import get_asgi_application
from servestatic import ServeStaticASGI

from app import flags
from app.core.body_limit import RequestBodyLimit
from app.core.internals.request_threads import ReusedRequestThreads

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app.config.settings")

django_application = ReusedRequestThreads(get_asgi_application(), idle_seconds=settings.REQUEST_THREADS_IDLE_SECONDS)

# Imported once get_asgi_application() has set Django up: the route reaches the models.
from app.files.storage.local_upload import LocalUploadRoute  # noqa: E402

# Django reads a whole body before anything else runs: the signed upload URL is
# answered before it, and any other body is bounded before it.
guarded = LocalUploadRoute(RequestBodyLimit(django_application, limit=settings.REQUEST_BODY_MAX_BYTES))
application: Any = ServeStaticASGI(guarded, root=settings.STATIC_ROOT, prefix=settings.STATIC_URL, max_age=3600)
if settings.OTEL_ENABLED:
    from app.integrations import otel

    application = otel.instrument(application)
flags.start()

# Load the URLconf (the API and its schemas) now instead of on the first
# request, then take everything loaded so far out of the garbage collector's
# sight: it lives as long as the process, and each full collection would
# otherwise walk all of it again (measured: about a tenth of a request's CPU).
import_module(settings.ROOT_URLCONF)
gc.freeze()
