"""A loopback fake of the Docker Engine API's Swarm endpoints, for the real clients.

Both the Docker SDK (`base_url=tcp://...`) and the Docker CLI (`DOCKER_HOST=tcp://...`)
talk to it. It keeps what a manager keeps for services and tasks, with swarmkit's rules
where our code depends on them:

- a service has a version; an update must carry the current one, or it is refused with
  "update out of sequence" (HTTP 500 as older Engines answer, or 409), and the update
  makes a new version, moves the spec to `PreviousSpec` and stamps `UpdatedAt`;
- a replicated service's tasks follow its replica count (new tasks start, surplus tasks
  shut down, highest slot first), each task with its own container;
- `GET /containers/{id}/stats` reports the container's cumulative CPU the way the Engine
  does (nanoseconds of the container and of the whole host, from /proc).

What runs in a container is a `Runtime`'s business: `SelfRuntime` (every container is
this test process) or real app processes. The test can also script what a real manager
would do by itself (`edit`: an update's progress, a rollback, tasks failing).
"""

import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from tests.support.loopback import QuietHandler, serving

API_VERSION = "1.47"
NODE_ID = "node-manager-1"
OUT_OF_SEQUENCE_MESSAGE = "rpc error: code = Unknown desc = update out of sequence"
# How long the fake's rolling updates take: long enough to be seen in progress.
UPDATE_SECONDS = 0.5
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_NS = 1_000_000_000

Json = dict[str, Any]


def timestamp(moment: float | None = None) -> str:
    """An Engine timestamp: RFC 3339 with nanoseconds, UTC."""
    when = datetime.fromtimestamp(time.time() if moment is None else moment, UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def host_cpu_ns() -> int:
    """All CPUs' time since boot, as the Engine's `system_cpu_usage` (from /proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    return sum(int(value) for value in fields[:8]) * _NS // _CLOCK_TICKS


def process_tree_cpu_ns(pid: int) -> int | None:
    """User and system time of a process and its descendants, as a container's cgroup counts it."""
    children: dict[int, list[int]] = {}
    times: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        times[int(entry.name)] = int(fields[11]) + int(fields[12])
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    if pid not in times:
        return None
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        total += times.get(current, 0)
        pending.extend(children.get(current, []))
    return total * _NS // _CLOCK_TICKS


@dataclass(frozen=True)
class Write:
    """One write to a service's spec, as the manager applied it."""

    time: float
    service: str
    action: str  # "create" or "update"
    image: str
    replicas: int | None


class Runtime(Protocol):
    """What runs a task's container."""

    def start(self, container_id: str, slot: int) -> None: ...
    def is_ready(self, container_id: str) -> bool: ...
    def stop(self, container_id: str) -> None: ...
    def pid(self, container_id: str) -> int | None: ...


class SelfRuntime:
    """Every container is this test process: started at once, its CPU real."""

    def start(self, container_id: str, slot: int) -> None:
        pass

    def is_ready(self, container_id: str) -> bool:
        return True

    def stop(self, container_id: str) -> None:
        pass

    def pid(self, container_id: str) -> int | None:
        return os.getpid()


@dataclass
class FakeEngine:
    """The manager's state; every method takes the lock the HTTP handlers take."""

    runtime: Runtime = field(default_factory=SelfRuntime)
    conflict_status: int = 500
    services: dict[str, Json] = field(default_factory=dict)
    tasks: dict[str, Json] = field(default_factory=dict)
    # Every create and update of a service's spec, in order.
    writes: list[Write] = field(default_factory=list)
    # The manager's own behaviour: images whose tasks fail their healthcheck (an update to
    # one rolls back), and images whose job runs fail.
    unhealthy_images: set[str] = field(default_factory=set)
    failing_job_images: set[str] = field(default_factory=set)
    requests: list[tuple[str, str]] = field(default_factory=list)
    stats_available: bool = True
    url: str = ""
    # Networks, secrets and configs, by ID; secrets the stack names as external exist beforehand.
    objects: dict[str, dict[str, Json]] = field(default_factory=lambda: {"networks": {}, "secrets": {}, "configs": {}})
    _conflicts: dict[str, int] = field(default_factory=dict)
    _updating: dict[str, float] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # ---- set-up and scripting by the test ----------------------------------------------

    def create_service(self, spec: Json, *, updated_at: float | None = None) -> Json:
        with self._lock:
            moment = timestamp(updated_at)
            service = {
                "ID": uuid.uuid4().hex[:25],
                "Version": {"Index": 10},
                "CreatedAt": moment,
                "UpdatedAt": moment,
                "Spec": _normalised(spec),
            }
            self.services[service["ID"]] = service
            self._record(service, "create")
            self._run_job(service)
            self._reconcile(service)
            return service

    @property
    def updates(self) -> list[Write]:
        return [write for write in self.writes if write.action == "update"]

    def service(self, name_or_id: str) -> Json:
        with self._lock:
            return self._find(name_or_id)

    def edit(self, name_or_id: str, change: Callable[[Json], None]) -> None:
        """A write by the manager itself (an update's progress, a rollback): a new version."""
        with self._lock:
            service = self._find(name_or_id)
            change(service)
            self._bump(service)
            self._reconcile(service)

    def conflict_next_updates(self, name_or_id: str, count: int = 1) -> None:
        """The next `count` updates lose a race: another write lands just before each."""
        with self._lock:
            self._conflicts[self._find(name_or_id)["ID"]] = count

    def add_task(self, service: str, *, image: str, state: str, desired: str, error: str = "", **extra: Any) -> Json:
        with self._lock:
            owner = self._find(service)
            task = self._new_task(owner, slot=extra.pop("slot", 1), image=image, state=state, desired=desired)
            task["Status"]["Err"] = error
            task.update(extra)
            return task

    def service_tasks(self, name_or_id: str) -> list[Json]:
        with self._lock:
            owner = self._find(name_or_id)["ID"]
            return [task for task in self.tasks.values() if task["ServiceID"] == owner]

    def running(self, name_or_id: str) -> int:
        return sum(
            1
            for task in self.service_tasks(name_or_id)
            if task["DesiredState"] == "running" and task["Status"]["State"] == "running"
        )

    def tick(self) -> None:
        """Updates that have run a while finish; starting containers that are ready run."""
        with self._lock:
            for service_id, started in list(self._updating.items()):
                if time.monotonic() - started >= UPDATE_SECONDS:
                    del self._updating[service_id]
                    self._finish_update(self.services[service_id])
            self._promote_ready()

    def _promote_ready(self) -> None:
        for task in self.tasks.values():
            container = task["Status"]["ContainerStatus"]["ContainerID"]
            if task["Status"]["State"] == "starting" and self.runtime.is_ready(container):
                task["Status"].update(State="running", Message="started", Timestamp=timestamp())

    # ---- the API --------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: Mapping[str, list[str]], body: bytes) -> tuple[int, Any]:
        with self._lock:
            self.requests.append((method, path))
            parts = [part for part in path.split("/") if part]
            filters = _filters(query)
            match method, parts:
                case (("GET" | "HEAD"), ["_ping"]):
                    return 200, "OK"
                case "GET", ["version"]:
                    return 200, {"Version": "28.2.2", "ApiVersion": API_VERSION, "MinAPIVersion": "1.24", "Os": "linux"}
                case "GET", ["info"]:
                    return 200, {
                        "ID": "fake-engine",
                        "Name": "manager-1",
                        "ServerVersion": "28.2.2",
                        "Swarm": {"NodeID": NODE_ID, "LocalNodeState": "active", "ControlAvailable": True},
                    }
                case "GET", ["services"]:
                    return 200, [s for s in self.services.values() if _service_matches(s, filters)]
                case "GET", ["services", name]:
                    return self._answer_found(name, lambda service: service)
                case "POST", ["services", name, "update"]:
                    return self._update(name, int(query.get("version", ["-1"])[0]), json.loads(body or b"{}"))
                case "GET", ["tasks"]:
                    return 200, [t for t in self.tasks.values() if self._task_matches(t, filters)]
                case "GET", ["tasks", task_id] if task_id in self.tasks:
                    return 200, self.tasks[task_id]
                case "GET", [("networks" | "secrets" | "configs") as kind]:
                    return 200, [item for item in self.objects[kind].values() if _object_matches(item, filters)]
                case "POST", [("networks" | "secrets" | "configs") as kind, "create"]:
                    return self._create_object(kind, json.loads(body))
                case "GET", [("networks" | "secrets" | "configs") as kind, name]:
                    found = [item for item in self.objects[kind].values() if name in (item["ID"], _name(item))]
                    return (200, found[0]) if found else (404, {"message": f"{kind[:-1]} {name} not found"})
                case "POST", [("secrets" | "configs") as kind, name, "update"]:
                    return self._update_object(kind, name, json.loads(body))
                case "POST", ["services", "create"]:
                    service = self.create_service(json.loads(body))
                    return 201, {"ID": service["ID"], "Warnings": []}
                case "GET", ["distribution", *_]:
                    return 403, {"message": "the fake Engine reaches no registry"}
                case "GET", ["nodes"]:
                    return 200, [_NODE]
                case "GET", ["nodes", node] if node in (NODE_ID, _NODE["Description"]["Hostname"]):
                    return 200, _NODE
                case "GET", ["containers", container, "stats"]:
                    return self._stats(container)
                case _:
                    return 404, {"message": f"page not found: {method} {path}"}

    def add_secret(self, name: str) -> None:
        self._create_object("secrets", {"Name": name})

    def _create_object(self, kind: str, spec: Json) -> tuple[int, Any]:
        if any(_name(item) == spec.get("Name") for item in self.objects[kind].values()):
            return 409, {"message": f"{kind[:-1]} {spec.get('Name')} already exists"}
        item = {"ID": uuid.uuid4().hex[:25], "Version": {"Index": 1}, "CreatedAt": timestamp(), "Spec": spec}
        if kind == "networks":
            item = {
                "Id": item["ID"],
                "ID": item["ID"],
                "Name": spec["Name"],
                "Labels": spec.get("Labels") or {},
                "Scope": "swarm",
                "Driver": spec.get("Driver", "overlay"),
            }
        self.objects[kind][item["ID"]] = item
        return 201, {"ID": item["ID"], "Id": item["ID"]}

    def _update_object(self, kind: str, object_id: str, spec: Json) -> tuple[int, Any]:
        """Configs and secrets are immutable: only their labels may change (swarmkit's rule)."""
        item = self.objects[kind].get(object_id)
        if item is None:
            return 404, {"message": f"{kind[:-1]} {object_id} not found"}
        if spec.get("Data") != item["Spec"].get("Data"):
            return 400, {"message": "rpc error: code = InvalidArgument desc = only updates to Labels are allowed"}
        item["Spec"] = spec
        item["Version"]["Index"] += 1
        return 200, {}

    def _answer_found(self, name: str, answer: Callable[[Json], Any]) -> tuple[int, Any]:
        try:
            return 200, answer(self._find(name))
        except KeyError:
            return 404, {"message": f"service {name} not found"}

    def _update(self, name: str, version: int, spec: Json) -> tuple[int, Any]:
        try:
            service = self._find(name)
        except KeyError:
            return 404, {"message": f"service {name} not found"}
        if self._conflicts.get(service["ID"], 0) > 0:
            self._conflicts[service["ID"]] -= 1
            self._bump(service)
        if version != service["Version"]["Index"]:
            return self.conflict_status, {"message": OUT_OF_SEQUENCE_MESSAGE}
        previous_image = _image(service)
        service["PreviousSpec"] = service["Spec"]
        service["Spec"] = _normalised(spec)
        self._bump(service)
        self._record(service, "update")
        self._run_job(service)
        if _replicas(service) is not None and _image(service) != previous_image:
            service["UpdateStatus"] = {"State": "updating", "StartedAt": timestamp(), "Message": "update in progress"}
            self._updating[service["ID"]] = time.monotonic()
        else:
            self._reconcile(service)
        return 200, {"Warnings": []}

    def _record(self, service: Json, action: str) -> None:
        self.writes.append(Write(time.time(), service["Spec"]["Name"], action, _image(service), _replicas(service)))

    def _run_job(self, service: Json) -> None:
        """A job service runs once more on every create and update: a new iteration."""
        if "ReplicatedJob" not in service["Spec"]["Mode"]:
            return
        iteration = service.get("JobStatus", {}).get("JobIteration", {}).get("Index", 0) + 1
        service["JobStatus"] = {"JobIteration": {"Index": iteration}, "LastExecution": timestamp()}
        image = _image(service)
        failed = image in self.failing_job_images
        task = self._new_task(
            service, slot=1, image=image, state="failed" if failed else "complete", desired="complete"
        )
        task["JobIteration"] = {"Index": iteration}
        task["Status"]["Err"] = "task: non-zero exit (1)" if failed else ""

    def _finish_update(self, service: Json) -> None:
        """The updater's outcome: every task replaced (start-first), or a rollback."""
        image = _image(service)
        old = [t for t in self.tasks.values() if t["ServiceID"] == service["ID"] and t["DesiredState"] == "running"]
        if image in self.unhealthy_images:
            failed = self._new_task(service, slot=1, image=image, state="failed", desired="shutdown")
            failed["Status"]["Err"] = "task: non-zero exit (1): dockerexec: unhealthy container"
            service["Spec"], service["PreviousSpec"] = service["PreviousSpec"], service["Spec"]
            service["UpdateStatus"] = {"State": "rollback_completed", "Message": "rollback completed"}
        else:
            for task in old:
                task["DesiredState"] = "shutdown"
                task["Status"].update(State="shutdown", Message="shutdown", Timestamp=timestamp())
                self.runtime.stop(task["Status"]["ContainerStatus"]["ContainerID"])
            service["UpdateStatus"] = {"State": "completed", "Message": "update completed"}
        self._bump(service)
        self._reconcile(service)

    def _stats(self, container: str) -> tuple[int, Any]:
        if not self.stats_available:
            return 500, {"message": "stats are not available right now"}
        task = next(
            (t for t in self.tasks.values() if t["Status"]["ContainerStatus"]["ContainerID"] == container), None
        )
        pid = self.runtime.pid(container) if task and task["Status"]["State"] == "running" else None
        used = process_tree_cpu_ns(pid) if pid else None
        if used is None:
            return 404, {"message": f"No such container: {container}"}
        cpu = {
            "cpu_usage": {"total_usage": used, "usage_in_kernelmode": 0, "usage_in_usermode": used},
            "system_cpu_usage": host_cpu_ns(),
            "online_cpus": len(os.sched_getaffinity(0)),
        }
        # One-shot: the Engine leaves the previous read empty.
        return 200, {"read": timestamp(), "cpu_stats": cpu, "precpu_stats": {"cpu_usage": {"total_usage": 0}}}

    # ---- the manager's bookkeeping --------------------------------------------------------

    def _find(self, name_or_id: str) -> Json:
        for service in self.services.values():
            if name_or_id in (service["ID"], service["Spec"]["Name"]):
                return service
        raise KeyError(name_or_id)

    def _bump(self, service: Json) -> None:
        service["Version"]["Index"] += 1
        service["UpdatedAt"] = timestamp()

    def _task_matches(self, task: Json, filters: Mapping[str, list[str]]) -> bool:
        wanted = filters.get("service")
        if wanted and not any(task["ServiceID"] == self._find(name)["ID"] for name in wanted):
            return False
        states = filters.get("desired-state")
        return not states or task["DesiredState"] in states

    def _new_task(self, service: Json, *, slot: int, image: str, state: str, desired: str) -> Json:
        task_id = uuid.uuid4().hex[:25]
        task = {
            "ID": task_id,
            "Version": {"Index": 1},
            "ServiceID": service["ID"],
            "Slot": slot,
            "NodeID": NODE_ID,
            "Spec": {"ContainerSpec": {"Image": image}},
            "DesiredState": desired,
            "Status": {
                "Timestamp": timestamp(),
                "State": state,
                "Message": state,
                "ContainerStatus": {"ContainerID": uuid.uuid4().hex, "PID": 0, "ExitCode": 0},
            },
        }
        self.tasks[task_id] = task
        return task

    def _reconcile(self, service: Json) -> None:
        wanted = _replicas(service)
        if wanted is None:
            return
        live = sorted(
            (t for t in self.tasks.values() if t["ServiceID"] == service["ID"] and t["DesiredState"] == "running"),
            key=lambda task: task["Slot"],
        )
        image = service["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"]
        used_slots = {task["Slot"] for task in live}
        slot = 1
        while len(live) < wanted:
            while slot in used_slots:
                slot += 1
            task = self._new_task(service, slot=slot, image=image, state="starting", desired="running")
            self.runtime.start(task["Status"]["ContainerStatus"]["ContainerID"], slot)
            live.append(task)
            used_slots.add(slot)
        for task in live[wanted:]:
            task["DesiredState"] = "shutdown"
            task["Status"].update(State="shutdown", Message="shutdown", Timestamp=timestamp())
            self.runtime.stop(task["Status"]["ContainerStatus"]["ContainerID"])
        self._promote_ready()


_NODE: Json = {
    "ID": NODE_ID,
    "Description": {"Hostname": "manager-1"},
    "Spec": {"Role": "manager", "Availability": "active", "Labels": {}},
    "Status": {"State": "ready", "Addr": "127.0.0.1"},
    "ManagerStatus": {"Leader": True, "Reachability": "reachable"},
}


def _normalised(spec: Json) -> Json:
    """The spec as the Engine stores it: Go decodes JSON keys case-insensitively
    (the SDK sends `{"replicated": {...}}` for the mode)."""
    spec = json.loads(json.dumps(spec))
    mode = spec.get("Mode") or {}
    canonical = {"replicated": "Replicated", "global": "Global", "replicatedjob": "ReplicatedJob"}
    spec["Mode"] = {canonical.get(key.lower(), key): value for key, value in mode.items()}
    return spec


def _image(service: Json) -> str:
    return str(service["Spec"].get("TaskTemplate", {}).get("ContainerSpec", {}).get("Image", ""))


def _replicas(service: Json) -> int | None:
    replicated = service["Spec"].get("Mode", {}).get("Replicated")
    return None if replicated is None else int(replicated.get("Replicas", 1))


def _filters(query: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """The Engine's `filters` parameter: `{"name": ["x"]}` or the older `{"name": {"x": true}}`."""
    raw = json.loads(query.get("filters", ["{}"])[0] or "{}")
    return {key: list(value) if isinstance(value, list) else list(value.keys()) for key, value in raw.items()}


def _name(item: Json) -> str:
    return str(item.get("Name") or item.get("Spec", {}).get("Name", ""))


def _object_matches(item: Json, filters: Mapping[str, list[str]]) -> bool:
    labels = item.get("Labels") or item.get("Spec", {}).get("Labels") or {}
    for wanted in filters.get("label", []):
        key, has_value, value = wanted.partition("=")
        if key not in labels or (has_value and labels[key] != value):
            return False
    names = filters.get("name") or filters.get("names")
    return not names or _name(item) in names


def _service_matches(service: Json, filters: Mapping[str, list[str]]) -> bool:
    labels = service["Spec"].get("Labels") or {}
    for wanted in filters.get("label", []):
        key, has_value, value = wanted.partition("=")
        if key not in labels or (has_value and labels[key] != value):
            return False
    names = filters.get("name")
    if names and not any(service["Spec"]["Name"].startswith(name) for name in names):
        return False
    ids = filters.get("id")
    return not ids or any(service["ID"].startswith(prefix) for prefix in ids)


def _handler_for(engine: FakeEngine) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out as separate writes: without this, delayed ACKs add 40 ms each.
        disable_nagle_algorithm = True

        def _serve(self, method: str) -> None:
            url = urlsplit(self.path)
            path = url.path
            if path.startswith("/v1."):
                path = "/" + path.split("/", 2)[2]
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, answer = engine.handle(method, path, parse_qs(url.query), body)
            data = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain" if isinstance(answer, str) else "application/json")
            self.send_header("Api-Version", API_VERSION)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - BaseHTTPRequestHandler dispatches by the method name
            self._serve("GET")

        def do_HEAD(self) -> None:  # noqa: N802 - as above
            self._serve("HEAD")

        def do_POST(self) -> None:  # noqa: N802 - as above
            self._serve("POST")

    return Handler


@contextmanager
def engine_running(engine: FakeEngine | None = None) -> Iterator[FakeEngine]:
    """Serves the fake on a loopback port (`engine.url`, tcp://...) until the block ends."""
    engine = engine or FakeEngine()
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(0.1):
            engine.tick()

    with serving(_handler_for(engine)) as port:
        engine.url = f"tcp://127.0.0.1:{port}"
        threading.Thread(target=tick, daemon=True).start()
        try:
            yield engine
        finally:
            stop.set()
