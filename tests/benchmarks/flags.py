"""Feature flags: what one evaluation costs, how soon an edit is in force, and what the list endpoint pays.

    uv run python -m tests.benchmarks.flags [--iterations 20000] [--reloads 5] [--seconds 5] [--rounds 5]
                                            [--no-throughput]

1. Evaluation cost, in this process, on the repo's flag file: each flag the app reads, for
   an ordinary user, through the app's own call (`app.flags`: evaluation context, the
   OpenFeature client, its hook, flagd's evaluator), then flagd's evaluator alone, then the
   app's call inside a recording span (telemetry on: the span event is built). The best of
   several repeats, in microseconds per evaluation.
2. Reload time: the flag file rewritten while the watch runs at the default interval
   (FLAGS_POLL_INTERVAL_MS), timed until the new value is in force.
3. The list endpoint (`GET /api/v1/files`, which reads no flag) on two apps side by side,
   paired rounds with wrk as in tests/benchmarks/telemetry.py: one whose watch never wakes
   during the run (as if there were no flags) and one looking at the file every 50 ms (the
   most often allowed, twenty times the default). The median ratio is the figure.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import timeit
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import django
import httpx
from django.conf import settings
from opentelemetry.sdk.trace import TracerProvider

from app import flags
from app.flags.catalog import CATALOG, UPLOADS_ENABLED, BooleanFlag, Flag
from app.integrations.openfeature import FlagSet
from tests.benchmarks.load import MissingTool, benchmark_cluster, exit_missing, wrk
from tests.support.flags import REPO_FLAG_FILE, flag_file_write, flags_running, repo_flags, with_flag
from tests.support.live_app import live_app, live_app_env
from tests.support.postgres import PostgresCluster

if TYPE_CHECKING:
    from app.accounts.models import User

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app.config.settings")
os.environ.setdefault("APP_VAR_DIR", tempfile.mkdtemp(prefix="flags-benchmark-var-"))

# The aim the issue sets for one evaluation on the request path.
TARGET_EVALUATION_US = 20.0
# The watch of the "as if no flags" app: longer than any run.
ASLEEP_INTERVAL_MS = 3_600_000
BUSY_INTERVAL_MS = 50
# The row of the app's call before any provider is set: the SDK's and the app's own cost.
NO_PROVIDER = "(no provider)"


@dataclass(frozen=True)
class EvaluationCost:
    key: str
    app_us: float
    evaluator_us: float
    recording_us: float


def _best_us(call: Callable[[], object], iterations: int, repeats: int = 25) -> float:
    return min(timeit.repeat(call, number=iterations, repeat=repeats)) / iterations * 1e6


def _calls(flag: Flag, user: "User", flag_set: FlagSet) -> tuple[Callable[[], object], Callable[[], object]]:
    """The app's own call for `flag`, and flagd's evaluator answering the same question."""
    context = flags._context(user)  # pyright: ignore[reportPrivateUsage]
    if isinstance(flag, BooleanFlag):
        switch = flag
        return (
            lambda: flags.is_on(switch, user),
            lambda: flag_set.evaluator.resolve_boolean_value(switch.key, switch.default, context),
        )
    return (
        lambda: flags.object_value(flag, user),
        lambda: flag_set.evaluator.resolve_object_value(flag.key, {}, context),
    )


def evaluation_costs(iterations: int) -> list[EvaluationCost]:
    """Microseconds per evaluation of each flag the app reads, three ways (see the module's docstring)."""
    django.setup()
    from app.accounts.models import User

    user = User(email="someone@example.com", is_staff=False)
    flag_set = FlagSet(json.loads(REPO_FLAG_FILE.read_text()))
    calls = {flag.key: _calls(flag, user, flag_set) for flag in CATALOG}
    # Before start: OpenFeature's no-op provider answers, so this is the SDK and the app's own code.
    sdk_floor_us = _best_us(calls[UPLOADS_ENABLED.key][0], iterations)
    evaluator_us = {key: _best_us(evaluator_call, iterations) for key, (_, evaluator_call) in calls.items()}
    with flags_running(REPO_FLAG_FILE):
        app_us = {key: _best_us(app_call, iterations) for key, (app_call, _) in calls.items()}
    # Telemetry on: the hook is installed at start, and the span records the event.
    telemetry_was = settings.OTEL_ENABLED
    settings.OTEL_ENABLED = True
    try:
        with flags_running(REPO_FLAG_FILE), TracerProvider().get_tracer("benchmark").start_as_current_span("request"):
            recording_us = {key: _best_us(app_call, iterations) for key, (app_call, _) in calls.items()}
    finally:
        settings.OTEL_ENABLED = telemetry_was
    return [EvaluationCost(key, app_us[key], evaluator_us[key], recording_us[key]) for key in calls] + [
        EvaluationCost(NO_PROVIDER, sdk_floor_us, 0.0, 0.0)
    ]


def reload_seconds(reloads: int) -> list[float]:
    """Seconds from rewriting the flag file to its new value answering, at the default poll interval."""
    django.setup()
    from app.accounts.models import User

    user = User(email="someone@example.com", is_staff=False)
    took: list[float] = []
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "flags.json"
        flag_file_write(path, repo_flags())
        flags.start(path, poll_interval_ms=settings.FLAGS_POLL_INTERVAL_MS)
        try:
            for round_number in range(reloads):
                expected = round_number % 2 == 1
                variant = "on" if expected else "off"
                written = time.monotonic()
                flag_file_write(path, with_flag(repo_flags(), "uploads-enabled", defaultVariant=variant))
                while flags.is_on(UPLOADS_ENABLED, user) is not expected:
                    time.sleep(0.001)
                took.append(time.monotonic() - written)
        finally:
            flags.stop()
    return took


@dataclass(frozen=True)
class ThroughputRound:
    asleep_rps: float
    busy_rps: float

    @property
    def ratio(self) -> float:
        return self.busy_rps / self.asleep_rps


@contextmanager
def _list_app(cluster: PostgresCluster | None, interval_ms: int) -> Iterator[tuple[str, str]]:
    env = live_app_env(cluster, {"FLAGS_POLL_INTERVAL_MS": str(interval_ms), "ACCESS_LOG": "1"})
    with live_app(env) as app:
        headers = {"Authorization": f"Bearer {app.token}"}
        for number in range(20):
            httpx.post(
                f"{app.base_url}/api/v1/files", headers=headers, files={"file": (f"{number}.txt", b"hello\n")}
            ).raise_for_status()
        yield f"{app.base_url}/api/v1/files", app.token


def list_throughput(
    cluster: PostgresCluster | None, *, seconds: float, rounds: int, connections: int = 64
) -> list[ThroughputRound]:
    """Paired wrk runs of the list endpoint: the watch asleep, then the watch at its busiest."""
    with ExitStack() as apps:
        asleep_url, asleep_token = apps.enter_context(_list_app(cluster, ASLEEP_INTERVAL_MS))
        busy_url, busy_token = apps.enter_context(_list_app(cluster, BUSY_INTERVAL_MS))
        wrk(asleep_url, token=asleep_token, seconds=2, connections=connections)  # warm-up
        wrk(busy_url, token=busy_token, seconds=2, connections=connections)
        return [
            ThroughputRound(
                asleep_rps=wrk(asleep_url, token=asleep_token, seconds=seconds, connections=connections).rps,
                busy_rps=wrk(busy_url, token=busy_token, seconds=seconds, connections=connections).rps,
            )
            for _ in range(rounds)
        ]


def report(costs: list[EvaluationCost], reloads: list[float], throughput: list[ThroughputRound]) -> str:
    lines = ["flag             evaluator µs  app µs (telemetry off)  app µs (telemetry on, span recording)"]
    lines += [
        f"{c.key:16s} {c.evaluator_us:12.1f} {c.app_us:23.1f} {c.recording_us:38.1f}"
        for c in costs
        if c.key != NO_PROVIDER
    ]
    lines += [
        f"the app's call with OpenFeature's no-op provider (the SDK and the app's code alone): {c.app_us:.1f} µs"
        for c in costs
        if c.key == NO_PROVIDER
    ]
    lines.append(
        f"aim: at most {TARGET_EVALUATION_US:.0f} µs per evaluation on the request path; "
        f"load average while measured: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    if reloads:
        lines.append(
            f"reload at the default interval: median {statistics.median(reloads):.2f} s, "
            f"max {max(reloads):.2f} s over {len(reloads)} edits"
        )
    if throughput:
        lines.append("round  watch asleep req/s  watch every 50 ms req/s  ratio")
        lines += [f"{n:5d} {r.asleep_rps:20.1f} {r.busy_rps:24.1f} {r.ratio:6.3f}" for n, r in enumerate(throughput, 1)]
        ratios = [r.ratio for r in throughput]
        lines.append(
            f"list endpoint, ratio busy/asleep, median of {len(ratios)} rounds: {statistics.median(ratios):.3f} "
            f"(range {min(ratios):.3f}-{max(ratios):.3f})"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--iterations", type=int, default=2_000)
    parser.add_argument("--reloads", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-throughput", action="store_true", help="skip the list endpoint's comparison")
    args = parser.parse_args(argv)
    costs = evaluation_costs(args.iterations)
    reloads = reload_seconds(args.reloads)
    throughput: list[ThroughputRound] = []
    if not args.no_throughput:
        try:
            with benchmark_cluster() as cluster:
                throughput = list_throughput(cluster, seconds=args.seconds, rounds=args.rounds)
        except MissingTool as error:
            return exit_missing(error)
    print(report(costs, reloads, throughput))
    return 0


if __name__ == "__main__":
    sys.exit(main())
