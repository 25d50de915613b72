"""The real app against the obvious implementation: same PostgreSQL, same rows, alternating rounds.

    uv run python -m tests.benchmarks.versus [--seconds 5] [--rounds 5] [--connections 64]

Starts a throwaway PostgreSQL, the real app (`app serve`, one worker) and the
obvious implementation (`tests.benchmarks.obvious`, under the same uvicorn
settings) on one database, each pinned to the first core, `wrk` on the other.
For each endpoint, each round drives one app and then the other (the order
swaps every round, so a drift of the machine's speed falls on both alike);
the ratio real/obvious of each round counts, and the median of those is the
figure. `compare()` is what the project's benchmark runner calls.
"""

import statistics
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from tests.benchmarks.load import (
    Measurement,
    MissingTool,
    benchmark_cluster,
    exit_missing,
    pin_to_server_cpu,
    reference_app,
    rounds_parser,
    wrk,
)
from tests.support.live_app import LiveApp, live_app, live_app_env
from tests.support.postgres import PostgresCluster

LISTED_FILES = 20
# The aim the hot-path issue sets: at least 3x the obvious implementation.
TARGET_RATIO = 3.0
# Endpoint name -> path template ({file_id}: one of the listed files).
ENDPOINTS = {
    f"GET /api/v1/files ({LISTED_FILES})": f"/api/v1/files?limit={LISTED_FILES}",
    "GET /api/v1/files/{id}": "/api/v1/files/{file_id}",
    "GET /api/v1/me": "/api/v1/me",
}


@dataclass(frozen=True)
class Round:
    obvious: Measurement
    real: Measurement

    @property
    def ratio(self) -> float:
        return self.real.rps / self.obvious.rps


@dataclass(frozen=True)
class Versus:
    endpoint: str
    rounds: list[Round]

    @property
    def ratio(self) -> float:
        return statistics.median(r.ratio for r in self.rounds)

    def report(self) -> str:
        lines = [
            self.endpoint,
            "round  obvious req/s  p99 ms   real req/s  p99 ms   real/obvious",
        ]
        for number, paired in enumerate(self.rounds, 1):
            lines.append(
                f"{number:5d} {paired.obvious.rps:14.1f} {paired.obvious.p99_ms:7.1f} "
                f"{paired.real.rps:12.1f} {paired.real.p99_ms:7.1f} {paired.ratio:14.2f}"
            )
        ratios = [r.ratio for r in self.rounds]
        verdict = "met" if self.ratio >= TARGET_RATIO else "NOT met"
        lines.append(
            f"real/obvious, median of {len(ratios)} rounds: {self.ratio:.2f} "
            f"(range {min(ratios):.2f}-{max(ratios):.2f}; aim >= {TARGET_RATIO}: {verdict})"
        )
        return "\n".join(lines)


@contextmanager
def both_apps(cluster: PostgresCluster) -> Iterator[tuple[LiveApp, str, str]]:
    """The real app holding LISTED_FILES files and the obvious app on its database: (real, obvious URL, a file id)."""
    env = live_app_env(cluster)
    with live_app(env) as real:
        pin_to_server_cpu(real.process.pid)
        headers = {"Authorization": f"Bearer {real.token}"}
        ids = [
            httpx.post(
                f"{real.base_url}/api/v1/files", headers=headers, files={"file": (f"{n}.txt", f"file {n}\n".encode())}
            ).json()["id"]
            for n in range(LISTED_FILES)
        ]
        obvious_env = {**env, "DJANGO_SETTINGS_MODULE": "tests.benchmarks.obvious.settings"}
        with reference_app("tests.benchmarks.obvious.asgi:application", obvious_env, probe="/api/v1/me") as obvious:
            yield real, obvious, ids[0]


def compare(
    cluster: PostgresCluster, *, seconds: float = 5, rounds: int = 5, connections: int = 64, warm_up: bool = True
) -> list[Versus]:
    """`rounds` alternating pairs of runs per endpoint, both apps up throughout."""
    results: list[Versus] = []
    with both_apps(cluster) as (real, obvious_url, file_id):

        def measure(base_url: str, path: str, run_seconds: float) -> Measurement:
            return wrk(base_url + path, token=real.token, seconds=run_seconds, connections=connections)

        for endpoint, template in ENDPOINTS.items():
            path = template.format(file_id=file_id)
            for base_url in (obvious_url, real.base_url) if warm_up else ():
                measure(base_url, path, 2)
            paired: list[Round] = []
            for number in range(rounds):
                if number % 2 == 0:
                    obvious = measure(obvious_url, path, seconds)
                    result = measure(real.base_url, path, seconds)
                else:
                    result = measure(real.base_url, path, seconds)
                    obvious = measure(obvious_url, path, seconds)
                paired.append(Round(obvious=obvious, real=result))
            results.append(Versus(endpoint=endpoint, rounds=paired))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = rounds_parser(__doc__)
    args = parser.parse_args(argv)
    try:
        with benchmark_cluster() as cluster:
            for versus in compare(cluster, seconds=args.seconds, rounds=args.rounds, connections=args.connections):
                print(versus.report(), end="\n\n", flush=True)
    except MissingTool as error:
        return exit_missing(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
