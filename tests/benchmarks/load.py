"""What both benchmarks share: wrk, its figures, and a throwaway PostgreSQL."""

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

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


def wrk(url: str, *, token: str, seconds: float, connections: int) -> Measurement:
    """One `wrk` run; the app's answers must all be 2xx."""
    out = subprocess.run(
        [
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
def benchmark_cluster() -> Iterator[PostgresCluster]:
    """A started throwaway cluster; raises MissingTool naming what to install."""
    if shutil.which("wrk") is None:
        raise MissingTool("wrk is not installed (Debian: apt-get install wrk)")
    cluster = postgres_cluster_new()
    if cluster is None:
        raise MissingTool("no PostgreSQL binaries found (Debian: apt-get install postgresql)")
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


def exit_missing(error: MissingTool) -> int:
    print(error, file=sys.stderr)
    return 2
