"""The autoscaler's loop through the real Docker SDK against the fake Engine.

Containers here are this test process (`SelfRuntime`): its CPU, read from /proc by the
fake's stats endpoint, is the load. The end-to-end run with real app processes under
real load is in test_autoscaler_scaling.py.
"""

import io
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import docker
import httpx
import pytest
from autoscaler.controller import Autoscaler
from autoscaler.decision import REASON_NO_SIGNAL, REASON_UPDATING
from autoscaler.events import EventLog
from autoscaler.metrics import Metrics, metrics_server
from autoscaler.policy import ERROR_MISSING, MIN_LABEL
from autoscaler.swarm import API_VERSION, Swarm

from tests.infra.swarm.engine_fake import FakeEngine, engine_running
from tests.support.ports import free_port

IMAGE = "registry.example/app@sha256:" + "a" * 64
# A target no busy test process stays under, so measured CPU always reads as load.
LOW_TARGET_LABELS = {
    "autoscale.enable": "true",
    "autoscale.min": "1",
    "autoscale.max": "4",
    "autoscale.target_cpu_percent": "1",
    "autoscale.up_cooldown_seconds": "0",
    "autoscale.down_cooldown_seconds": "0",
}


def _spec(name: str, *, replicas: int = 1, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "Name": name,
        "Labels": LOW_TARGET_LABELS if labels is None else labels,
        "TaskTemplate": {
            "ContainerSpec": {"Image": IMAGE},
            "Resources": {"Limits": {"NanoCPUs": 1_000_000_000}},
        },
        "Mode": {"Replicated": {"Replicas": replicas}},
    }


def _burn_cpu(seconds: float) -> None:
    deadline = time.process_time() + seconds
    while time.process_time() < deadline:
        pass


class Scaler:
    """An autoscaler wired to the fake, with its JSON lines and metrics at hand."""

    def __init__(self, engine: FakeEngine, *, dry_run: bool = False) -> None:
        self.output = io.StringIO()
        self.metrics = Metrics()
        client = docker.DockerClient(base_url=engine.url, version=API_VERSION)
        self.autoscaler = Autoscaler(Swarm(client), dry_run=dry_run, metrics=self.metrics, events=EventLog(self.output))

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        lines = [json.loads(line) for line in self.output.getvalue().splitlines()]
        return [line for line in lines if name is None or line["event"] == name]

    def loop_under_load(self) -> None:
        """One loop to take first samples, CPU burnt, then the loop that sees it."""
        self.autoscaler.run_once()
        _burn_cpu(0.2)
        self.autoscaler.run_once()


@pytest.fixture
def engine() -> Iterator[FakeEngine]:
    with engine_running() as running:
        yield running


def test_measured_cpu_above_the_target_scales_up_and_the_decision_is_logged_with_its_inputs(
    engine: FakeEngine,
) -> None:
    engine.create_service(_spec("app_app", replicas=1))
    scaler = Scaler(engine)
    scaler.loop_under_load()

    first, second = scaler.events("decision")
    assert first["action"] == "hold"
    assert first["reason"] == REASON_NO_SIGNAL, "the first loop has no earlier sample to compare with"
    assert second["action"] == "up"
    assert second["current"] == 1
    assert second["desired"] == 2
    assert second["load_percent"] > 1
    assert second["tasks_sampled"] == 1
    assert second["policy"]["target_percent"] == 1
    assert second["applied"] is True
    assert engine.running("app_app") == 2
    assert scaler.metrics.value("autoscaler_scaled_total", service="app_app", direction="up") == 1


@pytest.mark.parametrize("status", [500, 409])
def test_an_update_out_of_sequence_is_retried_after_reading_the_service_again(engine: FakeEngine, status: int) -> None:
    engine.conflict_status = status
    engine.create_service(_spec("app_app", replicas=1))
    engine.conflict_next_updates("app_app", 2)
    scaler = Scaler(engine)
    scaler.loop_under_load()

    assert [event["attempt"] for event in scaler.events("conflict")] == [1, 2]
    assert engine.running("app_app") == 2
    assert scaler.events("decision")[-1]["applied"] is True
    assert scaler.metrics.value("autoscaler_conflicts_total", service="app_app") == 2


def test_a_service_that_keeps_changing_is_left_for_the_next_loop_and_the_others_still_scale(
    engine: FakeEngine,
) -> None:
    engine.create_service(_spec("busy_app", replicas=1))
    engine.create_service(_spec("calm_app", replicas=1))
    engine.conflict_next_updates("busy_app", 10)
    scaler = Scaler(engine)
    scaler.loop_under_load()

    skipped = scaler.events("service_skipped")
    assert [event["service"] for event in skipped] == ["busy_app"]
    assert "update out of sequence" in skipped[0]["error"]
    assert engine.running("busy_app") == 1
    assert engine.running("calm_app") == 2


def test_a_metrics_source_that_is_down_holds_the_current_scale(engine: FakeEngine) -> None:
    engine.create_service(_spec("app_app", replicas=3))
    engine.stats_available = False
    scaler = Scaler(engine)
    scaler.loop_under_load()

    decision = scaler.events("decision")[-1]
    assert (decision["action"], decision["reason"], decision["load_percent"]) == ("hold", REASON_NO_SIGNAL, None)
    assert engine.updates == []
    assert 'autoscaler_load_percent{service="app_app"} NaN' in scaler.metrics.render()


def test_a_service_in_a_rolling_update_is_not_touched(engine: FakeEngine) -> None:
    engine.create_service(_spec("app_app", replicas=1))
    engine.edit("app_app", lambda service: service.update(UpdateStatus={"State": "updating"}))
    scaler = Scaler(engine)
    scaler.loop_under_load()

    assert scaler.events("decision")[-1]["reason"] == REASON_UPDATING
    assert engine.updates == []


def test_dry_run_decides_and_logs_but_changes_nothing(engine: FakeEngine) -> None:
    engine.create_service(_spec("app_app", replicas=1))
    scaler = Scaler(engine, dry_run=True)
    scaler.loop_under_load()

    decision = scaler.events("decision")[-1]
    assert (decision["action"], decision["applied"], decision["dry_run"]) == ("up", False, True)
    assert engine.updates == []
    assert engine.running("app_app") == 1


def test_a_bad_label_skips_that_service_naming_the_label(engine: FakeEngine) -> None:
    labels = {key: value for key, value in LOW_TARGET_LABELS.items() if key != MIN_LABEL}
    engine.create_service(_spec("broken_app", labels=labels))
    engine.create_service(_spec("good_app", replicas=1))
    scaler = Scaler(engine)
    scaler.loop_under_load()

    assert {event["error"] for event in scaler.events("service_skipped")} == {ERROR_MISSING.format(label=MIN_LABEL)}
    assert engine.running("good_app") == 2


def test_services_without_the_opt_in_label_are_never_read_or_changed(engine: FakeEngine) -> None:
    engine.create_service(_spec("other_app", replicas=1, labels={"autoscale.min": "5"}))
    scaler = Scaler(engine)
    scaler.loop_under_load()

    assert scaler.events("decision") == []
    assert engine.updates == []


def test_an_engine_that_does_not_answer_fails_the_loop_not_the_process() -> None:
    client = docker.DockerClient(base_url=f"tcp://127.0.0.1:{free_port()}", version=API_VERSION, timeout=2)
    from autoscaler.swarm import ENGINE_ERRORS

    with pytest.raises(ENGINE_ERRORS):
        Autoscaler(Swarm(client), events=EventLog(io.StringIO())).run_once()


def test_metrics_and_health_are_served_over_http(engine: FakeEngine) -> None:
    engine.create_service(_spec("app_app", replicas=1))
    scaler = Scaler(engine)
    now = [time.time()]
    port = free_port()
    with metrics_server(scaler.metrics, host="127.0.0.1", port=port, max_loop_age_seconds=30, clock=lambda: now[0]):
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 503, "no loop has run yet"
        scaler.loop_under_load()
        health = httpx.get(f"http://127.0.0.1:{port}/healthz")
        assert health.status_code == 200
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics")
        assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
        assert 'autoscaler_decisions_total{action="up",service="app_app"} 1' in metrics.text
        assert 'autoscaler_replicas{service="app_app"} 1' in metrics.text
        assert "autoscaler_loops_total 2" in metrics.text
        now[0] += 100
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 503, "loops stopped"


def test_a_bad_setting_stops_start_up_naming_it() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "autoscaler", "--interval", "0"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "--interval: must be more than 0 and at most 3600 seconds, got 0.0" in result.stderr
