"""Django settings, all read from the environment through `app.config.env`.

Embedded mode (no variables at all) runs on SQLite and local files under
`var/`. `DJANGO_ENV=production` switches every safety on and requires the
real services; a missing or malformed value stops start-up naming it.
"""

import secrets
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from app.config.csp import content_security_policy
from app.config.env import MISSING, Env

env = Env()

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(env.text("APP_VAR_DIR", str(BASE_DIR / "var")))

ENVIRONMENT = env.choice("DJANGO_ENV", ("embedded", "production"), "embedded")
IS_PRODUCTION = ENVIRONMENT == "production"


def _package_version() -> str:
    try:
        return version("overengineered-backend")
    except PackageNotFoundError:
        return "0+unknown"


# The image sets APP_VERSION to the build's version (see Dockerfile).
APP_VERSION = env.text("APP_VERSION", _package_version())


def _embedded_secret_key() -> str:
    """A random key kept in var/ so sessions survive restarts; never a default in code."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = (
    env.text("DJANGO_SECRET_KEY", required=True)
    if IS_PRODUCTION
    else env.optional_text("DJANGO_SECRET_KEY") or _embedded_secret_key()
)
if IS_PRODUCTION and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 characters long, with at least 5 distinct ones")

DEBUG = env.boolean("DJANGO_DEBUG", False)
if IS_PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off when DJANGO_ENV=production")

ALLOWED_HOSTS = env.items("DJANGO_ALLOWED_HOSTS", ("127.0.0.1", "localhost", "[::1]"), required=IS_PRODUCTION)
CSRF_TRUSTED_ORIGINS = env.items("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "app.core.admin_config.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "ninja",
    "app.core",
    "app.accounts",
    "app.files",
    "app.web",
    "app.flags",
]

# Django's middleware, in subclasses that run on the event loop instead of a
# thread per hook (see app/core/internals/middleware.py; app/core/checks.py makes
# sure they are here, and SILENCED_SYSTEM_CHECKS below explains the rest).
MIDDLEWARE = [
    "app.core.middleware.RequestContextMiddleware",
    # Outside Django's own, so that their error answers (a 404, a refused Host) are seen too.
    "app.core.middleware.NoStoreMiddleware",
    "app.core.middleware.ProblemAnswersMiddleware",
    "app.core.internals.middleware.SecurityMiddleware",
    "app.core.internals.middleware.SessionMiddleware",
    "app.core.internals.middleware.CommonMiddleware",
    "app.core.internals.middleware.CsrfViewMiddleware",
    "app.core.internals.middleware.AuthenticationMiddleware",
    "app.core.internals.middleware.MessageMiddleware",
    "app.core.internals.middleware.XFrameOptionsMiddleware",
    "app.core.internals.middleware.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]
# Django's deploy checks W001-W003 look for the original paths above by
# name; check core.E001 requires the subclasses instead. mail.W001 warns that
# no default mailer exists: the app sends no mail (see MAILERS).
SILENCED_SYSTEM_CHECKS = ["security.W001", "security.W002", "security.W003", "mail.W001"]

ROOT_URLCONF = "app.config.urls"
ASGI_APPLICATION = "app.config.asgi.application"

TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------

DATABASE_URL = env.url("DATABASE_URL", schemes=("postgres", "postgresql"), required=IS_PRODUCTION)
DATABASE_POOL_MAX_SIZE = env.integer("DATABASE_POOL_MAX_SIZE", 10, low=1, high=500)
# Long-lived threads for hot-path queries (app/core/db.py); 0: Django's per-request thread.
DATABASE_THREADS = env.integer("DATABASE_THREADS", 4, low=0, high=64)
if DATABASE_THREADS > DATABASE_POOL_MAX_SIZE:
    raise ImproperlyConfigured("DATABASE_THREADS must not exceed DATABASE_POOL_MAX_SIZE")
# How long a request thread a burst started may stay idle (app/core/internals/request_threads.py).
REQUEST_THREADS_IDLE_SECONDS = env.integer("REQUEST_THREADS_IDLE_SECONDS", 10, low=1, high=3600)
# The bounds app/core/db.py puts on every query (see its docstring).
DATABASE_TIMEOUT_SECONDS = env.integer("DATABASE_TIMEOUT_SECONDS", 5, low=1, high=600)
DATABASE_CONNECT_TIMEOUT_SECONDS = env.integer("DATABASE_CONNECT_TIMEOUT_SECONDS", 2, low=1, high=60)
DATABASE_MAX_WAITING = env.integer("DATABASE_MAX_WAITING", 128, low=0, high=10_000)


def _database(url: str | None) -> dict[str, Any]:
    if url is None:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            # IMMEDIATE makes each transaction take the write lock up front, so
            # two quota checks can never interleave.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=0))
    config["OPTIONS"] = {
        # Django's own psycopg pool; CONN_MAX_AGE must stay 0 with it. Its
        # timeout is how long a thread waits for a connection.
        "pool": {"min_size": 1, "max_size": DATABASE_POOL_MAX_SIZE, "timeout": DATABASE_CONNECT_TIMEOUT_SECONDS},
        "connect_timeout": DATABASE_CONNECT_TIMEOUT_SECONDS,
        # UTC on connect spares Django its SET TIME ZONE round trip.
        "options": f"-c statement_timeout={DATABASE_TIMEOUT_SECONDS * 1000} -c TimeZone=UTC",
    }
    return config


DATABASES = {"default": _database(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# In the database, so that every process that serves shares it: allauth's
# sign-in rate limits live here (a per-process cache would multiply them by the
# number of workers). The table comes with the migrations (app/core/migrations).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "app_cache",
        # Rate-limit entries from many addresses must not be culled before they expire.
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    }
}

# --- Storage --------------------------------------------------------------

GCS_BUCKET = env.text("GCS_BUCKET", required=True) if IS_PRODUCTION else env.optional_text("GCS_BUCKET")
GCS_PROJECT = env.optional_text("GCS_PROJECT")
# Where clients reach storage in signed URLs, when not Google's own endpoint or
# the emulator (compose routes the emulator through nginx at /storage).
GCS_PUBLIC_ENDPOINT = env.url("GCS_PUBLIC_ENDPOINT", schemes=("https", "http"))
# A service-account key used only to sign URLs (local runs and tests). Without
# it the runtime identity signs through the IAM Credentials API.
GCS_SIGNING_KEY_FILE = env.optional_text("GCS_SIGNING_KEY_FILE")
# The longest one storage call may take, its retries included (app/integrations/gcs.py
# splits it into connect, read and retry deadlines); past it the request answers 503
# `storage_unavailable`. Well under what a client waits for an answer.
STORAGE_TIMEOUT_SECONDS = env.integer("STORAGE_TIMEOUT_SECONDS", 10, low=1, high=600)
MEDIA_ROOT = VAR_DIR / "media"

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.text("DJANGO_STATIC_ROOT", str(VAR_DIR / "static")))

# File bytes go through app/files/storage (GCS when GCS_BUCKET is set, else MEDIA_ROOT).
STORAGES: dict[str, dict[str, Any]] = {
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

CDN_BASE_URL = env.url("CDN_BASE_URL", schemes=("https", "http"))
CDN_SIGNING_KEY_NAME = env.optional_text("CDN_SIGNING_KEY_NAME")
CDN_SIGNING_KEY = env.optional_text("CDN_SIGNING_KEY")
_cdn = {
    "CDN_BASE_URL": CDN_BASE_URL,
    "CDN_SIGNING_KEY_NAME": CDN_SIGNING_KEY_NAME,
    "CDN_SIGNING_KEY": CDN_SIGNING_KEY,
}
if any(_cdn.values()):
    for _name, _value in _cdn.items():
        if not _value:
            raise ImproperlyConfigured(MISSING.format(name=_name) + " (the CDN needs all three)")

# --- Files ----------------------------------------------------------------

MIB = 1024 * 1024
FILES_MAX_BYTES = env.integer("FILES_MAX_BYTES", 512 * MIB, low=1)
FILES_SMALL_UPLOAD_MAX_BYTES = env.integer("FILES_SMALL_UPLOAD_MAX_BYTES", 10 * MIB, low=1)
FILES_QUOTA_BYTES = env.integer("FILES_QUOTA_BYTES", 1024 * MIB, low=0)
FILES_QUOTA_COUNT = env.integer("FILES_QUOTA_COUNT", 1000, low=0)
FILES_UPLOAD_URL_TTL_SECONDS = env.integer("FILES_UPLOAD_URL_TTL_SECONDS", 900, low=10, high=7 * 86400)
FILES_PENDING_TTL_SECONDS = env.integer("FILES_PENDING_TTL_SECONDS", 3600, low=10, high=7 * 86400)
FILES_DOWNLOAD_URL_TTL_SECONDS = env.integer("FILES_DOWNLOAD_URL_TTL_SECONDS", 300, low=10, high=86400)
if FILES_PENDING_TTL_SECONDS < FILES_UPLOAD_URL_TTL_SECONDS:
    raise ImproperlyConfigured("FILES_PENDING_TTL_SECONDS must be at least FILES_UPLOAD_URL_TTL_SECONDS")
# Local downloads handed to nginx (X-Accel-Redirect) instead of streamed by the app.
FILES_LOCAL_ACCEL_REDIRECT_PREFIX = env.optional_text("FILES_LOCAL_ACCEL_REDIRECT_PREFIX")

# Multipart bodies above this size spool to a temporary file, never to memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 1 * MIB
DATA_UPLOAD_MAX_MEMORY_SIZE = 1 * MIB
# The largest request body any route takes (app/core/body_limit.py): a small
# upload's file plus 64 KiB of multipart framing, as nginx has it.
REQUEST_BODY_MAX_BYTES = FILES_SMALL_UPLOAD_MAX_BYTES + 64 * 1024

API_TOKEN_DEFAULT_TTL_DAYS = env.integer("API_TOKEN_DEFAULT_TTL_DAYS", 30, low=1, high=365)
API_TOKEN_MAX_TTL_DAYS = env.integer("API_TOKEN_MAX_TTL_DAYS", 365, low=1, high=3650)

# --- Sign-in --------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

ALLOW_PASSWORD_LOGIN = env.boolean("ALLOW_PASSWORD_LOGIN", not IS_PRODUCTION)
GOOGLE_OAUTH_CLIENT_ID = env.optional_text("GOOGLE_OAUTH_CLIENT_ID")
GOOGLE_OAUTH_CLIENT_SECRET = env.optional_text("GOOGLE_OAUTH_CLIENT_SECRET")
if bool(GOOGLE_OAUTH_CLIENT_ID) != bool(GOOGLE_OAUTH_CLIENT_SECRET):
    _missing = "GOOGLE_OAUTH_CLIENT_SECRET" if GOOGLE_OAUTH_CLIENT_ID else "GOOGLE_OAUTH_CLIENT_ID"
    raise ImproperlyConfigured(MISSING.format(name=_missing) + " (Google sign-in needs both)")
if IS_PRODUCTION and not GOOGLE_OAUTH_CLIENT_ID and not ALLOW_PASSWORD_LOGIN:
    raise ImproperlyConfigured(
        MISSING.format(name="GOOGLE_OAUTH_CLIENT_ID")
        + " (production needs Google sign-in unless ALLOW_PASSWORD_LOGIN is on)"
    )

# Google's endpoints; tests point them at a local fake.
GOOGLE_OAUTH_ENDPOINTS = {
    "authorize": "https://accounts.google.com/o/oauth2/v2/auth",
    "token": "https://oauth2.googleapis.com/token",
    "certs": "https://www.googleapis.com/oauth2/v1/certs",
    "issuer": "https://accounts.google.com",
}

# The app sends no mail: no mailer exists, and the routes that would send some
# (password reset, email addresses) are off (app/accounts/urls.py).
MAILERS: dict[str, dict[str, Any]] = {}

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGIN_ON_GET = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_ADAPTER = "app.accounts.adapters.AccountAdapter"
ACCOUNT_FORMS = {"login": "app.accounts.forms.LoginForm"}
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if IS_PRODUCTION else "http"
# Without password sign-in, only social accounts exist (no signup or login form).
SOCIALACCOUNT_ONLY = not ALLOW_PASSWORD_LOGIN
SOCIALACCOUNT_ADAPTER = "app.accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_AUTO_SIGNUP = True
# Never sign in to (or connect) an existing account just because emails match.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_PROVIDERS: dict[str, dict[str, Any]] = {
    "google": {
        "SCOPE": ["openid", "email", "profile"],
        "AUTH_PARAMS": {"access_type": "online", "prompt": "select_account"},
        "OAUTH_PKCE_ENABLED": True,
        "VERIFIED_EMAIL": False,
        "EMAIL_AUTHENTICATION": False,
        "APPS": (
            [
                {
                    "client_id": GOOGLE_OAUTH_CLIENT_ID,
                    "secret": GOOGLE_OAUTH_CLIENT_SECRET,
                    "key": "",
                }
            ]
            if GOOGLE_OAUTH_CLIENT_ID
            else []
        ),
    }
}

# --- HTTP security ----------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Where browsers PUT direct uploads: the signed URLs' endpoint (as in
# app/integrations/gcs.py), or the app itself in embedded mode.
GOOGLE_STORAGE_ENDPOINT = "https://storage.googleapis.com"
STORAGE_URL_FOR_BROWSERS = (
    (GCS_PUBLIC_ENDPOINT or env.optional_text("STORAGE_EMULATOR_HOST") or GOOGLE_STORAGE_ENDPOINT)
    if GCS_BUCKET
    else None
)
SECURE_CSP = content_security_policy(
    sign_in_url=GOOGLE_OAUTH_ENDPOINTS["authorize"], storage_url=STORAGE_URL_FOR_BROWSERS
)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
if IS_PRODUCTION:
    # TLS ends at nginx, Cloudflare or Cloud Run; uvicorn's --proxy-headers
    # turns their X-Forwarded-Proto into the request scheme.
    SECURE_SSL_REDIRECT = env.boolean("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = env.integer("DJANGO_HSTS_SECONDS", 31_536_000, low=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# --- Feature flags ------------------------------------------------------------

# flagd's JSON flag file (README.md, "Feature flags"), re-read while the app runs. A file that
# is not there at start-up leaves the in-code defaults in force (app/flags/catalog.py).
FLAGS_FILE = Path(env.text("FLAGS_FILE", str(BASE_DIR / "deploy" / "flags" / "flags.json")))
# How often each worker looks at the file: an edit is in force within about this long.
FLAGS_POLL_INTERVAL_MS = env.integer("FLAGS_POLL_INTERVAL_MS", 1000, low=50, high=3_600_000)

# --- Telemetry --------------------------------------------------------------

# OpenTelemetry is on when an OTLP endpoint is set (and OTEL_SDK_DISABLED is not);
# the SDK reads the other standard OTEL_* variables itself (see app/integrations/otel.py).
_OTLP_ENDPOINTS = ("", "_TRACES", "_METRICS", "_LOGS")
OTEL_ENABLED = not env.boolean("OTEL_SDK_DISABLED", False) and any(
    env.is_set(f"OTEL_EXPORTER_OTLP{signal}_ENDPOINT") for signal in _OTLP_ENDPOINTS
)
# OTEL_TRACES_EXPORTER=none (or METRICS, LOGS) switches one signal off.
OTEL_DISABLED_SIGNALS = frozenset(
    signal
    for signal in ("traces", "metrics", "logs")
    if env.choice(f"OTEL_{signal.upper()}_EXPORTER", ("otlp", "none"), "otlp") == "none"
)
if OTEL_ENABLED:
    # Outermost, so every response gets its route; async-capable, so no thread hop.
    MIDDLEWARE.insert(0, "app.core.telemetry.RouteMiddleware")

# --- Serving ------------------------------------------------------------------

# After SIGTERM, how long `app serve` lets requests in flight finish before it
# cancels them (one client stalled mid-body would otherwise hold the process
# forever): below the 10 s Cloud Run and Docker (Swarm, compose) wait before
# they kill a container, with room for telemetry's last flush.
SHUTDOWN_GRACE_SECONDS = env.integer("SHUTDOWN_GRACE_SECONDS", 8, low=1, high=30)

# --- Logging ----------------------------------------------------------------

# One JSON line per request from the app itself (uvicorn's own access log is off).
ACCESS_LOG = env.boolean("ACCESS_LOG", True)
LOG_LEVEL = env.choice("LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "app.core.logging.JsonFormatter"}},
    "filters": {
        "request": {"()": "app.core.logging.RequestContextFilter"},
        "secrets": {"()": "app.core.logging.SecretsFilter"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
            "filters": ["request", "secrets"],
        }
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # Django's line per 4xx repeats the access log; DEBUG shows everything.
        "django.request": {"level": "DEBUG" if LOG_LEVEL == "DEBUG" else "ERROR"},
        "uvicorn.access": {"level": "WARNING"},
        "app.access": {"level": "INFO" if ACCESS_LOG else "WARNING"},
    },
}

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
USE_I18N = False
