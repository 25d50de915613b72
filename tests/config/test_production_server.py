"""The real server in production mode: the security headers and the HTTPS redirect
come from the event-loop middleware exactly as from Django's own."""

import secrets
from collections.abc import Iterator

import httpx
import pytest

from tests.plugin import postgres_cluster
from tests.support.live_app import LiveApp, live_app, live_app_env

pytestmark = pytest.mark.skipif(postgres_cluster() is None, reason="production mode needs PostgreSQL")


@pytest.fixture(scope="module")
def production_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    from tests.support.gcs import TEST_BUCKET, emulator_start, signing_key_write

    emulator = emulator_start()
    key = signing_key_write(tmp_path_factory.mktemp("prod") / "key.json")
    env = live_app_env(
        postgres_cluster(),
        {
            "DJANGO_ENV": "production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "GCS_BUCKET": TEST_BUCKET,
            "STORAGE_EMULATOR_HOST": emulator.url,
            "GCS_SIGNING_KEY_FILE": str(key),
            "ALLOW_PASSWORD_LOGIN": "1",
        },
    )
    with live_app(env, serve_args=("--forwarded-allow-ips", "127.0.0.1")) as app:
        yield app
    emulator.server.stop()


def test_production_responses_carry_every_security_header(production_app: LiveApp) -> None:
    response = httpx.get(
        f"{production_app.base_url}/api/v1/me",
        headers={"Authorization": f"Bearer {production_app.token}", "X-Forwarded-Proto": "https"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_production_redirects_plain_http_except_health(production_app: LiveApp) -> None:
    redirected = httpx.get(f"{production_app.base_url}/api/v1/me")
    assert redirected.status_code == 301
    assert redirected.headers["Location"].startswith("https://127.0.0.1")
    assert httpx.get(f"{production_app.base_url}/healthz").status_code == 200
    assert httpx.get(f"{production_app.base_url}/readyz").status_code == 200


def test_production_session_cookies_are_host_prefixed_and_secure(production_app: LiveApp) -> None:
    login = httpx.get(f"{production_app.base_url}/accounts/login/", headers={"X-Forwarded-Proto": "https"})
    assert login.status_code == 200
    cookie = login.headers["Set-Cookie"]
    assert cookie.startswith("__Host-csrftoken=")
    assert "Secure" in cookie
