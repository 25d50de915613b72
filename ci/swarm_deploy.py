"""The swarm-deploy steps, with the Docker CLI against DOCKER_HOST (`ssh://...`):

1. `docker stack deploy` with the new image for the `migrate` job only; the app keeps its
   current image and replica count (a first deploy: zero replicas). The job must complete.
2. `docker stack deploy` with the new image everywhere, at the replica count the
   autoscaler has now. Swarm rolls the app forward start-first, and rolls it back by
   itself if a new task fails its healthcheck within the monitor window.
3. Wait until the update completes (exit 0) or has rolled back or paused (exit 1, with
   the failed tasks' errors).

`python -m ci.swarm_deploy --image ...`: only the standard library, so the pipeline's
container runs it with nothing installed, and so can an operator with SSH access.
The decisions are in ci/swarm.py.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, cast

from ci.swarm import (
    APP_SERVICE,
    DEFAULT_ALLOY_ENV,
    DEFAULT_APP_ENV,
    DEFAULT_STACK,
    DEFAULT_TIMEOUT_SECONDS,
    MIGRATE_SERVICE,
    POLL_SECONDS,
    REGISTRY_PASSWORD_ENV,
    STACK_FILE,
    Deployment,
    Json,
    Verdict,
    image_digest,
    is_out_of_sequence,
    job_verdict,
    migrate_phase_env,
    registry_host,
    rollout_phase_env,
    rollout_verdict,
    snapshot,
)

# Writes that raced another write (the autoscaler's) are retried this often.
DEPLOY_ATTEMPTS: Final = 3
ERROR_TIMEOUT: Final = "{what} did not finish within {seconds} s: {reason}"
ERROR_NO_SERVICE: Final = "service {name} does not exist after the deploy"
ERROR_DOCKER: Final = "docker {command} failed (exit {code}): {output}"


class DockerError(RuntimeError):
    """A docker command failed; the message has its output."""


@dataclass(frozen=True)
class DockerCli:
    """`docker` against DOCKER_HOST in `env`, returning decoded JSON."""

    env: Mapping[str, str]
    executable: str = "docker"

    def run(self, *args: str, input_text: str | None = None, extra_env: Mapping[str, str] | None = None) -> str:
        result = subprocess.run(  # noqa: S603 (our own arguments)
            [self.executable, *args],
            env={**self.env, **(extra_env or {})},
            input=input_text,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            output = (result.stderr or result.stdout).strip()
            raise DockerError(ERROR_DOCKER.format(command=" ".join(args[:2]), code=result.returncode, output=output))
        return result.stdout

    def service(self, name: str) -> Json | None:
        try:
            found = json.loads(self.run("service", "inspect", name))
        except DockerError as error:
            if "no such service" in str(error).lower() or "not found" in str(error).lower():
                return None
            raise
        return cast(Json, found[0]) if found else None

    def tasks(self, name: str) -> list[Json]:
        ids = self.run("service", "ps", "--quiet", "--no-trunc", name).split()
        if not ids:
            return []
        return cast(list[Json], json.loads(self.run("inspect", "--type", "task", *ids)))


def wait_for(
    what: str,
    verdict: Callable[[], Verdict],
    *,
    timeout_seconds: float,
    poll_seconds: float = POLL_SECONDS,
    report: Callable[[str], None] = print,
) -> Verdict:
    """Polls until the verdict is no longer pending; a timeout is a failure naming the last state."""
    deadline = time.monotonic() + timeout_seconds
    last = ""
    while True:
        current = verdict()
        if current.summary != last:
            report(f"--- {what}: {current.summary}")
            last = current.summary
        if current.state != "pending":
            return current
        if time.monotonic() >= deadline:
            reason = ERROR_TIMEOUT.format(what=what, seconds=int(timeout_seconds), reason=current.summary)
            return Verdict("failed", reason, (reason,))
        time.sleep(poll_seconds)


def wait_for_job(
    docker: DockerCli,
    name: str,
    *,
    image: str,
    after_iteration: int | None,
    timeout: float,
    poll_seconds: float = POLL_SECONDS,
) -> Verdict:
    def verdict() -> Verdict:
        service = docker.service(name)
        if service is None:
            raise DockerError(ERROR_NO_SERVICE.format(name=name))
        return job_verdict(service, docker.tasks(name), image=image, after_iteration=after_iteration)

    return wait_for(name, verdict, timeout_seconds=timeout, poll_seconds=poll_seconds)


def wait_for_rollout(
    docker: DockerCli, name: str, *, image: str, timeout: float, poll_seconds: float = POLL_SECONDS
) -> Verdict:
    def verdict() -> Verdict:
        service = docker.service(name)
        if service is None:
            raise DockerError(ERROR_NO_SERVICE.format(name=name))
        return rollout_verdict(service, docker.tasks(name), image=image)

    return wait_for(name, verdict, timeout_seconds=timeout, poll_seconds=poll_seconds)


def stack_deploy(docker: DockerCli, deployment: Deployment, env: Mapping[str, str], *, root: Path) -> None:
    """`docker stack deploy`, retried when it raced another write (the autoscaler scaling)."""
    for attempt in range(1, DEPLOY_ATTEMPTS + 1):
        try:
            docker.run(
                "stack",
                "deploy",
                "--detach=true",
                "--prune",
                "--with-registry-auth",
                "--compose-file",
                str(root / STACK_FILE),
                deployment.stack,
                extra_env=env,
            )
        except DockerError as error:
            if not is_out_of_sequence(str(error)) or attempt == DEPLOY_ATTEMPTS:
                raise
            print(f"--- stack deploy raced another update; again ({attempt})")
        else:
            return


def deploy(docker: DockerCli, deployment: Deployment, *, root: Path, environ: Mapping[str, str]) -> Verdict:
    """Migrations first, then the app; returns the app's verdict (or the job's, if it failed)."""
    image_digest(deployment.image)
    app_name, migrate_name = deployment.service(APP_SERVICE), deployment.service(MIGRATE_SERVICE)
    if password := environ.get(REGISTRY_PASSWORD_ENV):
        docker.run(
            "login",
            registry_host(deployment.image),
            "--username",
            deployment.registry_username,
            "--password-stdin",
            input_text=password,
        )
    base = deployment.stack_env(root)

    app = docker.service(app_name)
    migrate = docker.service(migrate_name)
    before = snapshot(app) if app else None
    stack_deploy(docker, deployment, {**base, **migrate_phase_env(before, image=deployment.image)}, root=root)
    job = wait_for_job(
        docker,
        migrate_name,
        image=deployment.image,
        after_iteration=snapshot(migrate).job_iteration if migrate else None,
        timeout=deployment.timeout_seconds,
        poll_seconds=deployment.poll_seconds,
    )
    if job.state != "succeeded":
        return job

    app = docker.service(app_name)
    rollout_env = rollout_phase_env(snapshot(app) if app else None, image=deployment.image)
    stack_deploy(docker, deployment, {**base, **rollout_env}, root=root)
    return wait_for_rollout(
        docker,
        app_name,
        image=deployment.image,
        timeout=deployment.timeout_seconds,
        poll_seconds=deployment.poll_seconds,
    )


def main(argv: Sequence[str] | None = None) -> int:
    cli = argparse.ArgumentParser(
        prog="python -m ci.swarm_deploy",
        description="Deploy an image digest to the Swarm at DOCKER_HOST: migrations, then a rolling update; "
        "exit 1 if Swarm rolled it back.",
    )
    cli.add_argument("--image", required=True, help="registry/repository@sha256:...")
    cli.add_argument("--stack", default=DEFAULT_STACK)
    cli.add_argument("--app-env", type=Path, default=Path(DEFAULT_APP_ENV))
    cli.add_argument("--alloy-env", type=Path, default=Path(DEFAULT_ALLOY_ENV))
    cli.add_argument("--registry-username", default="oauth2accesstoken")
    cli.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_SECONDS, help="seconds per wait")
    cli.add_argument("--poll", type=float, default=POLL_SECONDS, help="seconds between looks at the Swarm")
    arguments = cli.parse_args(argv)
    try:
        image_digest(arguments.image)
    except ValueError as error:
        cli.error(str(error))
    deployment = Deployment.from_arguments(arguments)
    root = Path(__file__).resolve().parent.parent
    try:
        verdict = deploy(DockerCli(dict(os.environ)), deployment, root=root, environ=os.environ)
    except DockerError as error:
        print(f"swarm-deploy failed: {error}", file=sys.stderr)
        return 1
    if verdict.state != "succeeded":
        print(f"swarm-deploy failed: {verdict.summary}", file=sys.stderr)
        for error in verdict.errors:
            print(f"  {error}", file=sys.stderr)
        return 1
    print(f"swarm-deploy: {deployment.image} is live on {deployment.service(APP_SERVICE)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
