"""DJANGO_ENV=production: required values, start-up that names what is wrong, deploy checks.

Each case runs the real `app` command in a subprocess with a clean environment,
so the settings module is imported exactly as it is at start-up.
"""

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from app.config import env as env_messages
from tests.support.production import DB_PASSWORD, production_env, run_app

SHOW_SETTINGS = """
import json
from typing import Any
from django.conf import settings
names = [
    "DEBUG", "ALLOW_PASSWORD_LOGIN", "SOCIALACCOUNT_ONLY", "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_NAME", "CSRF_COOKIE_NAME",
    "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY", "X_FRAME_OPTIONS",
    "ACCOUNT_DEFAULT_HTTP_PROTOCOL",
]
shown = {name: getattr(settings, name) for name in names}
shown["SECURE_CSP"] = {key: list(map(str, value)) for key, value in settings.SECURE_CSP.items()}
shown["MIDDLEWARE"] = settings.MIDDLEWARE
print(json.dumps(shown))
"""


def production_settings(tmp_path: Path, **overrides: str | None) -> dict[str, Any]:
    completed = run_app(production_env(tmp_path, **overrides), "shell", "-c", SHOW_SETTINGS)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_production_settings_pass_the_deploy_checks(tmp_path: Path) -> None:
    completed = run_app(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "no issues" in completed.stdout


def test_production_turns_every_browser_safety_on(tmp_path: Path) -> None:
    shown = production_settings(tmp_path)
    assert shown["DEBUG"] is False
    assert shown["SECURE_SSL_REDIRECT"] is True
    assert isinstance(shown["SECURE_HSTS_SECONDS"], int)
    assert shown["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert shown["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert shown["SECURE_HSTS_PRELOAD"] is True
    assert shown["SESSION_COOKIE_SECURE"] is True
    assert shown["CSRF_COOKIE_SECURE"] is True
    assert shown["SESSION_COOKIE_NAME"] == "__Host-sessionid"
    assert shown["CSRF_COOKIE_NAME"] == "__Host-csrftoken"
    assert shown["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert shown["SECURE_REFERRER_POLICY"] == "same-origin"
    assert shown["X_FRAME_OPTIONS"] == "DENY"
    assert shown["ACCOUNT_DEFAULT_HTTP_PROTOCOL"] == "https"
    assert shown["SECURE_CSP"]["default-src"] == ["'self'"]
    assert shown["SECURE_CSP"]["frame-ancestors"] == ["'none'"]
    # The sign-in form's redirect to Google, and the files page's PUT to GCS signed URLs.
    assert shown["SECURE_CSP"]["form-action"] == ["'self'", "https://accounts.google.com"]
    assert shown["SECURE_CSP"]["connect-src"] == ["'self'", "https://storage.googleapis.com"]
    middleware = shown["MIDDLEWARE"]
    assert isinstance(middleware, list)
    assert any(str(path).endswith(".ContentSecurityPolicyMiddleware") for path in middleware)


def test_production_turns_password_sign_in_off_unless_explicitly_enabled(tmp_path: Path) -> None:
    default = production_settings(tmp_path)
    assert (default["ALLOW_PASSWORD_LOGIN"], default["SOCIALACCOUNT_ONLY"]) == (False, True)
    enabled = production_settings(tmp_path, ALLOW_PASSWORD_LOGIN="true")
    assert (enabled["ALLOW_PASSWORD_LOGIN"], enabled["SOCIALACCOUNT_ONLY"]) == (True, False)


@pytest.mark.parametrize(
    "name",
    ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "GCS_BUCKET", "GOOGLE_OAUTH_CLIENT_ID"],
)
def test_production_refuses_to_start_without(tmp_path: Path, name: str) -> None:
    overrides: dict[str, str | None] = {name: None}
    if name == "GOOGLE_OAUTH_CLIENT_ID":
        overrides["GOOGLE_OAUTH_CLIENT_SECRET"] = None
    completed = run_app(production_env(tmp_path, **overrides), "check")
    assert completed.returncode != 0
    assert env_messages.MISSING.format(name=name) in completed.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DATABASE_URL", f"mysql://app:{DB_PASSWORD}@db:3306/app", "must be an absolute URL"),
        ("DATABASE_URL", "db.example.internal", "must be an absolute URL"),
        ("DJANGO_SECRET_KEY", "too-short", "at least 50 characters"),
        ("DJANGO_ENV", "staging", "must be one of"),
        ("DJANGO_DEBUG", "true", "must be off"),
        ("DJANGO_DEBUG", "perhaps", "must be one of"),
        ("DJANGO_HSTS_SECONDS", "3600", "must be between"),
        ("DJANGO_HSTS_SECONDS", "a year", "must be a whole number"),
        ("ALLOW_PASSWORD_LOGIN", "sometimes", "must be one of"),
        ("GOOGLE_OAUTH_CLIENT_SECRET", "", "is required"),
        ("DATABASE_POOL_MAX_SIZE", "0", "must be between"),
    ],
)
def test_production_refuses_to_start_with_a_malformed(tmp_path: Path, name: str, value: str, message: str) -> None:
    completed = run_app(production_env(tmp_path, **{name: value}), "check")
    assert completed.returncode != 0
    error_line = completed.stderr.strip().splitlines()[-1]
    assert name in error_line
    assert message in error_line
    assert DB_PASSWORD not in completed.stderr


def test_every_response_carries_the_browser_security_headers(db: None) -> None:
    response = Client().get("/accounts/login/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
