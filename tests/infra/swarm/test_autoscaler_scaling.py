"""End to end: the autoscaler process scales real app replicas under a real load step.

`python -m autoscaler` talks to the fake Engine through the real Docker SDK. The Engine's
containers are real `app serve` processes (their CPU, from /proc, is what the stats API
reports), nginx spreads requests over whichever replicas run (the routing mesh's part),
and wrk is the load. Replicas that the autoscaler adds take load off the others, so the
loop is closed as it is on a Swarm.

The timeline (load, signal, replicas) is printed; `pytest -s` shows it.
"""

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.infra.edge.load import load_start, load_stop
from tests.infra.swarm.engine_fake import FakeEngine, engine_running
from tests.infra.swarm.replicas import AppReplicas, mesh_running
from tests.support.live_app import live_app_env
from tests.support.ports import free_port
from tests.support.tools import system_tool

INTERVAL_SECONDS = 1.0
UP_COOLDOWN_SECONDS = 3.0
DOWN_COOLDOWN_SECONDS = 4.0
MINIMUM, MAXIMUM = 1, 3
LOAD_SECONDS = 14
# A target well under what one replica burns at full load on any machine of this kind,
# well over what an idle one does.
LABELS = {
    "autoscale.enable": "true",
    "autoscale.min": str(MINIMUM),
    "autoscale.max": str(MAXIMUM),
    "autoscale.target_cpu_percent": "20",
    "autoscale.tolerance": "0.2",
    "autoscale.max_step": "1",
    "autoscale.up_cooldown_seconds": str(UP_COOLDOWN_SECONDS),
    "autoscale.down_cooldown_seconds": str(DOWN_COOLDOWN_SECONDS),
}

pytestmark = pytest.mark.slow


@dataclass
class Run:
    engine: FakeEngine
    replicas: AppReplicas
    mesh_url: str
    log_path: Path

    def decisions(self) -> list[dict[str, Any]]:
        lines = [json.loads(line) for line in self.log_path.read_text().splitlines() if line.startswith("{")]
        return [line for line in lines if line["event"] == "decision"]

    def wait_for(self, predicate: Any, *, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} within {timeout} s; decisions: {self.decisions()[-5:]}")
            time.sleep(0.2)


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Run]:
    system_tool("nginx", "apt-get install nginx")
    system_tool("wrk", "apt-get install wrk")
    ports = [free_port() for _ in range(MAXIMUM)]
    replicas = AppReplicas(live_app_env(None, {"ACCESS_LOG": "false"}), ports, tmp_path)
    log_path = tmp_path / "autoscaler.log"
    with engine_running(FakeEngine(runtime=replicas)) as engine, mesh_running(tmp_path / "mesh", ports) as url:
        engine.create_service(
            {
                "Name": "app_app",
                "Labels": LABELS,
                "TaskTemplate": {
                    "ContainerSpec": {"Image": "registry.example/app@sha256:" + "b" * 64},
                    "Resources": {"Limits": {"NanoCPUs": 1_000_000_000}},
                },
                "Mode": {"Replicated": {"Replicas": MINIMUM}},
            },
            updated_at=time.time() - 3600,
        )
        run = Run(engine, replicas, url, log_path)
        run.wait_for(lambda: engine.running("app_app") == MINIMUM, timeout=30, what="the first replica started")
        env = {**os.environ, "DOCKER_HOST": engine.url}
        with log_path.open("w") as log:
            autoscaler = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "autoscaler",
                    "--interval",
                    str(INTERVAL_SECONDS),
                    "--metrics-host",
                    "127.0.0.1",
                    "--metrics-port",
                    str(free_port()),
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            yield run
        finally:
            autoscaler.terminate()
            autoscaler.wait(timeout=10)
            replicas.stop_all()


def _timeline(decisions: list[dict[str, Any]], load_on: float, load_off: float) -> str:
    rows = ["   t (s)  load      cpu %/replica  replicas  decision"]
    for decision in decisions:
        moment = _epoch(decision["time"]) - load_on
        phase = "wrk" if 0 <= moment <= load_off - load_on else "-"
        signal = "—" if decision["load_percent"] is None else f"{decision['load_percent']:.0f}"
        change = f" -> {decision['desired']}" if decision["desired"] != decision["current"] else ""
        rows.append(f"{moment:8.1f}  {phase:8}  {signal:>13}  {decision['current']:>8}  {decision['action']}{change}")
    return "\n".join(rows)


def _epoch(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text).timestamp()


def test_a_load_step_scales_up_within_the_cooldown_and_back_down_after_the_load_stops(run: Run) -> None:
    run.wait_for(lambda: len(run.decisions()) >= 3, timeout=20, what="the autoscaler made its first decisions")
    assert {(d["current"], d["action"]) for d in run.decisions()} == {(MINIMUM, "hold")}, "idle: nothing to do"

    load_on = time.time()
    wrk = load_start(f"{run.mesh_url}/healthz", connections=16, seconds=LOAD_SECONDS)
    run.wait_for(lambda: wrk.poll() is not None, timeout=LOAD_SECONDS + 10, what="wrk finished")
    load_off = time.time()
    result = load_stop(wrk)
    run.wait_for(
        lambda: run.engine.running("app_app") == MINIMUM and run.decisions()[-1]["current"] == MINIMUM,
        timeout=3 * DOWN_COOLDOWN_SECONDS + 10,
        what="back to the minimum after the load stopped",
    )
    decisions = run.decisions()
    print(
        f"\nwrk: {result.requests} requests in {load_off - load_on:.1f} s\n" + _timeline(decisions, load_on, load_off)
    )

    ups = [d for d in decisions if d["action"] == "up"]
    assert ups, "the load never scaled the service up"
    # One interval to measure the load, one more for the loop to come round.
    assert _epoch(ups[0]["time"]) - load_on <= UP_COOLDOWN_SECONDS + 2 * INTERVAL_SECONDS
    assert max(d["desired"] for d in decisions) >= MINIMUM + 1
    # (A replica's share of the load can dip below the band while the load is still on, when
    # other processes take this machine's CPU: a scale-down then is the right answer.)
    assert any(d["action"] == "down" and _epoch(d["time"]) >= load_off for d in decisions)
    for decision in decisions:
        assert MINIMUM <= decision["current"] <= MAXIMUM
        assert MINIMUM <= decision["desired"] <= MAXIMUM
        assert decision["applied"] is (decision["action"] != "hold")

    changes = [(write.time, write.replicas) for write in run.engine.updates if write.service == "app_app"]
    previous_time, previous_replicas = 0.0, MINIMUM
    for moment, replicas in changes:
        assert replicas is not None
        cooldown = UP_COOLDOWN_SECONDS if replicas > previous_replicas else DOWN_COOLDOWN_SECONDS
        assert moment - previous_time >= cooldown - 0.05, f"{changes} breaks a cooldown"
        assert abs(replicas - previous_replicas) <= 1, "more than max_step at once"
        previous_time, previous_replicas = moment, replicas

    # Replicas joining and leaving behind the mesh cost no request.
    assert result.socket_errors == 0
    assert result.non_2xx_3xx == 0
