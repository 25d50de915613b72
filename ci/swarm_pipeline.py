"""The `swarm-deploy` pipeline: `python -m ci.swarm_deploy` (plain Python and the Docker
CLI) in a container that reaches the Swarm manager over SSH through this machine's agent."""

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import dagger
from dagger import dag

from ci import publish, swarm, workspace

SSH_AGENT_PATH: Final = "/run/ssh-agent.sock"
SSH_DIR: Final = "/root/.ssh"
# The name the manager has inside the container when it is reached through a local tunnel.
MANAGER_ALIAS: Final = "swarm-manager"
DEPLOY_FILES_DIR: Final = "/run/deploy"
# What the deploy step reads from the checkout.
SWARM_SOURCES: Final = ["ci/**", "deploy/swarm/**", "alloy/config.alloy"]
DEPLOY_COMMAND: Final = ["python3", "-m", "ci.swarm_deploy"]


@dataclass(frozen=True)
class SwarmTarget:
    """Where swarm-deploy goes and how it gets in: SSH through this machine's agent."""

    host: swarm.SshHost
    ssh_agent_socket: str
    known_hosts: Path
    password_env: str | None = None


def deployer(
    source: dagger.Directory, deployment: swarm.Deployment, target: SwarmTarget, *, run_id: str
) -> dagger.Container:
    """The deploy with the Docker CLI, SSH and the stack's files.

    A manager on a loopback port (an IAP tunnel) is reached through a Dagger host service;
    its host key must be in known_hosts under the name the tunnel gives it. `run_id` keeps
    the deploy out of Dagger's cache: it is an action, not a build step.
    """
    container = (
        dag.container()
        .from_(workspace.PYTHON_IMAGE)
        .with_exec(["apt-get", "update", "--quiet"])
        .with_exec(["apt-get", "install", "--yes", "--quiet", "--no-install-recommends", "openssh-client"])
        .with_file(workspace.DOCKER_CLI_PATH, workspace.docker_cli())
        .with_directory(workspace.SOURCE_PATH, source, include=SWARM_SOURCES)
        .with_workdir(workspace.SOURCE_PATH)
        .with_mounted_file(f"{DEPLOY_FILES_DIR}/app.env", dag.host().file(str(deployment.app_env)))
        .with_mounted_file(f"{DEPLOY_FILES_DIR}/alloy.env", dag.host().file(str(deployment.alloy_env)))
        .with_mounted_file(f"{SSH_DIR}/known_hosts", dag.host().file(str(target.known_hosts)))
        .with_unix_socket(SSH_AGENT_PATH, dag.host().unix_socket(target.ssh_agent_socket))
        .with_env_variable("SSH_AUTH_SOCK", SSH_AGENT_PATH)
    )
    if target.host.is_loopback:
        tunnel = dag.host().service([dagger.PortForward(backend=target.host.port, frontend=22)], host=target.host.host)
        container = container.with_service_binding(MANAGER_ALIAS, tunnel)
        alias, port = MANAGER_ALIAS, 22
    else:
        alias, port = target.host.host, target.host.port
    config = swarm.ssh_config(target.host, alias=alias, port=port, known_hosts=f"{SSH_DIR}/known_hosts")
    container = container.with_new_file(f"{SSH_DIR}/config", config, permissions=0o600)
    if target.password_env:
        container = container.with_secret_variable(
            swarm.REGISTRY_PASSWORD_ENV, publish.secret_from_env(target.password_env)
        )
    return (
        container.with_env_variable("DOCKER_HOST", f"ssh://{target.host.user}@{alias}:{port}")
        .with_env_variable("SWARM_DEPLOY_RUN", run_id)
        .with_exec(
            [
                *DEPLOY_COMMAND,
                "--image",
                deployment.image,
                "--stack",
                deployment.stack,
                "--app-env",
                f"{DEPLOY_FILES_DIR}/app.env",
                "--alloy-env",
                f"{DEPLOY_FILES_DIR}/alloy.env",
                "--registry-username",
                deployment.registry_username,
                "--timeout",
                str(deployment.timeout_seconds),
            ]
        )
    )
