"""deploy/swarm/entrypoint.sh, run for real: Docker configs and secrets into the environment."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import REPO_ROOT

ENTRYPOINT = REPO_ROOT / "deploy" / "swarm" / "entrypoint.sh"


def _run(tmp_path: Path, *command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The entrypoint with /run/configs and /run/secrets under tmp_path."""
    base = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    return subprocess.run(
        ["sh", str(ENTRYPOINT), *command],
        env={
            **base,
            "ENTRYPOINT_CONFIGS_DIR": str(tmp_path / "configs"),
            "ENTRYPOINT_SECRETS_DIR": str(tmp_path / "secrets"),
            **(env or {}),
        },
        capture_output=True,
        text=True,
        check=False,
    )


def _write(tmp_path: Path, configs: dict[str, str], secret_values: dict[str, str]) -> None:
    for directory, files in (("configs", configs), ("secrets", secret_values)):
        (tmp_path / directory).mkdir(exist_ok=True)
        for name, content in files.items():
            (tmp_path / directory / name).write_text(content)


def _environment(output: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in output.splitlines() if "=" in line)


def test_configs_and_secrets_become_the_commands_environment_taken_literally(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "app.env": (
                "# a comment\n\nPLAIN=value\nWITH_EQUALS=a=b=c\nNOT_EXPANDED=$HOME/x\nSPACES=a b  c\nLAST=no newline"
            ),
            "other.txt": "IGNORED=1\n",
        },
        {"DATABASE_URL": "postgres://app:s3cret@postgres/app\n"},
    )
    result = _run(tmp_path, "env")
    assert result.returncode == 0, result.stderr
    env = _environment(result.stdout)
    assert env["PLAIN"] == "value"
    assert env["WITH_EQUALS"] == "a=b=c"
    assert env["NOT_EXPANDED"] == "$HOME/x"
    assert env["SPACES"] == "a b  c"
    assert env["LAST"] == "no newline"
    assert env["DATABASE_URL"] == "postgres://app:s3cret@postgres/app", "the secret's trailing newline is dropped"
    assert "IGNORED" not in env


@pytest.mark.parametrize(
    ("configs", "secret_values", "message"),
    [
        ({"app.env": "GOOD=1\nnot a setting\n"}, {}, "app.env line 2: expected KEY=value"),
        ({"app.env": "1BAD=x\n"}, {}, "app.env line 1: not a variable name: '1BAD'"),
        ({"app.env": "BAD-NAME=x\n"}, {}, "not a variable name: 'BAD-NAME'"),
        ({}, {"bad.name": "x"}, "not a variable name: 'bad.name'"),
    ],
)
def test_a_malformed_setting_stops_the_service_naming_it(
    tmp_path: Path, configs: dict[str, str], secret_values: dict[str, str], message: str
) -> None:
    _write(tmp_path, configs, secret_values)
    result = _run(tmp_path, "env")
    assert result.returncode == 78  # EX_CONFIG
    assert message in result.stderr
    assert result.stdout == "", "the command must not run"


def test_the_example_settings_and_the_guides_secrets_make_a_production_app_that_passes_its_deploy_checks(
    tmp_path: Path,
) -> None:
    """What the README tells an operator to create is what the app needs in production."""
    _write(
        tmp_path,
        {"app.env": (REPO_ROOT / "deploy" / "swarm" / "app.env.example").read_text()},
        {
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(48) + "\n",
            "DATABASE_URL": "postgres://app:password@postgres:5432/app\n",
            "GOOGLE_OAUTH_CLIENT_SECRET": "client-secret\n",
        },
    )
    result = _run(
        tmp_path,
        sys.executable,
        "-m",
        "app",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        # The image sets these two; telemetry stays off in a check.
        env={"DJANGO_ENV": "production", "APP_VAR_DIR": str(tmp_path / "var"), "OTEL_SDK_DISABLED": "true"},
    )
    assert result.returncode == 0, result.stderr
