"""Every k6 script parses, resolves its options and bundles, and no scenario trips the app's own
protections (the per-user quota, the edge's limit on upload starts)."""

import json
import re
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from ci import loadtest
from tests.infra.perf.conftest import FLOWS
from tests.support.paths import REPO_ROOT
from tests.support.tools import venv_tool

# nginx's `limit_req_zone ... zone=upload_start:10m rate=120r/m`.
EDGE_UPLOAD_START = re.compile(r"zone=upload_start:\S+ rate=(\d+)r/m")
SEED_FILES = 5  # api.js's default
LOAD_SCENARIOS = ("load", "stress", "spike", "soak")
SECONDS = {"s": 1, "m": 60, "h": 3600}


def _inspect(scenario: str) -> dict[str, Any]:
    result = subprocess.run(
        [venv_tool("k6"), "inspect", "--execution-requirements", str(loadtest.K6_DIR / loadtest.script(scenario))],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _per_second(scenario: dict[str, Any]) -> float:
    """The highest arrival rate of an arrival-rate scenario, in iterations a second."""
    unit = re.fullmatch(r"(\d+)([smh])", scenario["timeUnit"])
    assert unit is not None, scenario["timeUnit"]
    rates = [scenario.get("rate") or 0, scenario.get("startRate") or 0]
    rates += [stage["target"] for stage in scenario.get("stages") or []]
    return max(rates) / (int(unit.group(1)) * SECONDS[unit.group(2)])


@pytest.mark.parametrize("scenario", loadtest.SCENARIOS)
def test_every_scenario_resolves_its_options_and_archives(scenario: str, tmp_path: Path) -> None:
    options = _inspect(scenario)
    assert options["scenarios"], "no scenario"
    assert options["thresholds"], "no threshold"
    assert options["totalDuration"]

    archive = tmp_path / f"{scenario}.tar"
    result = subprocess.run(
        [venv_tool("k6"), "archive", "--quiet", "-O", str(archive), str(loadtest.K6_DIR / loadtest.script(scenario))],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    with tarfile.open(archive) as bundle:
        bundled = {Path(name).name for name in bundle.getnames()}
    assert {loadtest.script(scenario), "api.js", "slo.js"} <= bundled


def test_the_smoke_sees_every_flow() -> None:
    thresholds = _inspect("smoke")["thresholds"]
    assert {name for name in thresholds if name.startswith("http_reqs{")} == {
        f"http_reqs{{flow:{flow}}}" for flow in FLOWS
    }
    assert thresholds["checks"] == ["rate==1"]


@pytest.mark.parametrize("scenario", LOAD_SCENARIOS)
def test_every_load_scenario_holds_each_flow_to_its_objectives(scenario: str) -> None:
    thresholds = _inspect(scenario)["thresholds"]
    phase = ",phase:recovery" if scenario in ("stress", "spike") else ""
    for flow in FLOWS:
        expressions = thresholds[f"http_req_duration{{flow:{flow}{phase}}}"]
        assert any(expression.startswith("p(95)<") for expression in expressions), (flow, expressions)
        assert any(expression.startswith("p(99)<") for expression in expressions), (flow, expressions)


@pytest.mark.parametrize("scenario", LOAD_SCENARIOS)
def test_no_scenario_can_fill_the_quota_or_hit_the_edge_limit(scenario: str) -> None:
    scenarios = _inspect(scenario)["scenarios"]
    writers = [options for options in scenarios.values() if options["exec"] in ("writeSmall", "writeDirect")]
    # A writer holds at most one file at a time.
    assert sum(options["maxVUs"] for options in writers) + SEED_FILES < settings.FILES_QUOTA_COUNT

    edge = EDGE_UPLOAD_START.search((REPO_ROOT / "nginx" / "snippets" / "http.conf").read_text())
    assert edge is not None
    starts_per_second = int(edge.group(1)) / 60
    for options in scenarios.values():
        if options["exec"] == "writeDirect":
            assert _per_second(options) <= starts_per_second / 2
