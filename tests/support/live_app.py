"""The real app under uvicorn in a subprocess, on a database of its own."""

import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.ports import free_port
from tests.support.postgres import PostgresCluster

STARTUP_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class LiveApp:
    base_url: str
    port: int
    token: str
    log_path: Path
    process: subprocess.Popen[bytes]
    # The environment it was started with (what a test needs to start it again).
    env: Mapping[str, str] = field(default_factory=dict[str, str])

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(errors="replace").splitlines()


def _app_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "app", *args]


def live_app_env(cluster: PostgresCluster | None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for a fresh app: its own var/ and, on Postgres, its own database."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env["APP_VAR_DIR"] = tempfile.mkdtemp(prefix="live-app-var-")
    env.pop("DATABASE_URL", None)
    env.pop("DATABASE_THREADS", None)
    if cluster is not None:
        env["DATABASE_URL"] = cluster.create_database(f"live_{uuid.uuid4().hex[:12]}")
    env.update(extra or {})
    return env


@contextmanager
def live_app(
    env: Mapping[str, str],
    *,
    workers: int = 1,
    host: str = "127.0.0.1",
    serve_args: tuple[str, ...] = (),
    user_email: str = "live@example.com",
    asgi_app: str | None = None,
) -> Iterator[LiveApp]:
    """Migrates, issues an API token for `user_email`, serves, and stops on exit.

    With `asgi_app` (`module:attribute`, e.g. a test-side wrapper of the app) it serves that under
    uvicorn instead, on a database someone else migrated: no migration, no token (empty).
    """
    environment = dict(env)
    token = ""
    if asgi_app is None:
        subprocess.run(_app_command("migrate", "--noinput", "-v", "0"), env=environment, check=True)
        issued = subprocess.run(
            _app_command("issue_token", user_email, "--create-user"),
            env=environment,
            check=True,
            capture_output=True,
            text=True,
        )
        # The token is the last line: at LOG_LEVEL=DEBUG log lines share stdout with it.
        token = issued.stdout.strip().splitlines()[-1]
    port = free_port()
    if asgi_app is None:
        command = _serve_command(host=host, port=port, workers=workers, serve_args=serve_args)
    else:
        command = [
            *(sys.executable, "-m", "uvicorn", asgi_app, "--host", host, "--port", str(port)),
            *("--workers", str(workers), "--loop", "uvloop", "--http", "httptools", "--lifespan", "off"),
            *("--no-access-log", "--no-server-header", *serve_args),
        ]
    # One log per server: several may serve one var/ directory.
    log_path = Path(environment["APP_VAR_DIR"]) / f"app-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://{host}:{port}"
    try:
        _wait_healthy(base_url, process, log_path)
        yield LiveApp(
            base_url=base_url,
            port=port,
            token=token,
            log_path=log_path,
            process=process,
            env=environment,
        )
    finally:
        app_serve_stop(process)


def _serve_command(*, host: str, port: int, workers: int, serve_args: tuple[str, ...]) -> list[str]:
    return _app_command(
        "serve", "--host", host, "--port", str(port), "--workers", str(workers), "--no-migrate", *serve_args
    )


def app_serve_start(
    env: Mapping[str, str],
    *,
    port: int,
    log_path: Path,
    host: str = "127.0.0.1",
    workers: int = 1,
    serve_args: tuple[str, ...] = (),
) -> subprocess.Popen[bytes]:
    """`app serve` in the background on an environment already migrated, its output in
    log_path; it is up when /healthz answers (the Swarm tests' replicas)."""
    with log_path.open("wb") as log:
        return subprocess.Popen(
            _serve_command(host=host, port=port, workers=workers, serve_args=serve_args),
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def app_serve_stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def _wait_healthy(base_url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"app did not become healthy:\n{log_path.read_text()}")
