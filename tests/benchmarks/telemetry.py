"""Telemetry off vs on: the same authenticated endpoint, paired rounds, the median ratio.

    uv run python -m tests.benchmarks.telemetry [--seconds 5] [--rounds 5] [--connections 64]

Starts the real app under uvicorn (one worker) on a throwaway PostgreSQL
twice, side by side: one with telemetry off, one exporting traces (100%
sampling), metrics and logs over OTLP/HTTP to a receiver on loopback. Each
round drives `GET /api/v1/files/{id}` (token lookup and one query) with `wrk`
on one app and then the other; the ratio of each pair counts, and the median
of those is the figure. This machine's speed drifts by a third between
runs, so only figures taken moments apart are compared. `compare()` is what
the project's benchmark runner calls.
"""

import argparse
import statistics
import sys
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import httpx

from tests.benchmarks.load import Measurement, MissingTool, benchmark_cluster, exit_missing, wrk
from tests.infra.observability.receiver import OtlpReceiver, otlp_receiver
from tests.support.live_app import LiveApp, live_app, live_app_env
from tests.support.postgres import PostgresCluster

# The target the issue sets: at most 15% fewer requests/s with full tracing.
TARGET_RATIO = 0.85


@dataclass(frozen=True)
class Round:
    off: Measurement
    on: Measurement

    @property
    def ratio(self) -> float:
        return self.on.rps / self.off.rps


@dataclass(frozen=True)
class Comparison:
    rounds: list[Round]
    trace_exports: int

    @property
    def ratio(self) -> float:
        return statistics.median(r.ratio for r in self.rounds)

    def report(self) -> str:
        lines = ["round  off req/s  p99 ms   on req/s  p99 ms   on/off"]
        for number, paired in enumerate(self.rounds, 1):
            lines.append(
                f"{number:5d} {paired.off.rps:10.1f} {paired.off.p99_ms:7.1f} "
                f"{paired.on.rps:10.1f} {paired.on.p99_ms:7.1f} {paired.ratio:8.3f}"
            )
        ratios = [r.ratio for r in self.rounds]
        lines.append(
            f"ratio on/off, median of {len(ratios)} rounds: {self.ratio:.3f} "
            f"(range {min(ratios):.3f}-{max(ratios):.3f}; target >= {TARGET_RATIO}); "
            f"trace export requests received while on: {self.trace_exports}"
        )
        return "\n".join(lines)


def telemetry_env(receiver: OtlpReceiver) -> dict[str, str]:
    """Full telemetry at 100% sampling, exporting to `receiver`."""
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
        "OTEL_TRACES_SAMPLER": "parentbased_always_on",
        "OTEL_SERVICE_NAME": "benchmark",
    }


@contextmanager
def _served(cluster: PostgresCluster | None, extra: Mapping[str, str]) -> Iterator[tuple[LiveApp, str]]:
    env = live_app_env(cluster, {"ACCESS_LOG": "1", "LOG_LEVEL": "INFO", **extra})
    with live_app(env) as app:
        headers = {"Authorization": f"Bearer {app.token}"}
        created = httpx.post(f"{app.base_url}/api/v1/files", headers=headers, files={"file": ("a.txt", b"hello\n")})
        created.raise_for_status()
        yield app, f"{app.base_url}/api/v1/files/{created.json()['id']}"


def compare(
    cluster: PostgresCluster | None, *, seconds: float = 5, rounds: int = 5, connections: int = 64
) -> Comparison:
    """`rounds` pairs of runs, telemetry off then on, with both apps up throughout (None: on SQLite)."""
    with otlp_receiver(decode=False) as receiver, ExitStack() as apps:
        off_app, off_url = apps.enter_context(_served(cluster, {}))
        on_app, on_url = apps.enter_context(_served(cluster, telemetry_env(receiver)))

        def measure(app: LiveApp, url: str, run_seconds: float) -> Measurement:
            return wrk(url, token=app.token, seconds=run_seconds, connections=connections)

        measure(off_app, off_url, 2)  # warm-up
        measure(on_app, on_url, 2)
        paired = [
            Round(off=measure(off_app, off_url, seconds), on=measure(on_app, on_url, seconds)) for _ in range(rounds)
        ]
        return Comparison(rounds=paired, trace_exports=receiver.requests["traces"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=5)
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
