"""deploy/swarm/stack.yaml: rendered and validated by the real Docker CLI, checked against
the compose-spec schema, and held to the stack's rules by reading it."""

import os
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from autoscaler.policy import is_enabled, policy_from_labels

from ci import swarm
from tests.support.paths import REPO_ROOT
from tests.support.tools import system_tool, venv_tool

STACK = REPO_ROOT / swarm.STACK_FILE
SWARM_DIR = STACK.parent
DIGEST_IMAGE = re.compile(r"[a-z0-9][a-z0-9._/-]*(:[\w][\w.-]*)?@sha256:[0-9a-f]{64}")
APP_IMAGE = "europe-west1-docker.pkg.dev/my-project/app/overengineered-backend@sha256:" + "d" * 64
STACK_ENV = {
    "APP_IMAGE": APP_IMAGE,
    "MIGRATE_IMAGE": APP_IMAGE,
    "CONFIG_VERSION": "0123456789ab",
    "APP_ENV_FILE": str(SWARM_DIR / "app.env.example"),
    "ALLOY_ENV_FILE": str(SWARM_DIR / "alloy.env.example"),
}
JOB_MODES = {"replicated-job", "global-job"}


def _stack_config(env: Mapping[str, str], stack: Path = STACK) -> subprocess.CompletedProcess[str]:
    docker = system_tool("docker", "the Docker CLI: Debian's docker-cli, or Docker's static binary")
    clean = {key: value for key, value in os.environ.items() if key not in STACK_ENV and key != "APP_REPLICAS"}
    return subprocess.run(
        [docker, "stack", "config", "--compose-file", str(stack)],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The stack as `docker stack config` renders it: interpolated, merged, validated."""
    result = _stack_config(STACK_ENV)
    assert result.returncode == 0, result.stderr
    path = tmp_path_factory.mktemp("stack") / "rendered.yaml"
    path.write_text(result.stdout)
    return yaml.safe_load(result.stdout) | {"_path": str(path)}


def _services(rendered: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return rendered["services"]


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("APP_IMAGE", "set APP_IMAGE to the app image by digest"),
        ("MIGRATE_IMAGE", "set MIGRATE_IMAGE to the app image by digest"),
        ("CONFIG_VERSION", "set CONFIG_VERSION (the deploy computes it from the files)"),
    ],
)
def test_the_docker_cli_refuses_a_deploy_without_the_deploys_variables(missing: str, message: str) -> None:
    result = _stack_config({key: value for key, value in STACK_ENV.items() if key != missing})
    assert result.returncode != 0
    assert message in result.stderr


def test_the_docker_cli_refuses_a_stack_file_with_an_unknown_key(tmp_path: Path) -> None:
    """The validation above is real: a misspelt key fails it."""
    broken = tmp_path / "stack.yaml"
    broken.write_text(STACK.read_text().replace("failure_action: rollback", "failure_acton: rollback", 1))
    result = _stack_config(STACK_ENV, broken)
    assert result.returncode != 0
    assert "failure_acton" in result.stderr


def test_the_stack_as_written_and_as_rendered_passes_the_compose_spec_schema(rendered: dict[str, Any]) -> None:
    result = subprocess.run(
        [venv_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(STACK), rendered["_path"]],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_image_is_pinned_by_digest(rendered: dict[str, Any]) -> None:
    for name, service in _services(rendered).items():
        assert DIGEST_IMAGE.fullmatch(service["image"]), f"{name}: {service['image']}"
    source = yaml.safe_load(STACK.read_text())["services"]
    for name, service in source.items():
        image = service["image"]
        assert DIGEST_IMAGE.fullmatch(image) or re.fullmatch(r"\$\{(APP|MIGRATE)_IMAGE:\?[^}]+\}", image), (
            f"{name}: {image} is neither pinned nor the deploy's digest"
        )


def test_every_service_has_a_healthcheck_and_only_a_job_goes_without_one(rendered: dict[str, Any]) -> None:
    for name, service in _services(rendered).items():
        healthcheck = service.get("healthcheck")
        assert healthcheck, f"{name} has no healthcheck"
        if service["deploy"].get("mode") in JOB_MODES:
            assert healthcheck == {"disable": True}, f"{name}: a job's healthcheck is switched off explicitly"
        else:
            assert healthcheck["test"][0] in ("CMD", "CMD-SHELL"), name
            assert {"interval", "timeout", "retries", "start_period"} <= set(healthcheck), name


def test_every_service_has_cpu_and_memory_limits_and_reservations(rendered: dict[str, Any]) -> None:
    for name, service in _services(rendered).items():
        resources = service["deploy"]["resources"]
        for kind in ("limits", "reservations"):
            assert {"cpus", "memory"} <= set(resources[kind]), f"{name} lacks {kind}"
        assert float(resources["reservations"]["cpus"]) <= float(resources["limits"]["cpus"]), name
        assert int(resources["reservations"]["memory"]) <= int(resources["limits"]["memory"]), name


def test_the_app_rolls_forward_start_first_and_back_on_failure(rendered: dict[str, Any]) -> None:
    app = _services(rendered)["app"]
    deploy = app["deploy"]
    update = deploy["update_config"]
    assert update["order"] == "start-first"
    assert update["failure_action"] == "rollback"
    assert update["parallelism"] >= 1
    assert _seconds(update["monitor"]) >= _seconds(app["healthcheck"]["interval"]) * app["healthcheck"]["retries"], (
        "the monitor window must outlast the healthcheck's verdict on a new task"
    )
    assert deploy["rollback_config"]["order"] == "start-first"
    assert deploy.get("mode", "replicated") == "replicated"
    assert deploy["placement"]["preferences"] == [{"spread": "node.labels.zone"}]
    assert "127.0.0.1:8000/healthz" in " ".join(app["healthcheck"]["test"])


def test_the_apps_autoscaling_labels_are_a_policy_the_autoscaler_accepts(rendered: dict[str, Any]) -> None:
    app = _services(rendered)["app"]
    labels = app["deploy"]["labels"]
    assert is_enabled(labels)
    policy = policy_from_labels(labels)
    assert policy.minimum <= app["deploy"]["replicas"] <= policy.maximum
    assert policy.up_cooldown_seconds < policy.down_cooldown_seconds
    autoscaler = _services(rendered)["autoscaler"]
    assert autoscaler["image"] == app["image"], "the autoscaler runs from the app's image"
    assert autoscaler["command"][:3] == ["python", "-m", "autoscaler"]
    assert "node.role == manager" in autoscaler["deploy"]["placement"]["constraints"]
    assert any(volume["source"] == "/var/run/docker.sock" for volume in autoscaler["volumes"])


def test_migrations_are_a_one_shot_job_that_fails_the_deploy_at_once(rendered: dict[str, Any]) -> None:
    migrate = _services(rendered)["migrate"]
    assert migrate["deploy"]["mode"] == "replicated-job"
    assert migrate["deploy"]["restart_policy"]["condition"] == "none"
    assert migrate["command"] == ["app", "migrate", "--noinput"]
    assert migrate["image"] == _services(rendered)["app"]["image"]


def test_services_that_must_never_run_twice_stop_before_they_start(rendered: dict[str, Any]) -> None:
    services = _services(rendered)
    for name in ("postgres", "autoscaler"):
        assert services[name]["deploy"]["update_config"]["order"] == "stop-first", name
    postgres = services["postgres"]
    assert "node.labels.overengineered-backend.db == true" in postgres["deploy"]["placement"]["constraints"]
    assert postgres["deploy"]["replicas"] == 1
    assert services["alloy"]["deploy"]["mode"] == "global"


def test_settings_are_configs_and_secrets_are_external_never_values_in_the_file(rendered: dict[str, Any]) -> None:
    assert all(secret == {"external": True, "name": name} for name, secret in rendered["secrets"].items())
    for name, config in rendered["configs"].items():
        assert config["name"].endswith("_0123456789ab"), f"{name} is not named by CONFIG_VERSION"
        assert Path(config["file"]).is_file(), f"{name}: {config['file']}"
    # Only the database's wiring (no values that differ between deployments) is written out.
    for name, service in _services(rendered).items():
        environment = service.get("environment") or {}
        if name == "postgres":
            assert environment["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
            assert set(environment) == {"POSTGRES_USER", "POSTGRES_DB", "POSTGRES_PASSWORD_FILE"}
        else:
            assert not environment, f"{name} sets environment values in the stack file"


def test_the_deploy_hashes_every_file_the_stack_makes_a_config_from(rendered: dict[str, Any]) -> None:
    """A config file the hash missed would keep its old name, and Swarm refuses to change it."""
    files = {Path(config["file"]).resolve() for config in rendered["configs"].values()}
    hashed = {(REPO_ROOT / name).resolve() for name in swarm.CONFIG_FILES}
    env_files = {Path(STACK_ENV["APP_ENV_FILE"]).resolve(), Path(STACK_ENV["ALLOY_ENV_FILE"]).resolve()}
    assert files == hashed | env_files


def _seconds(duration: str) -> float:
    total = 0.0
    for amount, unit in re.findall(r"(\d+(?:\.\d+)?)(h|ms|m|s)", duration):
        total += float(amount) * {"h": 3600, "m": 60, "s": 1, "ms": 0.001}[unit]
    return total
