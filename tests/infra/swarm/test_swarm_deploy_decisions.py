"""swarm-deploy's decisions as plain functions over the Engine's JSON (ci/swarm.py)."""

from typing import Any

import pytest

from ci import swarm

OLD = "europe-west1-docker.pkg.dev/p/app/overengineered-backend@sha256:" + "1" * 64
NEW = "europe-west1-docker.pkg.dev/p/app/overengineered-backend@sha256:" + "2" * 64


def _service(image: str, *, replicas: int | None = 2, update: str | None = None, **extra: Any) -> dict[str, Any]:
    mode: dict[str, Any] = {"Replicated": {"Replicas": replicas}} if replicas is not None else {"ReplicatedJob": {}}
    service: dict[str, Any] = {
        "ID": "svc",
        "Spec": {"Name": "app_app", "TaskTemplate": {"ContainerSpec": {"Image": image}}, "Mode": mode},
        **extra,
    }
    if update:
        service["UpdateStatus"] = {"State": update, "Message": f"update {update}"}
    return service


def _task(
    image: str, state: str, *, desired: str = "running", error: str = "", iteration: int | None = None
) -> dict[str, Any]:
    task: dict[str, Any] = {
        "ID": f"{state}-{image[-3:]}",
        "Slot": 1,
        "DesiredState": desired,
        "Spec": {"ContainerSpec": {"Image": image}},
        "Status": {"State": state, "Err": error},
    }
    if iteration is not None:
        task["JobIteration"] = {"Index": iteration}
    return task


def test_images_are_deployed_by_digest_only() -> None:
    assert swarm.image_digest(NEW) == "sha256:" + "2" * 64
    assert swarm.image_digest("ghcr.io/acme/app:1.2.3@sha256:" + "a" * 64).endswith("a" * 64)
    for moving in ("ghcr.io/acme/app:latest", "app", "app@sha256:short", f"{NEW} --rm"):
        with pytest.raises(ValueError, match="by digest"):
            swarm.image_digest(moving)


def test_the_registry_is_the_references_first_part_when_it_is_a_host() -> None:
    assert swarm.registry_host(NEW) == "europe-west1-docker.pkg.dev"
    assert swarm.registry_host("localhost:5000/app@sha256:" + "a" * 64) == "localhost:5000"
    assert swarm.registry_host("acme/app@sha256:" + "a" * 64) == "docker.io"


def test_ssh_hosts_are_parsed_and_tunnels_recognised() -> None:
    tunnel = swarm.SshHost.parse("ssh://deploy@localhost:2222")
    assert (tunnel.user, tunnel.host, tunnel.port, tunnel.is_loopback) == ("deploy", "localhost", 2222, True)
    assert tunnel.known_hosts_name == "[localhost]:2222"
    direct = swarm.SshHost.parse("ssh://deploy@swarm.example.com")
    assert (direct.port, direct.is_loopback, direct.known_hosts_name) == (22, False, "swarm.example.com")
    assert swarm.SshHost.parse("ssh://deploy@127.0.0.1:2222").is_loopback
    for bad in (
        "tcp://deploy@host",
        "ssh://host",
        "ssh://deploy@host:notaport",
        "ssh://deploy@host/path",
        "deploy@host",
    ):
        with pytest.raises(ValueError, match="ssh://user@host"):
            swarm.SshHost.parse(bad)


def test_ssh_config_checks_the_managers_own_host_key_under_a_tunnels_name() -> None:
    config = swarm.ssh_config(
        swarm.SshHost.parse("ssh://deploy@localhost:2222"), alias="swarm-manager", port=22, known_hosts="/k"
    )
    assert "Host swarm-manager\n" in config
    assert "HostKeyAlias [localhost]:2222\n" in config
    assert "StrictHostKeyChecking yes\n" in config
    assert "UserKnownHostsFile /k\n" in config
    assert "User deploy\n" in config


def test_config_version_follows_every_files_contents() -> None:
    base = swarm.config_version([b"A=1\n", b"B=2\n"])
    assert len(base) == 12
    assert swarm.config_version([b"A=1\n", b"B=2\n"]) == base
    assert swarm.config_version([b"A=1\n", b"B=3\n"]) != base
    assert swarm.config_version([b"A=1\nB", b"=2\n"]) != base, "file boundaries count"


def test_a_first_deploy_migrates_before_any_replica_of_the_app_starts() -> None:
    assert swarm.migrate_phase_env(None, image=NEW) == {"APP_IMAGE": NEW, "APP_REPLICAS": "0", "MIGRATE_IMAGE": NEW}
    assert swarm.rollout_phase_env(swarm.snapshot(_service(NEW, replicas=0)), image=NEW) == {
        "APP_IMAGE": NEW,
        "MIGRATE_IMAGE": NEW,
    }


def test_a_later_deploy_keeps_the_running_app_and_the_autoscalers_scale_until_migrations_are_done() -> None:
    running = swarm.snapshot(_service(OLD, replicas=5))
    assert swarm.migrate_phase_env(running, image=NEW) == {"APP_IMAGE": OLD, "APP_REPLICAS": "5", "MIGRATE_IMAGE": NEW}
    assert swarm.rollout_phase_env(running, image=NEW)["APP_REPLICAS"] == "5"


def test_the_job_of_this_deploy_must_complete() -> None:
    job = _service(NEW, replicas=None, JobStatus={"JobIteration": {"Index": 8}})
    assert swarm.job_verdict(_service(OLD, replicas=None), [], image=NEW, after_iteration=7).state == "pending"
    assert swarm.job_verdict(job, [_task(NEW, "running", iteration=8)], image=NEW, after_iteration=7).state == "pending"
    done = swarm.job_verdict(job, [_task(NEW, "complete", iteration=8)], image=NEW, after_iteration=7)
    assert done.state == "succeeded"
    # The previous run (iteration 7) does not count for this deploy.
    stale = swarm.job_verdict(
        _service(NEW, replicas=None, JobStatus={"JobIteration": {"Index": 7}}),
        [_task(OLD, "complete", iteration=7)],
        image=NEW,
        after_iteration=7,
    )
    assert stale.state == "pending"


def test_a_failed_migration_fails_the_deploy_with_the_tasks_error() -> None:
    job = _service(NEW, replicas=None, JobStatus={"JobIteration": {"Index": 3}})
    failed = swarm.job_verdict(
        job, [_task(NEW, "failed", error="task: non-zero exit (1)", iteration=3)], image=NEW, after_iteration=2
    )
    assert failed.state == "failed"
    assert failed.errors == ("task failed-222 (slot 1): task: non-zero exit (1)",)


def test_a_rolling_update_under_way_is_pending() -> None:
    tasks = [_task(OLD, "running"), _task(NEW, "starting")]
    assert swarm.rollout_verdict(_service(NEW, update="updating"), tasks, image=NEW).state == "pending"
    assert swarm.rollout_verdict(_service(NEW, update="rollback_started"), tasks, image=NEW).state == "pending"


def test_a_rolled_back_update_fails_with_the_new_tasks_errors() -> None:
    tasks = [
        _task(OLD, "running"),
        _task(NEW, "failed", desired="shutdown", error="task: non-zero exit (1): dockerexec: unhealthy container"),
    ]
    verdict = swarm.rollout_verdict(_service(OLD, update="rollback_completed"), tasks, image=NEW)
    assert verdict.state == "failed"
    assert "rolled the update back" in verdict.summary
    assert verdict.errors == ("task failed-222 (slot 1): task: non-zero exit (1): dockerexec: unhealthy container",)


def test_a_paused_update_fails() -> None:
    verdict = swarm.rollout_verdict(
        _service(NEW, update="paused"), [_task(NEW, "rejected", error="no suitable node")], image=NEW
    )
    assert verdict.state == "failed"
    assert "no suitable node" in verdict.errors[0]


def test_the_update_has_converged_when_every_task_meant_to_run_runs_the_new_image() -> None:
    converged = [_task(NEW, "running"), _task(NEW, "running"), _task(OLD, "shutdown", desired="shutdown")]
    assert swarm.rollout_verdict(_service(NEW, update="completed"), converged, image=NEW).state == "succeeded"
    lagging = [_task(NEW, "running"), _task(OLD, "running")]
    assert swarm.rollout_verdict(_service(NEW, update="completed"), lagging, image=NEW).state == "pending"
    assert swarm.rollout_verdict(_service(NEW), [_task(NEW, "running")], image=NEW).state == "pending"


def test_out_of_sequence_is_recognised_in_the_clis_output() -> None:
    assert swarm.is_out_of_sequence(
        "Error response from daemon: rpc error: code = Unknown desc = update out of sequence"
    )
    assert not swarm.is_out_of_sequence("Error response from daemon: no such image")
