"""Checks that stand in for Django's where the project replaced its middleware."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

# Django's deploy checks look for these exact paths; the project uses the
# event-loop subclasses from `app.core.internals.middleware` in their place.
REPLACED_MIDDLEWARE = {
    "django.middleware.security.SecurityMiddleware": "app.core.internals.middleware.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware": "app.core.internals.middleware.XFrameOptionsMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware": "app.core.internals.middleware.CsrfViewMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware": "app.core.internals.middleware.SessionMiddleware",
}
MIDDLEWARE_MISSING = "{replacement} (standing in for {original}) is not in MIDDLEWARE."


@register(Tags.security)
def replaced_middleware_present(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    return [
        Error(MIDDLEWARE_MISSING.format(replacement=replacement, original=original), id="core.E001")
        for original, replacement in REPLACED_MIDDLEWARE.items()
        if replacement not in settings.MIDDLEWARE
    ]
