"""The API benchmark: the real app against the obvious implementation, then next to a bare ASGI app.

    uv run python -m tests.benchmarks.run [--seconds 5] [--rounds 5] [--connections 64] [--no-telemetry]

On a throwaway PostgreSQL: first the hot endpoints side by side with the
obvious implementation, alternating rounds, the ratio per round and its median
(`tests.benchmarks.versus`); then the app under uvicorn (one worker, uvloop,
httptools) beside a bare ASGI hello-world and a bare Django async view
(Django's own floor, see `tests.benchmarks.django_hello`), requests/s, p99
and the ratio to bare ASGI; then telemetry off, at 10% and at 100% sampling
(`tests.benchmarks.telemetry`).
"""

import sys

import httpx

from tests.benchmarks import telemetry, versus
from tests.benchmarks.load import (
    Measurement,
    MissingTool,
    benchmark_cluster,
    exit_missing,
    reference_app,
    rounds_parser,
    wrk,
)
from tests.support.live_app import live_app, live_app_env
from tests.support.postgres import PostgresCluster

LISTED_FILES = versus.LISTED_FILES


def _row(name: str, measured: Measurement, bare: Measurement) -> str:
    return f"{name:<28} {measured.rps:10.1f} {measured.p99_ms:8.2f} {measured.rps / bare.rps:9.2%}"


def api_figures(cluster: PostgresCluster, *, seconds: float, connections: int) -> list[str]:
    env = live_app_env(cluster)
    with (
        live_app(env) as app,
        reference_app("tests.benchmarks.hello:app") as bare_url,
        reference_app("tests.benchmarks.django_hello:app") as django_url,
    ):
        headers = {"Authorization": f"Bearer {app.token}"}
        ids = [
            httpx.post(
                f"{app.base_url}/api/v1/files", headers=headers, files={"file": (f"{n}.txt", f"file {n}\n".encode())}
            ).json()["id"]
            for n in range(LISTED_FILES)
        ]
        targets = {
            "bare Django async view": django_url,
            "GET /healthz": f"{app.base_url}/healthz",
            f"GET /api/v1/files ({LISTED_FILES})": f"{app.base_url}/api/v1/files?limit={LISTED_FILES}",
            "GET /api/v1/files/{id}": f"{app.base_url}/api/v1/files/{ids[0]}",
        }
        wrk(bare_url, token=app.token, seconds=2, connections=connections)  # warm-up
        bare = wrk(bare_url, token=app.token, seconds=seconds, connections=connections)
        rows = [
            f"{'endpoint':<28} {'req/s':>10} {'p99 ms':>8} {'vs bare':>9}",
            _row("bare ASGI hello", bare, bare),
        ]
        for name, url in targets.items():
            wrk(url, token=app.token, seconds=2, connections=connections)
            measured = wrk(url, token=app.token, seconds=seconds, connections=connections)
            rows.append(_row(name, measured, bare))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = rounds_parser(__doc__)
    parser.add_argument("--no-telemetry", action="store_true", help="skip the telemetry off/on comparison")
    args = parser.parse_args(argv)
    try:
        with benchmark_cluster() as cluster:
            for result in versus.compare(
                cluster, seconds=args.seconds, rounds=args.rounds, connections=args.connections
            ):
                print(result.report(), end="\n\n", flush=True)
            print("\n".join(api_figures(cluster, seconds=args.seconds, connections=args.connections)), flush=True)
            if not args.no_telemetry:
                print()
                figures = telemetry.compare(
                    cluster, seconds=args.seconds, rounds=args.rounds, connections=args.connections
                )
                print(figures.report())
    except MissingTool as error:
        return exit_missing(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
