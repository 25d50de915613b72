"""The k6 scenarios, run for real by the k6 binary against the app with the `perf` pipeline's settings."""

from pathlib import Path

import httpx

from ci import loadtest
from tests.infra.perf.conftest import FLOWS, run
from tests.support.live_app import LiveApp
from tests.support.perf_app import K6Run

# Half the load scenario's default rate: the machine is shared with the rest of the suite.
SHORT_LOAD = {"RATE": "5", "DURATION": "10s"}
# Timing is measured, not asserted, in the suite (the machine is shared): k6 leaves its thresholds
# out, and the tests check from its summary what does not depend on speed. The thresholds
# themselves are validated by `k6 inspect` (test_scripts.py) and crossed for real below; the
# benchmark (`python -m tests.benchmarks.k6`) runs them all.
UNTIMED = {"K6_NO_THRESHOLDS": "true"}
NOT_A_TOKEN = "oeb_not-a-token"


def _passed(result: K6Run, scenario: str) -> bool:
    """Whether k6 passed; if not, the reason and k6's own summary are printed."""
    failure = loadtest.verdict(scenario, result.exit_code, result.summary)
    if failure is not None:
        print(failure, result.output, sep="\n")
    return failure is None


def _figures(result: K6Run) -> dict[str, loadtest.FlowFigures]:
    assert result.summary is not None, result.output
    print(loadtest.report(result.summary))
    return {row.flow: row for row in loadtest.flow_figures(result.summary)}


def _files_named(app: LiveApp, prefix: str) -> list[str]:
    page = httpx.get(
        f"{app.base_url}/api/v1/files?limit=100", headers={"Authorization": f"Bearer {app.token}"}, timeout=10
    ).json()
    return [item["filename"] for item in page["items"] if item["filename"].startswith(prefix)]


def test_smoke_walks_every_flow_and_cleans_up(served: LiveApp, tmp_path: Path) -> None:
    result = run("smoke", served, tmp_path, **UNTIMED)

    assert _passed(result, "smoke")
    assert result.summary is not None
    figures = _figures(result)
    assert set(figures) == FLOWS
    assert all(row.requests >= 1 for row in figures.values())
    assert result.summary["metrics"]["checks"]["value"] == 1
    assert loadtest.error_rate(result.summary) == 0
    # setup() uploaded seed files under the run's prefix; teardown() removed them.
    assert result.summary["setup_data"]["seedIds"]
    assert _files_named(served, result.summary["setup_data"]["prefix"]) == []


def test_a_short_load_runs_every_flow_without_a_failure(served: LiveApp, tmp_path: Path) -> None:
    result = run("load", served, tmp_path, **SHORT_LOAD, **UNTIMED)

    assert _passed(result, "load")
    assert result.summary is not None
    figures = _figures(result)
    assert set(figures) == FLOWS
    assert result.summary["metrics"]["checks"]["value"] == 1
    assert loadtest.error_rate(result.summary) == 0
    # Readers came at RATE a second for DURATION: far more than one pass of each flow.
    assert figures["list"].requests >= 40
    # k6 reports the metric only once an iteration was dropped (its VUs were all busy).
    assert "dropped_iterations" not in result.summary["metrics"]
    assert _files_named(served, result.summary["setup_data"]["prefix"]) == []


def test_a_crossed_threshold_fails_the_run_with_exit_99_and_aborts_it(served: LiveApp, tmp_path: Path) -> None:
    # The app answers 401 to every request: the probe's error-rate threshold is crossed at once.
    result = run("probe", served, tmp_path, token=NOT_A_TOKEN, PROBE_DURATION="30s")

    assert result.exit_code == loadtest.EXIT_THRESHOLDS_FAILED, result.output
    assert result.summary is not None
    assert loadtest.error_rate(result.summary) == 1
    crossed = loadtest.crossed_thresholds(result.summary)
    assert "http_req_failed: rate<=0.001" in crossed
    failure = loadtest.verdict("probe", result.exit_code, result.summary)
    assert failure is not None
    assert failure.startswith("k6 probe: thresholds crossed (exit 99)")
    assert "http_req_failed: rate<=0.001" in failure
    # abortOnFail stopped the 30 s burst within seconds.
    assert result.seconds < 15, result.output


def test_a_rejected_token_stops_setup_with_a_clear_message(served: LiveApp, tmp_path: Path) -> None:
    result = run("smoke", served, tmp_path, token=NOT_A_TOKEN)

    assert result.exit_code not in (loadtest.EXIT_PASSED, loadtest.EXIT_THRESHOLDS_FAILED), result.output
    assert "the API token was rejected: GET /api/v1/me answered 401" in result.output
    assert loadtest.verdict("smoke", result.exit_code, result.summary) == loadtest.ERROR_K6.format(
        scenario="smoke", code=result.exit_code
    )
