"""What the benchmarks share: wrk, its figures, reference apps, CPU pinning, a throwaway PostgreSQL,
the command line of a benchmark driven in rounds."""

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.ports import free_port
from tests.support.postgres import PostgresCluster, postgres_cluster_new

_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
_P99 = re.compile(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


class MissingTool(Exception):
    """A benchmark prerequisite is not installed."""


@dataclass(frozen=True)
class Measurement:
    rps: float
    p99_ms: float


# On a machine with two cores or more, servers run on the first and wrk on the
# second, so the load generator never takes the server's CPU.
SERVER_CPU = 0
LOAD_CPU = 1
# The machine is shared. Against other work at normal priority, a process gets
# CPU in proportion to its runnable threads: an app that runs its queries in 64
# threads (or a PostgreSQL with 64 backends) would win for having more threads,
# not for being faster. So the servers, PostgreSQL and wrk run ahead of other
# work (when run as root), and the comparison is between the apps.
NICENESS = -10


def _run_ahead(task_id: int) -> None:
    with contextlib.suppress(PermissionError, ProcessLookupError):
        os.setpriority(os.PRIO_PROCESS, task_id, NICENESS)


def _is_pinnable() -> bool:
    return len(os.sched_getaffinity(0)) >= 2 and shutil.which("taskset") is not None


def pin_to_server_cpu(pid: int) -> None:
    """Pins every thread of process `pid` (started or yet to start) to SERVER_CPU."""
    if not _is_pinnable():
        return
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(ProcessLookupError):  # a thread that just ended
            os.sched_setaffinity(int(task.name), {SERVER_CPU})
        _run_ahead(int(task.name))


def wrk(url: str, *, token: str, seconds: float, connections: int) -> Measurement:
    """One `wrk` run (pinned to LOAD_CPU where possible); the app's answers must all be 2xx."""
    pin = ["taskset", "-c", str(LOAD_CPU)] if _is_pinnable() else []
    if os.geteuid() == 0:
        pin = ["nice", "-n", str(NICENESS), *pin]
    out = subprocess.run(
        [
            *pin,
            "wrk",
            f"-c{connections}",
            "-t2",
            f"-d{max(1, round(seconds))}s",
            "--latency",
            "-H",
            f"Authorization: Bearer {token}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"the endpoint answered errors under load:\n{out}")
    rps, p99 = _RPS.search(out), _P99.search(out)
    if rps is None or p99 is None:
        raise RuntimeError(f"could not read wrk's output:\n{out}")
    return Measurement(rps=float(rps.group(1)), p99_ms=float(p99.group(1)) * _UNIT_MS[p99.group(2)])


@contextmanager
def reference_app(target: str, env: Mapping[str, str] | None = None, *, probe: str = "/") -> Iterator[str]:
    """`target` (`module:app`) under the app's uvicorn settings, pinned to SERVER_CPU; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", target, "--port", str(port),
            "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--lifespan", "off", "--log-level", "warning",
        ],
        env=None if env is None else dict(env),
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                httpx.get(url + probe, timeout=0.5)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        pin_to_server_cpu(process.pid)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def benchmark_cluster() -> Iterator[PostgresCluster]:
    """A started throwaway cluster; raises MissingTool naming what to install."""
    if shutil.which("wrk") is None:
        raise MissingTool("wrk is not installed (Debian: apt-get install wrk)")
    cluster = postgres_cluster_new()
    if cluster is None:
        raise MissingTool("no PostgreSQL binaries found (Debian: apt-get install postgresql)")
    cluster.start()
    # Backends fork from the postmaster, so they inherit its priority.
    _run_ahead(int((cluster.root / "data" / "postmaster.pid").read_text().split()[0]))
    try:
        yield cluster
    finally:
        cluster.stop()


def exit_missing(error: MissingTool) -> int:
    print(error, file=sys.stderr)
    return 2


def rounds_parser(doc: str | None) -> argparse.ArgumentParser:
    """The command line every wrk benchmark shares: how long, how many alternating rounds, how hard."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5, help="each measurement's length")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds; the median is reported")
    parser.add_argument("--connections", type=int, default=64, help="wrk's connections")
    return parser
