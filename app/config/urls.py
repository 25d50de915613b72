from django.contrib import admin
from django.urls import include, path

from app.config.api import api
from app.core import views as core_views
from app.core.signed_urls import SIGNED_URL_PREFIX
from app.integrations import google_oauth

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("api/", api.urls),
    path(SIGNED_URL_PREFIX.lstrip("/"), include("app.files.storage.local_views")),
    path("admin/", admin.site.urls),
    # Our Google adapter (endpoints from settings, ID token always verified)
    # answers before allauth's own at the same paths.
    path("accounts/google/login/", google_oauth.oauth2_login, name="google_login"),
    path("accounts/google/login/callback/", google_oauth.oauth2_callback, name="google_callback"),
    path("accounts/", include("app.accounts.urls")),
    path("", include("app.web.urls")),
]
