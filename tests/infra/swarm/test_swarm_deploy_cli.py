"""swarm-deploy with the real Docker CLI against the fake Engine.

First whole deploys: `python -m ci.swarm_deploy` runs `docker stack deploy` on the real
stack file twice and waits, while the fake Engine plays the manager (a job runs on each
update; an image change is a rolling update that completes, or rolls back when the new
image is unhealthy). Then a wait alone, with the test moving a rolling update through
every state of a rollback while `ci.swarm` polls `docker service inspect`, `docker
service ps` and `docker inspect --type task`.
"""

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ci import swarm_deploy
from tests.infra.swarm.engine_fake import FakeEngine, engine_running
from tests.support.paths import REPO_ROOT
from tests.support.tools import system_tool

OLD = "registry.example/app@sha256:" + "1" * 64
NEW = "registry.example/app@sha256:" + "2" * 64
UNHEALTHY = "task: non-zero exit (1): dockerexec: unhealthy container"
POLL_SECONDS = 0.1


@pytest.fixture
def engine() -> Iterator[FakeEngine]:
    with engine_running() as running:
        yield running


@pytest.fixture
def docker_cli(engine: FakeEngine) -> swarm_deploy.DockerCli:
    executable = system_tool("docker", "the Docker CLI: Debian's docker-cli, or Docker's static binary")
    return swarm_deploy.DockerCli({**os.environ, "DOCKER_HOST": engine.url}, executable=executable)


EXTERNAL_SECRETS = (
    "django_secret_key",
    "database_url",
    "google_oauth_client_secret",
    "postgres_password",
    "grafana_cloud_api_key",
)
NEWER = "registry.example/app@sha256:" + "3" * 64


def _deploy(engine: FakeEngine, image: str) -> subprocess.CompletedProcess[str]:
    docker = system_tool("docker", "the Docker CLI: Debian's docker-cli, or Docker's static binary")
    swarm_dir = REPO_ROOT / "deploy" / "swarm"
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "ci.swarm_deploy",
            "--image",
            image,
            "--app-env",
            str(swarm_dir / "app.env.example"),
            "--alloy-env",
            str(swarm_dir / "alloy.env.example"),
            "--poll",
            str(POLL_SECONDS),
            "--timeout",
            "20",
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "DOCKER_HOST": engine.url, "PATH": f"{Path(docker).parent}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def swarm_with_secrets(engine: FakeEngine) -> FakeEngine:
    for name in EXTERNAL_SECRETS:
        engine.add_secret(name)
    return engine


def _app_writes(engine: FakeEngine) -> list[tuple[str, str, int | None]]:
    return [(write.action, write.image, write.replicas) for write in engine.writes if write.service == "app_app"]


def test_a_first_deploy_migrates_before_the_app_gets_any_replica(swarm_with_secrets: FakeEngine) -> None:
    engine = swarm_with_secrets
    result = _deploy(engine, NEW)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"swarm-deploy: {NEW} is live on app_app" in result.stdout
    assert _app_writes(engine) == [("create", NEW, 0), ("update", NEW, 2)]
    migrated = next(w.time for w in engine.writes if w.service == "app_migrate")
    served = next(w.time for w in engine.writes if w.service == "app_app" and w.replicas)
    assert migrated < served
    assert {w.service for w in engine.writes} == {
        f"app_{name}" for name in ("app", "migrate", "postgres", "alloy", "autoscaler")
    }


def test_a_later_deploy_keeps_the_old_app_and_the_autoscalers_scale_until_the_migration_is_done(
    swarm_with_secrets: FakeEngine,
) -> None:
    engine = swarm_with_secrets
    assert _deploy(engine, NEW).returncode == 0
    # The autoscaler has scaled the app meanwhile.
    engine.edit("app_app", lambda service: service["Spec"]["Mode"]["Replicated"].update(Replicas=5))
    writes_before = len(engine.writes)

    result = _deploy(engine, NEWER)
    assert result.returncode == 0, result.stdout + result.stderr
    this_deploy = [(w.service, w.image, w.replicas) for w in engine.writes[writes_before:]]
    app = [entry for entry in this_deploy if entry[0] == "app_app"]
    assert app == [("app_app", NEW, 5), ("app_app", NEWER, 5)], "old image until migrated; never the file's count"
    first_app_update = this_deploy.index(app[1])
    assert ("app_migrate", NEWER, None) in this_deploy[:first_app_update]
    assert "--- app_migrate: the job completed" in result.stdout


def test_an_unhealthy_image_is_rolled_back_by_swarm_and_the_deploy_fails_with_the_tasks_error(
    swarm_with_secrets: FakeEngine,
) -> None:
    engine = swarm_with_secrets
    assert _deploy(engine, NEW).returncode == 0
    engine.unhealthy_images.add(NEWER)

    result = _deploy(engine, NEWER)
    assert result.returncode == 1
    assert "swarm-deploy failed: Swarm rolled the update back: rollback completed" in result.stderr
    assert UNHEALTHY in result.stderr
    assert engine.service("app_app")["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"] == NEW


def test_a_failed_migration_fails_the_deploy_and_leaves_the_app_alone(swarm_with_secrets: FakeEngine) -> None:
    engine = swarm_with_secrets
    assert _deploy(engine, NEW).returncode == 0
    engine.failing_job_images.add(NEWER)
    writes_before = len(engine.writes)

    result = _deploy(engine, NEWER)
    assert result.returncode == 1
    assert "the job failed" in result.stderr
    assert "task: non-zero exit (1)" in result.stderr
    assert all(w.image == NEW for w in engine.writes[writes_before:] if w.service == "app_app")


def _app(engine: FakeEngine) -> None:
    engine.create_service(
        {
            "Name": "app_app",
            "TaskTemplate": {"ContainerSpec": {"Image": OLD}},
            "Mode": {"Replicated": {"Replicas": 2}},
        }
    )


def _in_background(wait: Callable[[], swarm_deploy.Verdict]) -> tuple[threading.Thread, list[swarm_deploy.Verdict]]:
    verdicts: list[swarm_deploy.Verdict] = []
    thread = threading.Thread(target=lambda: verdicts.append(wait()), daemon=True)
    thread.start()
    return thread, verdicts


def _update_to_new_image(service: dict[str, Any]) -> None:
    service["PreviousSpec"] = service["Spec"]
    service["Spec"] = {**service["Spec"], "TaskTemplate": {"ContainerSpec": {"Image": NEW}}}
    service["UpdateStatus"] = {"State": "updating", "Message": "update in progress"}


def test_a_rolled_back_update_is_a_failure_with_the_failed_tasks_error(
    engine: FakeEngine, docker_cli: swarm_deploy.DockerCli
) -> None:
    _app(engine)
    thread, verdicts = _in_background(
        lambda: swarm_deploy.wait_for_rollout(docker_cli, "app_app", image=NEW, timeout=20, poll_seconds=POLL_SECONDS)
    )
    engine.edit("app_app", _update_to_new_image)
    started = engine.add_task("app_app", image=NEW, state="starting", desired="running", slot=1)
    time.sleep(0.5)
    started["DesiredState"] = "shutdown"
    started["Status"].update(State="failed", Err=UNHEALTHY)
    engine.edit("app_app", lambda s: s.update(UpdateStatus={"State": "rollback_started", "Message": "rolling back"}))
    time.sleep(0.5)
    engine.edit(
        "app_app",
        lambda s: s.update(
            Spec=s["PreviousSpec"], UpdateStatus={"State": "rollback_completed", "Message": "rollback completed"}
        ),
    )
    thread.join(timeout=20)

    (verdict,) = verdicts
    assert verdict.state == "failed"
    assert "rollback completed" in verdict.summary
    assert len(verdict.errors) == 1
    assert verdict.errors[0].endswith(UNHEALTHY)


def test_a_wait_that_never_ends_fails_naming_where_it_stood(
    engine: FakeEngine, docker_cli: swarm_deploy.DockerCli
) -> None:
    _app(engine)
    engine.edit("app_app", _update_to_new_image)
    verdict = swarm_deploy.wait_for_rollout(docker_cli, "app_app", image=NEW, timeout=0.5, poll_seconds=POLL_SECONDS)
    assert verdict.state == "failed"
    assert verdict.summary == swarm_deploy.ERROR_TIMEOUT.format(
        what="app_app", seconds=0, reason="updating: update in progress"
    )


def test_a_service_that_does_not_exist_reads_as_none(docker_cli: swarm_deploy.DockerCli) -> None:
    assert docker_cli.service("app_app") is None


def test_the_deploy_command_refuses_an_image_by_tag_before_touching_the_swarm() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ci.swarm_deploy", "--image", "registry.example/app:latest"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DOCKER_HOST": "tcp://127.0.0.1:9"},
        check=False,
    )
    assert result.returncode == 2
    assert "not an image reference by digest" in result.stderr
