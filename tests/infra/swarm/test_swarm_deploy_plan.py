"""The swarm-deploy pipeline's Dagger call chain, built offline and read step by step."""

import dataclasses
from pathlib import Path

import pytest

from ci import checks, commands, main, pipelines, swarm, swarm_pipeline, workspace
from tests.infra.ci.chain import calls_named, chain, execs, image_addresses
from tests.infra.ci.conftest import COMMIT
from tests.support.paths import REPO_ROOT

IMAGE = "europe-west1-docker.pkg.dev/my-project/app/overengineered-backend@sha256:" + "c" * 64
DEPLOYMENT = swarm.Deployment(
    image=IMAGE, app_env=Path("deploy/swarm/app.env.example"), alloy_env=Path("deploy/swarm/alloy.env.example")
)
BUILD = pipelines.Build(root=REPO_ROOT, commit=COMMIT, ref="refs/heads/main", env={})


def _target(url: str, *, password_env: str | None = None) -> swarm_pipeline.SwarmTarget:
    return swarm_pipeline.SwarmTarget(
        host=swarm.SshHost.parse(url),
        ssh_agent_socket="/tmp/agent.sock",
        known_hosts=Path("/root/.ssh/known_hosts"),
        password_env=password_env,
    )


def _env(plan: object) -> dict[str, str]:
    return {call.args["name"]: call.args["value"] for call in calls_named(plan, "withEnvVariable")}


def test_the_deploy_runs_ci_swarm_with_the_docker_cli_from_a_pinned_image() -> None:
    plan = pipelines.swarm_deploy_plan(BUILD, DEPLOYMENT, _target("ssh://deploy@swarm.example.com"))
    assert set(image_addresses(plan)) == {workspace.PYTHON_IMAGE, workspace.DOCKER_CLI_IMAGE}
    docker_binary = calls_named(plan, "withFile")[0]
    assert docker_binary.args["path"] == "/usr/local/bin/docker"
    assert chain(docker_binary.args["source"])[1].args["address"] == workspace.DOCKER_CLI_IMAGE
    assert any("openssh-client" in args for args in execs(plan))
    command = execs(plan)[-1]
    assert command[:3] == ["python3", "-m", "ci.swarm_deploy"]
    assert command[command.index("--image") + 1] == IMAGE
    assert command[command.index("--app-env") + 1] == f"{swarm_pipeline.DEPLOY_FILES_DIR}/app.env"
    sources = next(call for call in calls_named(plan, "withDirectory"))
    assert sources.args["include"] == swarm_pipeline.SWARM_SOURCES


def test_ssh_goes_through_the_agent_and_checks_the_host_key() -> None:
    plan = pipelines.swarm_deploy_plan(BUILD, DEPLOYMENT, _target("ssh://deploy@swarm.example.com:2200"))
    env = _env(plan)
    assert env["SSH_AUTH_SOCK"] == swarm_pipeline.SSH_AGENT_PATH
    assert env["DOCKER_HOST"] == "ssh://deploy@swarm.example.com:2200"
    socket = calls_named(plan, "withUnixSocket")[0]
    assert socket.args["path"] == swarm_pipeline.SSH_AGENT_PATH
    assert calls_named(socket.args["source"], "unixSocket")[0].args["path"] == "/tmp/agent.sock"
    mounted = {call.args["path"]: call.args["source"] for call in calls_named(plan, "withMountedFile")}
    assert calls_named(mounted["/root/.ssh/known_hosts"], "file")[0].args["path"] == "/root/.ssh/known_hosts"
    config = next(call for call in calls_named(plan, "withNewFile") if call.args["path"] == "/root/.ssh/config")
    assert "StrictHostKeyChecking yes" in config.args["contents"]
    assert config.args["permissions"] == 0o600
    assert not calls_named(plan, "withServiceBinding"), "a direct host needs no tunnel"


def test_a_manager_behind_a_local_tunnel_is_reached_through_a_host_service() -> None:
    plan = pipelines.swarm_deploy_plan(BUILD, DEPLOYMENT, _target("ssh://deploy@localhost:2222"))
    binding = calls_named(plan, "withServiceBinding")[0]
    assert binding.args["alias"] == swarm_pipeline.MANAGER_ALIAS
    service = calls_named(binding.args["service"], "service")[0]
    assert service.args.get("host", "localhost") == "localhost"  # a default is left out of the call
    (forward,) = service.args["ports"]
    assert (forward["backend"], forward["frontend"]) == (2222, 22)
    assert _env(plan)["DOCKER_HOST"] == f"ssh://deploy@{swarm_pipeline.MANAGER_ALIAS}:22"
    config = next(call for call in calls_named(plan, "withNewFile") if call.args["path"] == "/root/.ssh/config")
    assert "HostKeyAlias [localhost]:2222" in config.args["contents"]


def test_the_registry_token_is_a_secret_and_only_there_when_given() -> None:
    without = pipelines.swarm_deploy_plan(BUILD, DEPLOYMENT, _target("ssh://deploy@h.example"))
    assert not calls_named(without, "withSecretVariable")
    plan = pipelines.swarm_deploy_plan(BUILD, DEPLOYMENT, _target("ssh://deploy@h.example", password_env="TOKEN"))
    (secret,) = calls_named(plan, "withSecretVariable")
    assert secret.args["name"] == swarm.REGISTRY_PASSWORD_ENV
    assert calls_named(secret.args["secret"], "secret")[0].args["uri"] == "env://TOKEN"
    assert swarm.REGISTRY_PASSWORD_ENV not in _env(plan), "the token never passes through plain variables"


def test_every_run_deploys_again_rather_than_answering_from_the_cache() -> None:
    """Each run has its own id (the Actions run, else the time): the deploy's step differs."""
    first = pipelines.swarm_deploy_plan(BUILD, DEPLOYMENT, _target("ssh://deploy@h.example"))
    later = dataclasses.replace(BUILD, run_id="another-run")
    second = pipelines.swarm_deploy_plan(later, DEPLOYMENT, _target("ssh://deploy@h.example"))
    assert _env(first)["SWARM_DEPLOY_RUN"] == BUILD.run_id
    assert _env(second)["SWARM_DEPLOY_RUN"] == "another-run"


def test_the_check_container_has_the_docker_cli_ci_requires() -> None:
    """REQUIRE_TOOLS names docker (checks.MACHINE_TOOLS): the check pipeline must have it too."""
    lint = pipelines.check_plan(BUILD)["lint"]
    copied = {call.args["path"]: call.args["source"] for call in calls_named(lint, "withFile")}
    assert chain(copied[workspace.DOCKER_CLI_PATH])[1].args["address"] == workspace.DOCKER_CLI_IMAGE
    assert "docker" in checks.required_tools()


def _usage_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main.main(["swarm-deploy", *args])
    assert exit_info.value.code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--host", "deploy@h", "--image", IMAGE], "not an SSH Docker host"),
        (["--host", "ssh://deploy@h", "--image", "app:latest"], "not an image reference by digest"),
        (["--host", "ssh://deploy@h", "--image", IMAGE, "--app-env", "/nonexistent"], "needs --app-env /nonexistent"),
    ],
)
def test_bad_arguments_stop_before_any_engine_starts(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.setenv("SSH_AUTH_SOCK", "/tmp/agent.sock")
    assert message in _usage_error(capsys, *args)


def test_without_an_ssh_agent_the_deploy_says_how_to_start_one(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    assert commands.ERROR_NO_SSH_AGENT in _usage_error(capsys, "--host", "ssh://deploy@h", "--image", IMAGE)
