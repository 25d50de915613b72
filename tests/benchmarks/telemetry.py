"""Telemetry off vs on: the same authenticated endpoint, paired rounds, the median ratio.

    uv run python -m tests.benchmarks.telemetry [--seconds 5] [--rounds 5] [--connections 64] [--against DIR]

Starts the real app under uvicorn (one worker) on a throwaway PostgreSQL
three times, side by side: telemetry off; on at the production default
sampling (10% parent-based, app/integrations/otel.py); on at 100%; both
exporting traces, metrics and logs over OTLP/HTTP to a receiver on loopback.
Each round drives `GET /api/v1/files/{id}` (token lookup and one query) with
`wrk` on each app in turn, in the reverse order every other round; the ratio
on/off of each round counts, and the median of those is the figure. The
workers' RSS after the rounds is printed too. `--against DIR` serves the same
three from another checkout's `app/` as well (`git worktree add DIR main`),
in the same rounds: before and after a change, side by side. This machine's
speed drifts by a third between runs, so only figures taken moments apart are
compared. `compare()` is what the project's benchmark runner calls.
"""

import statistics
import sys
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.benchmarks.load import (
    Measurement,
    MissingTool,
    benchmark_cluster,
    exit_missing,
    pin_to_server_cpu,
    rounds_parser,
    wrk,
)
from tests.infra.observability.receiver import OtlpReceiver, otlp_receiver
from tests.support.live_app import LiveApp, live_app, live_app_env
from tests.support.postgres import PostgresCluster

# The target the hot-path issue sets: at most 10% fewer requests/s at the default sampling.
TARGET_RATIO = 0.90


@dataclass(frozen=True)
class Round:
    off: Measurement
    on: Measurement
    full: Measurement

    @property
    def ratio(self) -> float:
        return self.on.rps / self.off.rps

    @property
    def full_ratio(self) -> float:
        return self.full.rps / self.off.rps


@dataclass(frozen=True)
class Comparison:
    rounds: list[Round]
    trace_exports: int
    rss_mib: dict[str, float]
    # The same rounds of the checkout given as `against`.
    against_rounds: list[Round] | None = None

    @property
    def ratio(self) -> float:
        return statistics.median(r.ratio for r in self.rounds)

    @property
    def full_ratio(self) -> float:
        return statistics.median(r.full_ratio for r in self.rounds)

    def report(self) -> str:
        lines = _table(self.rounds)
        if self.against_rounds is not None:
            lines += ["", "against:", *_table(self.against_rounds)]
        lines.append(f"trace export requests received: {self.trace_exports}")
        lines.append("worker RSS after the rounds (MiB): " + ", ".join(f"{k} {v:.0f}" for k, v in self.rss_mib.items()))
        return "\n".join(lines)


def _table(rounds: list[Round]) -> list[str]:
    lines = ["round  off req/s  p99 ms  10% req/s  p99 ms  100% req/s  p99 ms   10%/off  100%/off"]
    for number, paired in enumerate(rounds, 1):
        lines.append(
            f"{number:5d} {paired.off.rps:10.1f} {paired.off.p99_ms:7.1f} "
            f"{paired.on.rps:10.1f} {paired.on.p99_ms:7.1f} {paired.full.rps:11.1f} {paired.full.p99_ms:7.1f} "
            f"{paired.ratio:9.3f} {paired.full_ratio:9.3f}"
        )
    ratios = [r.ratio for r in rounds]
    lines.append(
        f"ratio at 10% sampling/off, median of {len(ratios)} rounds: {statistics.median(ratios):.3f} "
        f"(range {min(ratios):.3f}-{max(ratios):.3f}; target >= {TARGET_RATIO}); "
        f"at 100%: {statistics.median(r.full_ratio for r in rounds):.3f}"
    )
    return lines


def telemetry_env(receiver: OtlpReceiver, *, full: bool = True) -> dict[str, str]:
    """Telemetry exporting to `receiver`: at 100% sampling, or at the production default."""
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, "OTEL_SERVICE_NAME": "benchmark"}
    if full:
        env["OTEL_TRACES_SAMPLER"] = "parentbased_always_on"
    return env


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))) / 1024


@contextmanager
def _served(cluster: PostgresCluster | None, extra: Mapping[str, str]) -> Iterator[tuple[LiveApp, str]]:
    env = live_app_env(cluster, {"ACCESS_LOG": "1", "LOG_LEVEL": "INFO", **extra})
    with live_app(env) as app:
        headers = {"Authorization": f"Bearer {app.token}"}
        created = httpx.post(f"{app.base_url}/api/v1/files", headers=headers, files={"file": ("a.txt", b"hello\n")})
        created.raise_for_status()
        yield app, f"{app.base_url}/api/v1/files/{created.json()['id']}"


def compare(
    cluster: PostgresCluster | None,
    *,
    seconds: float = 5,
    rounds: int = 5,
    connections: int = 64,
    against: Path | None = None,
) -> Comparison:
    """`rounds` runs of each app in turn (off, 10%, 100%), all up throughout (None: on SQLite).

    With `against` (another checkout), its three apps run in the same rounds.
    """
    sources = {"": {}} | ({} if against is None else {"against ": {"PYTHONSAFEPATH": "1", "PYTHONPATH": str(against)}})
    with otlp_receiver(decode=False) as receiver, ExitStack() as apps:
        modes = {"off": {}, "10%": telemetry_env(receiver, full=False), "100%": telemetry_env(receiver)}
        served = {
            prefix + mode: apps.enter_context(_served(cluster, {**source, **env}))
            for prefix, source in sources.items()
            for mode, env in modes.items()
        }
        for app, _ in served.values():
            pin_to_server_cpu(app.process.pid)

        def measure(name: str, run_seconds: float) -> Measurement:
            app, url = served[name]
            return wrk(url, token=app.token, seconds=run_seconds, connections=connections)

        for name in served:  # warm-up
            measure(name, min(2, seconds))
        measured: dict[str, list[Measurement]] = {name: [] for name in served}
        for number in range(rounds):
            # Alternating the order evens out a drift in the machine's speed.
            for name in served if number % 2 == 0 else reversed(served):
                measured[name].append(measure(name, seconds))
        paired = {
            prefix: [
                Round(off=off, on=on, full=full)
                for off, on, full in zip(*(measured[prefix + mode] for mode in modes), strict=True)
            ]
            for prefix in sources
        }
        rss = {name: rss_mib(app.process.pid) for name, (app, _) in served.items()}
        return Comparison(
            rounds=paired[""],
            trace_exports=receiver.requests["traces"],
            rss_mib=rss,
            against_rounds=paired.get("against "),
        )


def main(argv: list[str] | None = None) -> int:
    parser = rounds_parser(__doc__)
    parser.add_argument("--against", type=Path, help="another checkout to serve side by side (e.g. main's)")
    args = parser.parse_args(argv)
    try:
        with benchmark_cluster() as cluster:
            result = compare(
                cluster, seconds=args.seconds, rounds=args.rounds, connections=args.connections, against=args.against
            )
    except MissingTool as error:
        return exit_missing(error)
    print(result.report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
