"""The image's build and start steps, replayed natively from the Dockerfile.

No container engine exists here, so the instructions themselves are run: the
build stage's `uv sync` commands with its ENV, the final stage's collectstatic,
then its CMD in production mode, probed by its HEALTHCHECK. `/app` is mapped to
a temporary directory; everything else is the Dockerfile's own text.
"""

import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.infra.containers.conftest import ROOT, Stage, dockerfile_parse
from tests.support.ports import free_port

BUILD_ARGS = {
    "APP_VERSION": "9.9.9-test",
    "VCS_REF": "0" * 40,
    "SOURCE_URL": "https://example.test/repo",
}
ALLOWED_HOST = "files.example.test"
STARTUP_TIMEOUT_SECONDS = 30
# Variables the app (or the test suite's plugin) reads: the replay sets its own.
APP_VARIABLE_PREFIXES = (
    "DJANGO_", "DATABASE_", "GCS_", "APP_", "STORAGE_", "CDN_", "OTEL_", "GOOGLE_",
    "ALLOW_", "FILES_", "API_TOKEN_", "LOG_LEVEL", "PYTEST", "TEST_",
)  # fmt: skip

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Replay:
    """The replayed image: its /app directory and the final stage's environment."""

    app_dir: Path
    env: dict[str, str]
    final: Stage


def _remap(text: str, app_dir: Path, scratch: Path) -> str:
    text = text.replace("/tmp/build-var", str(scratch / "build-var"))
    return re.sub(r"(?<![\w.-])/app(?=/|:|\s|$)", str(app_dir), text)


def _expand(text: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: variables.get(m[1] or m[2], ""), text)


def _stage_env(stage: Stage, variables: dict[str, str], app_dir: Path, scratch: Path) -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction in stage.all("ENV"):
        for pair in shlex.split(instruction.arguments):
            name, _, value = pair.partition("=")
            env[name] = _remap(_expand(value, {**variables, **env}), app_dir, scratch)
    return env


def _run(instruction_text: str, env: dict[str, str], cwd: Path, app_dir: Path, scratch: Path) -> None:
    command = _remap(re.sub(r"--mount=\S+\s*", "", instruction_text), app_dir, scratch)
    result = subprocess.run(["sh", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"RUN {command}\n{result.stdout}\n{result.stderr}"


def _host_env() -> dict[str, str]:
    """This machine's environment (uv's cache, certificates, proxies) minus the app's settings."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(APP_VARIABLE_PREFIXES) and name not in {"VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT"}
    }


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Replay:
    assert sys.version_info[:2] == (3, 12), "the image runs Python 3.12"
    stages = dockerfile_parse((ROOT / "Dockerfile").read_text())
    build = next(stage for stage in stages if stage.name == "build")
    final = stages[-1]
    scratch = tmp_path_factory.mktemp("image")
    app_dir = scratch / "app"
    app_dir.mkdir()
    for copy in build.all("COPY"):
        if "from" in copy.options():
            continue
        *sources, _ = copy.arguments.split()
        for source in sources:
            origin = ROOT / source
            if origin.is_dir():
                ignore = shutil.ignore_patterns("__pycache__")
                shutil.copytree(origin, app_dir / source, ignore=ignore)
            else:
                shutil.copy2(origin, app_dir / source)

    base_env = _host_env()
    build_env = {**base_env, **_stage_env(build, {}, app_dir, scratch)}
    # The image's python3.12 is /usr/local/bin's; here it is the one running the tests.
    build_env["UV_PYTHON"] = sys.executable
    for run in build.all("RUN"):
        _run(run.arguments, build_env, app_dir, app_dir, scratch)

    # The final stage holds only the copied virtual environment, not the sources.
    for entry in app_dir.iterdir():
        if entry.name != ".venv":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    variables = {**BUILD_ARGS, "PATH": base_env["PATH"]}
    final_env = {**base_env, **_stage_env(final, variables, app_dir, scratch)}
    for run in final.all("RUN"):
        if "collectstatic" in run.arguments:
            _run(run.arguments, final_env, app_dir, app_dir, scratch)
    return Replay(app_dir=app_dir, env=final_env, final=final)


def _production_env(replay: Replay) -> dict[str, str]:
    """What a deployment must add; healthz touches neither the database nor the bucket."""
    return {
        **replay.env,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": ALLOWED_HOST,
        "DATABASE_URL": "postgres://app:unused@127.0.0.1:9/app",
        "GCS_BUCKET": "unused-bucket",
        "ALLOW_PASSWORD_LOGIN": "true",
    }


def _probe(replay: Replay, port: int, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    healthcheck = replay.final.last("HEALTHCHECK")
    assert healthcheck is not None
    command = healthcheck.exec_form()
    assert command is not None
    command = [word.replace(":8000/", f":{port}/") for word in command]
    return subprocess.run(
        command,
        cwd=replay.app_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )


@pytest.fixture(scope="module")
def served(replay: Replay) -> Iterator[tuple[int, dict[str, str]]]:
    cmd = replay.final.last("CMD")
    assert cmd is not None
    command = cmd.exec_form()
    assert command is not None
    port = free_port()
    command[command.index("--port") + 1] = str(port)
    env = _production_env(replay)
    log_path = replay.app_dir.parent / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=replay.app_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # uvicorn's workers share the group we stop
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while _probe(replay, port, env).returncode != 0:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the image's CMD did not become healthy:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield port, env
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def test_build_collects_static_files_into_the_image(replay: Replay) -> None:
    static_root = Path(replay.env["DJANGO_STATIC_ROOT"])
    assert (static_root / "admin" / "css" / "base.css").is_file()
    assert not (replay.app_dir.parent / "build-var").exists(), "build scratch files are removed"


def test_build_compiles_bytecode_ahead_of_start(replay: Replay) -> None:
    compiled = list((replay.app_dir / ".venv").glob("lib/python3.12/site-packages/app/__pycache__/*.pyc"))
    assert compiled


def test_the_swarm_autoscaler_runs_from_the_image(replay: Replay) -> None:
    """deploy/swarm/stack.yaml runs `python -m autoscaler` from the app's image."""
    result = subprocess.run(
        ["python", "-m", "autoscaler", "--help"],
        cwd=replay.app_dir,
        env=replay.env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "autoscale" in result.stdout


def test_healthcheck_fails_when_nothing_serves(replay: Replay) -> None:
    assert _probe(replay, free_port(), _production_env(replay)).returncode != 0


def test_cmd_serves_in_production_mode_and_passes_the_healthcheck(
    served: tuple[int, dict[str, str]],
) -> None:
    port, _ = served
    response = httpx.get(f"http://127.0.0.1:{port}/healthz", headers={"Host": ALLOWED_HOST})
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": BUILD_ARGS["APP_VERSION"]}
    # Production settings are in force: a host outside DJANGO_ALLOWED_HOSTS is refused.
    assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 400


def test_served_static_files_are_the_ones_collected_at_build(
    served: tuple[int, dict[str, str]],
) -> None:
    port, _ = served
    response = httpx.get(f"http://127.0.0.1:{port}/static/admin/css/base.css", headers={"Host": ALLOWED_HOST})
    assert response.status_code == 200
    assert "text/css" in response.headers["content-type"]
