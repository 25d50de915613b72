"""Reading a journal: a run passes only when it completed, both steady states held, the method
ran and every activity and rollback succeeded; the report carries the load's figures."""

from typing import Any

from ci.experiments import journal


def _activity(name: str, status: str = "succeeded", output: object = None) -> dict[str, Any]:
    return {"activity": {"name": name}, "status": status, "output": output}


def _state(*, met: bool) -> dict[str, Any]:
    return {"steady_state_met": met, "probes": [{**_activity("the-app-is-ready"), "tolerance_met": met}]}


def _run(**changes: Any) -> dict[str, Any]:
    passed: dict[str, Any] = {
        "status": "completed",
        "deviated": False,
        "duration": 12.3,
        "steady_states": {"before": _state(met=True), "after": _state(met=True)},
        "run": [_activity("kill-one-worker", output={"killed": 7})],
        "rollbacks": [_activity("remove-every-toxic")],
    }
    return passed | changes


def test_a_completed_run_with_both_steady_states_met_passes() -> None:
    assert journal.deviations(_run()) == []


def test_each_shortfall_is_named() -> None:
    assert journal.deviations(_run(status="aborted")) == [journal.ERROR_STATUS.format(status="aborted")]
    assert journal.ERROR_DEVIATED in journal.deviations(_run(deviated=True))
    after_failed = journal.deviations(_run(steady_states={"before": _state(met=True), "after": _state(met=False)}))
    assert after_failed == [journal.ERROR_STEADY_STATE.format(phase="after", probes="the-app-is-ready (None)")]
    assert journal.deviations(_run(run=[])) == [journal.ERROR_NO_RUN]
    failed = _activity("stop-the-database", status="failed") | {"exception": ["Traceback", "ActivityFailed: exit 1\n"]}
    assert journal.deviations(_run(run=[failed])) == [
        journal.ERROR_ACTIVITY.format(
            kind="method activity", name="stop-the-database", status="failed", reason="ActivityFailed: exit 1"
        )
    ]
    rollback = _activity("start-the-database", status="failed")
    assert journal.deviations(_run(rollbacks=[rollback]))[0].startswith("rollback 'start-the-database' failed")


def test_a_run_without_steady_states_does_not_pass() -> None:
    assert journal.ERROR_STEADY_STATE.format(phase="before", probes="not run") in journal.deviations(
        _run(steady_states={})
    )


def test_the_report_gives_the_verdict_and_the_load_figures() -> None:
    figures = {
        "requests": 96,
        "failed": 46,
        "failed_during_fault": 46,
        "fault_seconds": 11.3,
        "failure_window_seconds": 11.2,
        "recovery_seconds": 0.0,
        "p50_ms": 6.4,
        "p99_ms": 217.8,
        "outcomes": {"200": 50, "503 database_unavailable": 46},
    }
    run = _run(run=[_activity(journal.VERDICT_PROBE, output=figures), _activity("normal-service", output=0.26)])
    report = journal.report("database-down", run)
    assert report.splitlines()[0] == "database-down: passed (12 s)"
    assert "96 requests, 46 failed (46 while the 11.3 s fault was on" in report
    assert "normal-service: 0.26" in report
    assert journal.report("database-down", _run(deviated=True)).splitlines()[0] == "database-down: FAILED (12 s)"


def test_the_pipeline_fails_on_any_experiment_that_deviated_or_wrote_no_journal() -> None:
    assert journal.run_verdict({"worker-killed": _run(), "sigterm": _run()}) == []
    found = journal.run_verdict({"worker-killed": _run(deviated=True), "sigterm": None})
    assert found == [
        f"worker-killed: {journal.ERROR_DEVIATED}",
        journal.ERROR_NO_JOURNAL.format(name="sigterm"),
    ]
