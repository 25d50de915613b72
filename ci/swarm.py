"""Deploying an image digest to Docker Swarm: the decisions, as plain functions.

What to deploy in which order (the migrate job first with the new image while the app
keeps its image and replica count, then the app), and whether a job or a rolling update
has succeeded, failed or rolled back, read from the Engine's JSON. `ci/swarm_deploy.py`
runs the steps with the Docker CLI; no Dagger import here or there.
"""

import argparse
import hashlib
import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, cast
from urllib.parse import urlsplit

STACK_FILE: Final = "deploy/swarm/stack.yaml"
DEFAULT_STACK: Final = "app"
APP_SERVICE: Final = "app"
MIGRATE_SERVICE: Final = "migrate"
DEFAULT_APP_ENV: Final = "deploy/swarm/app.env"
DEFAULT_ALLOY_ENV: Final = "deploy/swarm/alloy.env"
# Files that become the stack's Docker configs besides the two env files: their contents
# name the configs (CONFIG_VERSION), so that a change rolls the services that use them.
CONFIG_FILES: Final = ("deploy/swarm/entrypoint.sh", "alloy/config.alloy", "deploy/flags/flags.json")
REGISTRY_PASSWORD_ENV: Final = "REGISTRY_PASSWORD"  # noqa: S105 (a variable's name)
DEFAULT_TIMEOUT_SECONDS: Final = 900
POLL_SECONDS: Final = 3.0
OUT_OF_SEQUENCE: Final = "update out of sequence"

ERROR_IMAGE: Final = "not an image reference by digest (registry/repository@sha256:<64 hex>): {image!r}"
ERROR_HOST: Final = "not an SSH Docker host (ssh://user@host[:port]): {host!r}"

_IMAGE = re.compile(r"[a-z0-9][a-z0-9._:/-]*(?::[\w][\w.-]*)?@sha256:[0-9a-f]{64}")
_HOST_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")
_USER = re.compile(r"[a-z_][a-z0-9_-]*")
# Task states after which a task will not run again.
_FAILED_STATES: Final = frozenset({"failed", "rejected", "orphaned"})
_ROLLED_BACK: Final = frozenset({"rollback_completed"})
_STUCK: Final = frozenset({"paused", "rollback_paused"})

Json = Mapping[str, Any]


# ---- references and hosts ------------------------------------------------------------------


def image_digest(image: str) -> str:
    """`sha256:...` of an image reference pinned by digest; ValueError for anything else."""
    if not _IMAGE.fullmatch(image):
        raise ValueError(ERROR_IMAGE.format(image=image))
    return image.rpartition("@")[2]


def registry_host(image: str) -> str:
    """The registry an image reference names (Docker Hub when its first part is no host)."""
    first, slash, _ = image.partition("@")[0].partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


@dataclass(frozen=True)
class SshHost:
    """`ssh://user@host:port`, the Docker host a deploy talks to."""

    user: str
    host: str
    port: int

    @classmethod
    def parse(cls, url: str) -> "SshHost":
        parts = urlsplit(url)
        try:
            port = parts.port or 22
        except ValueError:
            raise ValueError(ERROR_HOST.format(host=url)) from None
        host = parts.hostname or ""
        user = parts.username or ""
        if (
            parts.scheme != "ssh"
            or not _USER.fullmatch(user)
            or not _HOST_NAME.fullmatch(host)
            or parts.path not in ("", "/")
        ):
            raise ValueError(ERROR_HOST.format(host=url))
        return cls(user=user, host=host, port=port)

    @property
    def is_loopback(self) -> bool:
        """A tunnel on this machine (IAP's `gcloud compute start-iap-tunnel`, `ssh -L`)."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    @property
    def known_hosts_name(self) -> str:
        """How the host's key is filed in known_hosts."""
        return self.host if self.port == 22 else f"[{self.host}]:{self.port}"

    def url(self) -> str:
        return f"ssh://{self.user}@{self.host}:{self.port}"


def ssh_config(target: SshHost, *, alias: str, port: int, known_hosts: str) -> str:
    """ssh_config for reaching `target` as `alias:port` (a forwarded port) with its own host key.

    The key stays the one known_hosts files under the target's own name; nothing is
    trusted on first use.
    """
    return (
        f"Host {alias}\n"
        f"  HostName {alias}\n"
        f"  Port {port}\n"
        f"  User {target.user}\n"
        f"  HostKeyAlias {target.known_hosts_name}\n"
        f"  UserKnownHostsFile {known_hosts}\n"
        "  StrictHostKeyChecking yes\n"
        "  BatchMode yes\n"
    )


# ---- what to deploy -------------------------------------------------------------------------


def config_version(contents: Iterable[bytes]) -> str:
    """Twelve hex digits that change whenever any config file's contents change."""
    digest = hashlib.sha256()
    for content in contents:
        digest.update(len(content).to_bytes(8, "big"))
        digest.update(content)
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class ServiceSnapshot:
    """What a deploy needs to know about a service before it changes it."""

    image: str
    replicas: int | None
    job_iteration: int | None


def snapshot(service: Json) -> ServiceSnapshot:
    spec = _object(service.get("Spec"))
    replicated = _object(_object(spec.get("Mode")).get("Replicated"))
    iteration = _object(_object(service.get("JobStatus")).get("JobIteration")).get("Index")
    return ServiceSnapshot(
        image=str(_object(_object(spec.get("TaskTemplate")).get("ContainerSpec")).get("Image", "")),
        replicas=int(replicated["Replicas"]) if "Replicas" in replicated else None,
        job_iteration=int(iteration) if iteration is not None else None,
    )


def migrate_phase_env(app: ServiceSnapshot | None, *, image: str) -> dict[str, str]:
    """Stack variables for the first deploy: the new image runs the migrations, the app stays.

    A first deploy starts the app at zero replicas, so that nothing serves before the schema
    exists.
    """
    return {
        "APP_IMAGE": app.image if app else image,
        "APP_REPLICAS": str(app.replicas if app and app.replicas is not None else 0),
        "MIGRATE_IMAGE": image,
    }


def rollout_phase_env(app: ServiceSnapshot | None, *, image: str) -> dict[str, str]:
    """Stack variables for the second deploy: the new image everywhere, at today's scale.

    The replica count is the one the autoscaler set (re-read just before); a service at zero
    (a first deploy) gets the stack file's default.
    """
    env = {"APP_IMAGE": image, "MIGRATE_IMAGE": image}
    if app and app.replicas:
        env["APP_REPLICAS"] = str(app.replicas)
    return env


# ---- verdicts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """Where a job or an update stands: still going, done, or failed with the reasons."""

    state: Literal["pending", "succeeded", "failed"]
    summary: str
    errors: tuple[str, ...] = ()


def job_verdict(service: Json, tasks: Sequence[Json], *, image: str, after_iteration: int | None) -> Verdict:
    """The migrate job's run of `image`: complete, failed, or not yet.

    Every update of a job service runs it again (a new iteration); the deploy waits for an
    iteration newer than the one before it, or for the current one if the spec already
    had this image and the Engine did not start another.
    """
    state = snapshot(service)
    if image_digest(state.image) != image_digest(image):
        return Verdict("pending", "the job does not have the new image yet")
    iteration = state.job_iteration
    if iteration is None:
        return Verdict("pending", "the job has not started")
    runs = [task for task in tasks if _iteration(task) == iteration and _task_digest(task) == image_digest(image)]
    if after_iteration is not None and iteration <= after_iteration and not runs:
        return Verdict("pending", "waiting for the job to run again")
    failed = [task for task in runs if _task_state(task) in _FAILED_STATES]
    if failed:
        return Verdict("failed", f"the job failed (iteration {iteration})", _task_errors(failed))
    wanted = _total_completions(service)
    complete = [task for task in runs if _task_state(task) == "complete"]
    if len(complete) >= wanted:
        return Verdict("succeeded", f"the job completed (iteration {iteration})")
    return Verdict("pending", f"the job is running ({len(complete)} of {wanted} complete)")


def rollout_verdict(service: Json, tasks: Sequence[Json], *, image: str) -> Verdict:
    """The app's rolling update to `image`: converged, rolled back, stuck, or under way."""
    update = _object(service.get("UpdateStatus"))
    update_state = str(update.get("State", ""))
    message = str(update.get("Message", ""))
    digest = image_digest(image)
    new_tasks = [task for task in tasks if _task_digest(task) == digest]
    if update_state in _ROLLED_BACK:
        errors = _task_errors([task for task in new_tasks if _task_state(task) in _FAILED_STATES]) or (message,)
        return Verdict("failed", f"Swarm rolled the update back: {message}", errors)
    if update_state in _STUCK:
        errors = _task_errors([task for task in new_tasks if _task_state(task) in _FAILED_STATES]) or (message,)
        return Verdict("failed", f"the update is {update_state.replace('_', ' ')}: {message}", errors)
    if update_state in {"updating", "rollback_started"}:
        return Verdict("pending", f"{update_state.replace('_', ' ')}: {message}".rstrip(": "))
    state = snapshot(service)
    if image_digest(state.image) != digest:
        return Verdict("pending", "the service does not have the new image yet")
    meant = [task for task in tasks if task.get("DesiredState") == "running"]
    running = [task for task in meant if _task_state(task) == "running" and _task_digest(task) == digest]
    wanted = state.replicas or 0
    if len(running) >= wanted and len(meant) == len(running):
        return Verdict("succeeded", f"{len(running)} of {wanted} tasks run the new image")
    return Verdict("pending", f"{len(running)} of {wanted} tasks run the new image")


def is_out_of_sequence(output: str) -> bool:
    return OUT_OF_SEQUENCE in output


def _object(value: object) -> Json:
    return cast(Json, value) if isinstance(value, Mapping) else {}


def _task_state(task: Json) -> str:
    return str(_object(task.get("Status")).get("State", ""))


def _task_digest(task: Json) -> str:
    image = str(_object(_object(task.get("Spec")).get("ContainerSpec")).get("Image", ""))
    return image.rpartition("@")[2]


def _iteration(task: Json) -> int | None:
    index = _object(task.get("JobIteration")).get("Index")
    return int(index) if index is not None else None


def _total_completions(service: Json) -> int:
    job = _object(_object(_object(service.get("Spec")).get("Mode")).get("ReplicatedJob"))
    return int(job.get("TotalCompletions", 1))


def _task_errors(tasks: Sequence[Json]) -> tuple[str, ...]:
    errors: list[str] = []
    for task in tasks:
        status = _object(task.get("Status"))
        detail = status.get("Err") or status.get("Message") or _task_state(task)
        errors.append(f"task {str(task.get('ID', '?'))[:12]} (slot {task.get('Slot', '-')}): {detail}")
    return tuple(errors)


@dataclass(frozen=True)
class Deployment:
    """One deploy: which image, to which stack, with which settings files."""

    image: str
    stack: str = DEFAULT_STACK
    app_env: Path = Path(DEFAULT_APP_ENV)
    alloy_env: Path = Path(DEFAULT_ALLOY_ENV)
    registry_username: str = "oauth2accesstoken"
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    poll_seconds: float = POLL_SECONDS

    @classmethod
    def from_arguments(cls, arguments: argparse.Namespace) -> "Deployment":
        """From the command line's flags (`python -m ci.swarm_deploy`, `ci/main.py swarm-deploy`)."""
        return cls(
            image=arguments.image,
            stack=arguments.stack,
            app_env=arguments.app_env,
            alloy_env=arguments.alloy_env,
            registry_username=arguments.registry_username,
            timeout_seconds=arguments.timeout,
            poll_seconds=getattr(arguments, "poll", POLL_SECONDS),
        )

    def service(self, name: str) -> str:
        return f"{self.stack}_{name}"

    def stack_env(self, root: Path) -> dict[str, str]:
        files = [root / name for name in CONFIG_FILES] + [self.app_env, self.alloy_env]
        return {
            "CONFIG_VERSION": config_version(path.read_bytes() for path in files),
            "APP_ENV_FILE": str(self.app_env.resolve()),
            "ALLOY_ENV_FILE": str(self.alloy_env.resolve()),
        }
