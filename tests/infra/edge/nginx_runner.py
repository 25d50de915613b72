"""The real nginx, with the repo's configuration rendered for a test, in the foreground."""

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.paths import REPO_ROOT
from tests.support.ports import free_port

REPO = REPO_ROOT
RENDER = REPO / "nginx" / "render.sh"
START_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Edge:
    """One nginx: every path (config, pid, temp, logs) under its prefix."""

    target: str
    prefix: Path
    env: Mapping[str, str]
    process: subprocess.Popen[bytes] | None = None

    @property
    def conf_dir(self) -> Path:
        return self.prefix / "conf"

    @property
    def conf(self) -> Path:
        return self.conf_dir / "nginx.conf"

    @property
    def http_port(self) -> int:
        return int(self.env["EDGE_HTTP_PORT"])

    @property
    def https_port(self) -> int:
        return int(self.env["EDGE_HTTPS_PORT"])

    def http_url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.http_port}{path}"

    def https_url(self, path: str = "") -> str:
        return f"https://127.0.0.1:{self.https_port}{path}"

    def access_log(self) -> list[dict[str, Any]]:
        path = self.prefix / "access.log"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def access_entry(self, request_id: str, *, timeout: float = 3.0) -> dict[str, Any]:
        """nginx's log line for a request; nginx writes it after the response, so wait for it."""
        deadline = time.monotonic() + timeout
        while True:
            entries = [entry for entry in self.access_log() if entry.get("request_id") == request_id]
            if entries or time.monotonic() > deadline:
                assert len(entries) == 1, f"nginx logged {len(entries)} requests with id {request_id}"
                return entries[0]
            time.sleep(0.02)

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def hook_env(self) -> dict[str, str]:
        """What the certbot deploy hook needs to find this nginx instead of the system's."""
        return {"EDGE_NGINX_CONF": str(self.conf), "EDGE_NGINX_PREFIX": str(self.prefix)}


def edge_env(prefix: Path, *, upstream_port: int, settings: Mapping[str, str] | None = None) -> dict[str, str]:
    """render.sh's environment: loopback listeners on free ports, everything under prefix."""
    (prefix / "tmp").mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("EDGE_", "FILES_"))}
    env.update(
        {
            "APP_UPSTREAM": f"127.0.0.1:{upstream_port}",
            "EDGE_LISTEN_ADDRESSES": "127.0.0.1",
            "EDGE_HTTP_PORT": str(free_port()),
            "EDGE_HTTPS_PORT": str(free_port()),
            "EDGE_PID_FILE": str(prefix / "nginx.pid"),
            "EDGE_TEMP_DIR": str(prefix / "tmp"),
            "EDGE_ACCESS_LOG": str(prefix / "access.log"),
            "EDGE_ERROR_LOG": str(prefix / "error.log"),
            # Workers must read the app's 0600 media files for X-Accel-Redirect.
            "EDGE_NGINX_USER": "root",
        }
    )
    env.update(settings or {})
    return env


def edge_render(target: str, prefix: Path, env: Mapping[str, str]) -> Edge:
    subprocess.run([RENDER, target, prefix / "conf"], env=env, check=True, capture_output=True, text=True)
    return Edge(target=target, prefix=prefix, env=env)


def nginx_check(edge: Edge) -> subprocess.CompletedProcess[str]:
    """`nginx -t` over the rendered configuration."""
    return subprocess.run(
        ["nginx", "-t", "-p", str(edge.prefix), "-c", str(edge.conf)],
        capture_output=True,
        text=True,
    )


def _wait_listening(edge: Edge, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited with {process.returncode}:\n{edge.error_log()}")
        try:
            socket.create_connection(("127.0.0.1", edge.http_port), timeout=0.5).close()
        except OSError:
            time.sleep(0.05)
        else:
            return
    raise RuntimeError(f"nginx did not listen on {edge.http_port}:\n{edge.error_log()}")


@contextmanager
def edge_running(edge: Edge) -> Iterator[Edge]:
    """Runs the rendered nginx in the foreground (daemon off) until the block ends."""
    process = subprocess.Popen(
        ["nginx", "-p", str(edge.prefix), "-c", str(edge.conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=(edge.prefix / "stderr.log").open("wb"),
    )
    try:
        _wait_listening(edge, process)
        yield Edge(target=edge.target, prefix=edge.prefix, env=edge.env, process=process)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
