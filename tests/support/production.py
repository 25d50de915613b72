"""The app in production mode, in a subprocess with a clean environment, as it starts."""

import secrets
import subprocess
import sys
from pathlib import Path

from tests.support.paths import REPO_ROOT

DB_PASSWORD = "s3cret-db-pw"


def production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    """A complete production environment (fake but well-formed); None removes a variable."""
    environment = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "APP_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "files.example.com",
        "DATABASE_URL": f"postgres://app:{DB_PASSWORD}@db.example.internal:5432/app",
        "GCS_BUCKET": "example-files",
        "GOOGLE_OAUTH_CLIENT_ID": "123-abc.apps.googleusercontent.com",
        "GOOGLE_OAUTH_CLIENT_SECRET": "GOCSPX-test",
    }
    for name, value in overrides.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return environment


def run_app(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        env=environment,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
