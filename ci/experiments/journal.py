"""A Chaos Toolkit journal read as plain data: did the run pass, and what did it measure.

No Chaos Toolkit import: the pipeline reads exported journals on the host, the tests read
journals they wrote by hand.
"""

from collections.abc import Mapping
from typing import Any, Final, cast

ERROR_STATUS: Final = "the run ended {status}, not completed"
ERROR_DEVIATED: Final = "the steady state deviated after the fault"
ERROR_STEADY_STATE: Final = "the steady state was not met {phase} the fault: {probes}"
ERROR_ACTIVITY: Final = "{kind} {name!r} {status}: {reason}"
ERROR_NO_RUN: Final = "the method never ran"
ERROR_NO_JOURNAL: Final = "{name}: no journal (the run stopped before it)"
ERROR_RUNNER: Final = "the runner exited {code}"
VERDICT_PROBE: Final = "the-load-saw-only-what-this-fault-allows"


def _failed_probes(state: Mapping[str, Any] | None) -> list[str]:
    if not state:
        return []
    return [
        f"{probe['activity']['name']} ({probe.get('exception') or probe.get('output')})"
        for probe in state.get("probes", [])
        if not probe.get("tolerance_met", probe.get("status") == "succeeded")
    ]


def _reason(run: Mapping[str, Any]) -> str:
    exception: object = run.get("exception")
    if isinstance(exception, list):
        lines = cast(list[object], exception)
        return str(lines[-1]).strip() if lines else ""
    return str(cast(object, exception or run.get("output")))


def _activities(journal: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    return journal.get(key) or []


def deviations(journal: Mapping[str, Any]) -> list[str]:
    """Every way the run fell short, in words; empty when it passed."""
    found: list[str] = []
    if journal.get("status") != "completed":
        found.append(ERROR_STATUS.format(status=journal.get("status")))
    if journal.get("deviated"):
        found.append(ERROR_DEVIATED)
    states: Mapping[str, Any] = journal.get("steady_states") or {}
    for phase, key in (("before", "before"), ("after", "after")):
        failed = _failed_probes(states.get(key))
        if failed or states.get(key) is None:
            found.append(ERROR_STEADY_STATE.format(phase=phase, probes="; ".join(failed) or "not run"))
    runs = _activities(journal, "run")
    if not runs:
        found.append(ERROR_NO_RUN)
    for kind, entries in (("method activity", runs), ("rollback", _activities(journal, "rollbacks"))):
        for run in entries:
            if run.get("status") != "succeeded":
                name = run["activity"]["name"]
                found.append(ERROR_ACTIVITY.format(kind=kind, name=name, status=run.get("status"), reason=_reason(run)))
    return found


def outputs(journal: Mapping[str, Any]) -> dict[str, Any]:
    """What each method activity that succeeded returned, by name."""
    return {
        run["activity"]["name"]: run.get("output")
        for run in _activities(journal, "run")
        if run.get("status") == "succeeded"
    }


def report(name: str, journal: Mapping[str, Any]) -> str:
    """A few lines: the verdict, the load's figures under the fault, the recovery."""
    found = deviations(journal)
    lines = [f"{name}: {'passed' if not found else 'FAILED'} ({journal.get('duration', 0):.0f} s)"]
    figures: dict[str, Any] | None = outputs(journal).get(VERDICT_PROBE)
    if figures:
        lines.append(
            "  load: {requests} requests, {failed} failed ({failed_during_fault} while the {fault_seconds} s fault "
            "was on, within {failure_window_seconds} s), whole again {recovery_seconds} s after it; "
            "p50 {p50_ms} ms, p99 {p99_ms} ms".format(**figures)
        )
        lines.append(f"  outcomes: {figures['outcomes']}")
    for activity, output in outputs(journal).items():
        if activity != VERDICT_PROBE and isinstance(output, int | float | dict) and not isinstance(output, bool):
            lines.append(f"  {activity}: {output}")
    lines += [f"  - {deviation}" for deviation in found]
    return "\n".join(lines)


def run_verdict(journals: Mapping[str, Mapping[str, Any] | None]) -> list[str]:
    """What failed across a pipeline's experiments (name: its journal, None when none was
    written), each deviation prefixed with the experiment's name; empty when all passed."""
    found: list[str] = []
    for name, run in journals.items():
        if run is None:
            found.append(ERROR_NO_JOURNAL.format(name=name))
        else:
            found += [f"{name}: {deviation}" for deviation in deviations(run)]
    return found
