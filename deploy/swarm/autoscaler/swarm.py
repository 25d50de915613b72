"""The Swarm as the autoscaler sees it: services, their running tasks, container stats.

Reading an Engine answer is plain functions over its JSON (tested on their own); `Swarm`
is the thin layer over the Docker SDK that fetches them.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Protocol, cast

import docker
import requests
from docker.errors import APIError, DockerException
from docker.models.services import Service

from .cpu import CpuSample, sample_from_stats
from .document import field, string_map
from .policy import ENABLE_LABEL

# Docker 25 and later speak it; Docker 29 refuses anything older.
API_VERSION: Final = "1.44"
# swarmkit's answer when a write carries a service version that another write replaced;
# Engines answer it with 500 (older) or 409.
OUT_OF_SEQUENCE: Final = "update out of sequence"
_CONFLICT_STATUSES: Final = frozenset({409, 500})
# Update states during which the service's previous spec is the deploy's rollback target.
_UPDATE_IN_PROGRESS: Final = frozenset({"updating", "paused", "rollback_started", "rollback_paused"})
# What a call to the Engine raises when it fails: the SDK's errors, or the connection's.
ENGINE_ERRORS: Final = (DockerException, requests.RequestException)


@dataclass(frozen=True)
class ServiceState:
    """What the decision needs from `GET /services/{id}`."""

    id: str
    name: str
    version: int
    labels: Mapping[str, str]
    replicas: int | None  # None: not a replicated service (global, or a job)
    updating: bool
    updated_at: datetime | None
    cpu_limit_nanocpus: int | None


def service_state(attrs: Mapping[str, Any]) -> ServiceState:
    replicas = field(attrs, "Spec", "Mode", "Replicated", "Replicas")
    is_replicated = isinstance(field(attrs, "Spec", "Mode", "Replicated"), Mapping)
    updated_at = field(attrs, "UpdatedAt")
    limit = field(attrs, "Spec", "TaskTemplate", "Resources", "Limits", "NanoCPUs")
    return ServiceState(
        id=str(attrs["ID"]),
        name=str(field(attrs, "Spec", "Name") or attrs["ID"]),
        version=int(field(attrs, "Version", "Index") or 0),
        labels=string_map(field(attrs, "Spec", "Labels")),
        replicas=int(replicas or 0) if is_replicated else None,
        updating=field(attrs, "UpdateStatus", "State") in _UPDATE_IN_PROGRESS,
        updated_at=parse_timestamp(updated_at) if isinstance(updated_at, str) else None,
        cpu_limit_nanocpus=int(limit) if limit else None,
    )


def parse_timestamp(text: str) -> datetime:
    """An Engine timestamp (RFC 3339, nanoseconds, `Z`) as an aware datetime."""
    return datetime.fromisoformat(text)


@dataclass(frozen=True)
class RunningTask:
    container_id: str
    node_id: str


def running_tasks(tasks: Sequence[Mapping[str, Any]]) -> list[RunningTask]:
    """Tasks that run and are meant to keep running, with their containers."""
    found: list[RunningTask] = []
    for task in tasks:
        container = field(task, "Status", "ContainerStatus", "ContainerID")
        if field(task, "DesiredState") == "running" and field(task, "Status", "State") == "running" and container:
            found.append(RunningTask(container_id=str(container), node_id=str(field(task, "NodeID") or "")))
    return found


def is_out_of_sequence(error: APIError) -> bool:
    return error.status_code in _CONFLICT_STATUSES and OUT_OF_SEQUENCE in str(error.explanation or error)


class _EngineApi(Protocol):
    """The untyped low-level SDK calls used here, with the types their answers have."""

    def info(self) -> dict[str, Any]: ...
    def tasks(self, filters: Mapping[str, str]) -> list[dict[str, Any]]: ...
    def stats(self, container: str, *, stream: bool, one_shot: bool) -> dict[str, Any]: ...


class _Services(Protocol):
    def list(self, *, filters: Mapping[str, str]) -> list[Service]: ...


class _Scalable(Protocol):
    def scale(self, replicas: int) -> object: ...


class Swarm:
    """The manager's Engine API through the Docker SDK."""

    def __init__(self, client: docker.DockerClient) -> None:
        self._api = cast(_EngineApi, client.api)
        self._services = cast(_Services, client.services)

    @classmethod
    def from_environment(cls) -> "Swarm":
        """DOCKER_HOST (default: the local socket), at a fixed API version: no call at start-up."""
        return cls(docker.from_env(version=API_VERSION))

    def node_id(self) -> str:
        return str(field(self._api.info(), "Swarm", "NodeID"))

    def autoscaled(self) -> list[Service]:
        return self._services.list(filters={"label": f"{ENABLE_LABEL}=true"})

    def running_tasks(self, service_id: str) -> list[RunningTask]:
        return running_tasks(self._api.tasks(filters={"service": service_id, "desired-state": "running"}))

    def cpu_sample(self, container_id: str) -> CpuSample | None:
        """The container's CPU counters; None when the Engine cannot say (gone, or an error)."""
        try:
            stats = self._api.stats(container_id, stream=False, one_shot=True)
        except ENGINE_ERRORS:
            return None
        return sample_from_stats(stats)

    @staticmethod
    def scale(service: Service, replicas: int) -> None:
        """Set the replica count at the version last read; out of sequence if it moved since."""
        cast(_Scalable, service).scale(replicas)

    @staticmethod
    def reread(service: Service) -> None:
        service.reload()
