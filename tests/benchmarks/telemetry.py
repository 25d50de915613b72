"""Telemetry off vs on: the same authenticated endpoint, the same run, the ratio.

    uv run python -m tests.benchmarks.telemetry [--seconds 8] [--rounds 2] [--connections 64]

Starts the real app under uvicorn (one worker) on a throwaway PostgreSQL
twice: once with telemetry off, once exporting traces (100% sampling),
metrics and logs over OTLP/HTTP to a receiver on loopback. Each is driven
with `wrk` on `GET /api/v1/files/{id}` (token lookup and one query); rounds
alternate off/on so drift hits both alike, and the best round of each counts.
`compare()` is what the project's benchmark runner calls.
"""

import argparse
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from tests.benchmarks.load import Measurement, MissingTool, benchmark_cluster, exit_missing, wrk
from tests.observability.receiver import OtlpReceiver, otlp_receiver
from tests.support.live_app import LiveApp, live_app, live_app_env
from tests.support.postgres import PostgresCluster

# The target the issue sets: at most 15% fewer requests/s with full tracing.
TARGET_RATIO = 0.85


@dataclass(frozen=True)
class Comparison:
    off: Measurement
    on: Measurement
    trace_exports: int

    @property
    def ratio(self) -> float:
        return self.on.rps / self.off.rps

    def report(self) -> str:
        return "\n".join(
            [
                "telemetry  requests/s   p99 ms",
                f"off        {self.off.rps:10.1f} {self.off.p99_ms:8.2f}",
                f"on         {self.on.rps:10.1f} {self.on.p99_ms:8.2f}",
                f"ratio on/off: {self.ratio:.3f} (target >= {TARGET_RATIO}); "
                f"trace export requests received while on: {self.trace_exports}",
            ]
        )


def telemetry_env(receiver: OtlpReceiver) -> dict[str, str]:
    """Full telemetry at 100% sampling, exporting to `receiver`."""
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
        "OTEL_TRACES_SAMPLER": "parentbased_always_on",
        "OTEL_SERVICE_NAME": "benchmark",
    }


@contextmanager
def _served(cluster: PostgresCluster, extra: Mapping[str, str]) -> Iterator[tuple[LiveApp, str]]:
    env = live_app_env(cluster, {"ACCESS_LOG": "1", "LOG_LEVEL": "INFO", **extra})
    with live_app(env) as app:
        headers = {"Authorization": f"Bearer {app.token}"}
        created = httpx.post(f"{app.base_url}/api/v1/files", headers=headers, files={"file": ("a.txt", b"hello\n")})
        created.raise_for_status()
        yield app, f"{app.base_url}/api/v1/files/{created.json()['id']}"


def _measure(cluster: PostgresCluster, extra: Mapping[str, str], *, seconds: float, connections: int) -> Measurement:
    with _served(cluster, extra) as (app, url):
        wrk(url, token=app.token, seconds=2, connections=connections)  # warm-up
        return wrk(url, token=app.token, seconds=seconds, connections=connections)


def compare(cluster: PostgresCluster, *, seconds: float = 8, rounds: int = 2, connections: int = 64) -> Comparison:
    """Telemetry off, then on, `rounds` times; the best of each."""
    off: list[Measurement] = []
    on: list[Measurement] = []
    with otlp_receiver(decode=False) as receiver:
        for _ in range(rounds):
            off.append(_measure(cluster, {}, seconds=seconds, connections=connections))
            on.append(_measure(cluster, telemetry_env(receiver), seconds=seconds, connections=connections))
        trace_exports = receiver.requests["traces"]
    best = lambda runs: max(runs, key=lambda m: m.rps)  # noqa: E731
    return Comparison(off=best(off), on=best(on), trace_exports=trace_exports)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args(argv)
    try:
        with benchmark_cluster() as cluster:
            result = compare(cluster, seconds=args.seconds, rounds=args.rounds, connections=args.connections)
    except MissingTool as error:
        return exit_missing(error)
    print(result.report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
