"""The k6 scenarios, run for real by the k6 binary against the app as the `perf` pipeline serves it."""

from pathlib import Path

import httpx

from ci import loadtest
from tests.infra.perf.conftest import FLOWS, K6Run, k6_run
from tests.support.live_app import LiveApp

# Half the load scenario's default rate: the machine is shared with the rest of the suite.
SHORT_LOAD = {"RATE": "5", "DURATION": "10s"}
# Timing is measured, not asserted, in the suite (the machine is shared): k6 leaves its thresholds
# out, and the tests check from its summary what does not depend on speed. The thresholds
# themselves are validated by `k6 inspect` (test_scripts.py) and crossed for real below.
UNTIMED = {"K6_NO_THRESHOLDS": "true"}


def _passed(run: K6Run, scenario: str) -> bool:
    """Whether k6 passed; if not, the reason and k6's own summary are printed."""
    failure = loadtest.verdict(scenario, run.exit_code, run.summary)
    if failure is not None:
        print(failure, run.output, sep="\n")
    return failure is None


def _figures(run: K6Run) -> dict[str, loadtest.FlowFigures]:
    assert run.summary is not None, run.output
    print(loadtest.report(run.summary))
    return {row.flow: row for row in loadtest.flow_figures(run.summary)}


def _files_named(app: LiveApp, prefix: str) -> list[str]:
    page = httpx.get(
        f"{app.base_url}/api/v1/files?limit=100", headers={"Authorization": f"Bearer {app.token}"}, timeout=10
    ).json()
    return [item["filename"] for item in page["items"] if item["filename"].startswith(prefix)]


def test_smoke_walks_every_flow_and_cleans_up(perf_app: LiveApp, tmp_path: Path) -> None:
    run = k6_run("smoke", base_url=perf_app.base_url, token=perf_app.token, directory=tmp_path, **UNTIMED)

    assert _passed(run, "smoke")
    assert run.summary is not None
    figures = _figures(run)
    assert set(figures) == FLOWS
    assert all(row.requests >= 1 for row in figures.values())
    assert run.summary["metrics"]["checks"]["value"] == 1
    assert loadtest.error_rate(run.summary) == 0
    # setup() uploaded seed files under the run's prefix; teardown() removed them.
    prefix = run.summary["setup_data"]["prefix"]
    assert run.summary["setup_data"]["seedIds"]
    assert _files_named(perf_app, prefix) == []


def test_a_short_load_runs_every_flow_without_a_failure(perf_app: LiveApp, tmp_path: Path) -> None:
    run = k6_run("load", base_url=perf_app.base_url, token=perf_app.token, directory=tmp_path, **SHORT_LOAD, **UNTIMED)

    assert _passed(run, "load")
    assert run.summary is not None
    figures = _figures(run)
    assert set(figures) == FLOWS
    assert run.summary["metrics"]["checks"]["value"] == 1
    assert loadtest.error_rate(run.summary) == 0
    # Readers came at RATE a second for DURATION: far more than one pass of each flow.
    assert figures["list"].requests >= 40
    # k6 reports the metric only once an iteration was dropped (its VUs were all busy).
    assert "dropped_iterations" not in run.summary["metrics"]
    assert _files_named(perf_app, run.summary["setup_data"]["prefix"]) == []


def test_a_crossed_threshold_fails_the_run_with_exit_99_and_aborts_it(perf_app: LiveApp, tmp_path: Path) -> None:
    # The app answers 401 to every request: the probe's error-rate threshold is crossed at once.
    run = k6_run("probe", base_url=perf_app.base_url, token="oeb_not-a-token", directory=tmp_path, PROBE_DURATION="30s")

    assert run.exit_code == loadtest.EXIT_THRESHOLDS_FAILED, run.output
    assert run.summary is not None
    assert loadtest.error_rate(run.summary) == 1
    crossed = loadtest.crossed_thresholds(run.summary)
    assert "http_req_failed: rate<=0.001" in crossed
    failure = loadtest.verdict("probe", run.exit_code, run.summary)
    assert failure is not None
    assert failure.startswith("k6 probe: thresholds crossed (exit 99)")
    assert "http_req_failed: rate<=0.001" in failure
    # abortOnFail stopped the 30 s burst within seconds.
    assert run.seconds < 15, run.output


def test_a_rejected_token_stops_setup_with_a_clear_message(perf_app: LiveApp, tmp_path: Path) -> None:
    run = k6_run("smoke", base_url=perf_app.base_url, token="oeb_not-a-token", directory=tmp_path)

    assert run.exit_code not in (loadtest.EXIT_PASSED, loadtest.EXIT_THRESHOLDS_FAILED), run.output
    assert "the API token was rejected: GET /api/v1/me answered 401" in run.output
    assert loadtest.verdict("smoke", run.exit_code, run.summary) == loadtest.ERROR_K6.format(
        scenario="smoke", code=run.exit_code
    )
