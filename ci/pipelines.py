"""Each pipeline as a lazy plan (inspectable offline) and a run that awaits it.

Later issues add their pipelines here the same way: `deploy` (ci/deploy.py, the Cloud
Run canary), `perf` (ci/perf.py, k6) and `chaos` (ci/chaos.py). `swarm-deploy` runs
`python -m ci.swarm_deploy` (plain Python, the Docker CLI) in a container that reaches the
Swarm manager over SSH.
"""

import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import anyio
import dagger
from dagger import dag

from ci import checks, image, publish, release, scan, suite, swarm, workspace

ERROR_STEPS_FAILED: Final = "failed: {names} (each step's output is printed above)"
ERROR_SWARM_DEPLOY: Final = "failed: swarm-deploy (its output is printed above)"

# Pinned by tag and digest, mirrored in ci/images.Dockerfile where dependabot bumps them.
DOCKER_CLI_IMAGE: Final = "docker:28.5.2-cli@sha256:625d9431a9f54c5a2bc90f24f0e1c3d55b1349fd857dd85035f98c2c9acbdd4d"
SSH_AGENT_PATH: Final = "/run/ssh-agent.sock"
SSH_DIR: Final = "/root/.ssh"
# The name the manager has inside the container when it is reached through a local tunnel.
MANAGER_ALIAS: Final = "swarm-manager"
DEPLOY_FILES_DIR: Final = "/run/deploy"
# What the deploy step reads from the checkout.
SWARM_SOURCES: Final = ["ci/**", "deploy/swarm/**", "alloy/config.alloy"]


class PipelineError(Exception):
    """One or more steps failed; their output was already printed."""


@dataclass(frozen=True)
class Build:
    """Which commit is built, and what it is called."""

    root: Path
    commit: str
    ref: str = ""
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    @property
    def version(self) -> str:
        return release.app_version(commit=self.commit, ref=self.ref)

    @property
    def tags(self) -> list[str]:
        return release.image_tags(commit=self.commit, ref=self.ref)

    @classmethod
    def from_environment(cls, root: Path) -> "Build":
        env = dict(os.environ)
        return cls(
            root=root,
            commit=release.current_commit(env, root),
            ref=release.current_ref(env),
            env=env,
        )


def check_plan(build: Build) -> dict[str, dagger.Container]:
    source = workspace.repository(str(build.root))
    return suite.check(workspace.python_environment(source))


def image_plan(build: Build) -> dagger.Container:
    source = workspace.repository(str(build.root))
    return image.build(source, commit=build.commit, version=build.version)


def scan_plan(build: Build) -> dict[str, dagger.Container]:
    source = workspace.repository(str(build.root))
    return scan.scan(
        source,
        workspace.python_environment(source),
        image_plan(build),
        shell_script_paths=checks.shell_scripts(build.root),
    )


def publish_plan(build: Build, target: release.RegistryTarget, *, password_env: str) -> dagger.Container:
    """The built image, authenticated to the target registry."""
    return publish.authenticated(image_plan(build), target, publish.secret_from_env(password_env))


def sign_plan(
    build: Build, target: release.RegistryTarget, *, digest_reference: str, password_env: str
) -> dagger.Container:
    return publish.signer(
        digest_reference,
        target,
        publish.secret_from_env(password_env),
        sbom=image.sbom(image_plan(build)),
        oidc_request_url=build.env[publish.OIDC_REQUEST_URL_ENV],
        oidc_request_token=publish.secret_from_env(publish.OIDC_REQUEST_TOKEN_ENV),
    )


async def run_steps(steps: Mapping[str, dagger.Container]) -> None:
    """Run independent steps side by side; report each, then fail if any failed."""
    failed: list[str] = []

    async def run_one(name: str, container: dagger.Container) -> None:
        try:
            await container.sync()
        except dagger.ExecError as error:
            failed.append(name)
            print(f"--- {name} FAILED (exit {error.exit_code}): {' '.join(error.command)}")
            print(error.stdout, error.stderr, sep="\n", file=sys.stderr)
        else:
            print(f"--- {name} ok")

    async with anyio.create_task_group() as group:
        for name, container in steps.items():
            group.start_soon(run_one, name, container)
    if failed:
        raise PipelineError(ERROR_STEPS_FAILED.format(names=", ".join(sorted(failed))))


async def run_check(build: Build) -> None:
    await run_steps(check_plan(build))


async def run_scan(build: Build) -> None:
    await run_steps(scan_plan(build))


async def run_build(build: Build, *, output: Path) -> None:
    """Build the image, write `image.tar` (OCI) and `sbom.spdx.json` into output."""
    built = image_plan(build)
    await built.export(str(output / "image.tar"))
    await image.sbom(built).export(str(output / "sbom.spdx.json"))
    name = f"{release.IMAGE_NAME}:{release.commit_tag(build.commit)}"
    print(f"built {name} (version {build.version}) into {output}/: image.tar, sbom.spdx.json")


async def run_all(build: Build, *, output: Path) -> None:
    await run_steps({**check_plan(build), **scan_plan(build)})
    await run_build(build, output=output)


async def run_publish(build: Build, target: release.RegistryTarget, *, password_env: str) -> None:
    authenticated = publish_plan(build, target, password_env=password_env)
    digest_reference = await publish.push(authenticated, target, tags=build.tags)
    print(digest_reference)
    if release.signs_keylessly(build.env):
        plan = sign_plan(build, target, digest_reference=digest_reference, password_env=password_env)
        await plan.sync()
        print(f"signed {digest_reference} and attested its SBOM (cosign, keyless)")
    else:
        print("not in GitHub Actions: published unsigned (keyless signing needs its OIDC token)")


@dataclass(frozen=True)
class SwarmTarget:
    """Where swarm-deploy goes and how it gets in: SSH through this machine's agent."""

    host: swarm.SshHost
    ssh_agent_socket: str
    known_hosts: Path
    password_env: str | None = None


def swarm_deploy_plan(
    build: Build, deployment: swarm.Deployment, target: SwarmTarget, *, run_id: str
) -> dagger.Container:
    """`python -m ci.swarm_deploy` with the Docker CLI, SSH and the stack's files.

    A manager on a loopback port (an IAP tunnel) is reached through a Dagger host service;
    its host key must be in known_hosts under the name the tunnel gives it. `run_id` keeps
    the deploy out of Dagger's cache: it is an action, not a build step.
    """
    source = workspace.repository(str(build.root))
    docker_cli = dag.container().from_(DOCKER_CLI_IMAGE).file("/usr/local/bin/docker")
    container = (
        dag.container()
        .from_(workspace.PYTHON_IMAGE)
        .with_exec(["apt-get", "update", "--quiet"])
        .with_exec(["apt-get", "install", "--yes", "--quiet", "--no-install-recommends", "openssh-client"])
        .with_file("/usr/local/bin/docker", docker_cli)
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
                "python3",
                "-m",
                "ci.swarm_deploy",
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


async def run_swarm_deploy(build: Build, deployment: swarm.Deployment, target: SwarmTarget) -> None:
    plan = swarm_deploy_plan(build, deployment, target, run_id=str(time.time_ns()))
    try:
        print(await plan.stdout())
    except dagger.ExecError as error:
        print(error.stdout, error.stderr, sep="\n", file=sys.stderr)
        raise PipelineError(ERROR_SWARM_DEPLOY) from error
