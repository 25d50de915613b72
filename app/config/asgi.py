"""The ASGI application: Django, with static files served in front of it."""

import os

from django.conf import settings
from django.core.asgi import get_asgi_application
from servestatic import ServeStaticASGI

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app.config.settings")

django_application = get_asgi_application()
application = ServeStaticASGI(
    django_application, root=settings.STATIC_ROOT, prefix=settings.STATIC_URL, max_age=3600
)
