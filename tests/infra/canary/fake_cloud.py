"""A loopback fake of the Cloud Run Admin API v2 (services, revisions, jobs, executions, operations)
and of Secret Manager's `access`, spoken over REST to the real client libraries.

What it reproduces of Cloud Run (the semantics the controller relies on):
- a service update replaces the spec; a changed template makes a new revision, named by
  `template.revision` or generated (`<service>-<generation:05d>-<3 letters>`); a given name must
  start with `<service>-` (400) and must not exist already (409 ALREADY_EXISTS, "with different
  configuration");
- traffic targets are LATEST (follows the latest ready revision) or pinned to a named revision,
  sum to 100 (400 otherwise), name existing revisions, carry unique tags; each tag gets a URL that
  reaches its revision whatever its percent;
- every update is a long-running operation, done when the new revision is ready (its process
  answers) and traffic has moved; a revision that fails to start fails the operation and moves no
  traffic;
- an etag on the update must match the current one (409 ABORTED otherwise);
- running a job is an operation whose result is the finished execution.
Requests for the service URL are split over revisions by percent, as the spec says, by real
processes of the app (tests.support.live_app), one per revision.
"""

import base64
import json
import random
import re
import string
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from tests.infra.canary.fake_monitoring import FakeMonitoring
from tests.infra.canary.router import Listener, Served, WeightedChoice
from tests.support.live_app import live_app

LATEST = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
REVISION = "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION"
TRAFFIC_TYPES = {0: "", 1: LATEST, 2: REVISION}
REVISION_APP = "tests.infra.canary.revision_app"
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    503: "UNAVAILABLE",
}


@dataclass(frozen=True)
class Image:
    """What an image digest in the fake registry runs: the app at a version, with a fault or not."""

    version: str
    fault: str = ""


class ApiError(Exception):
    def __init__(self, code: int, message: str, status: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status or STATUS_NAMES.get(code, "UNKNOWN")


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def compact(value: Any) -> Any:
    """A message without its default-valued fields, as the client sends every field."""
    if isinstance(value, dict):
        kept = {k: compact(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in ("", 0, "0", False, [], {}, None)}
    if isinstance(value, list):
        return [compact(item) for item in value]
    return value


def ingress(containers: list[dict[str, Any]]) -> dict[str, Any]:
    with_port = [c for c in containers if c.get("ports")]
    return with_port[0] if with_port else containers[0]


@dataclass
class Revision:
    name: str
    service: str
    image: str
    generation: int
    ready: bool | None = None  # None: starting
    message: str = ""
    url: str | None = None


@dataclass
class Service:
    name: str  # full resource name
    short: str
    spec: dict[str, Any]
    generation: int = 1
    etag: str = ""
    routing: dict[str, int] = field(default_factory=dict[str, int])
    latest_ready: str = ""
    latest_created: str = ""
    failure: str = ""
    reconciling: bool = False
    listener: Listener | None = None
    tags: dict[str, Listener] = field(default_factory=dict[str, Listener])
    choice: WeightedChoice = field(default_factory=WeightedChoice)


@dataclass
class Operation:
    name: str
    metadata: dict[str, Any]
    done: bool = False
    response: dict[str, Any] | None = None
    error: dict[str, Any] | None = None


class FakeCloud:
    """Cloud Run Admin v2 + Secret Manager on one loopback port, Monitoring on another (gRPC)."""

    def __init__(
        self, *, project: str, region: str, token: str, app_env: Mapping[str, str], images: Mapping[str, Image]
    ) -> None:
        self.project, self.region, self.token = project, region, token
        self.parent = f"projects/{project}/locations/{region}"
        self.app_env = dict(app_env)
        self.images = dict(images)
        self.lock = threading.RLock()
        self.services: dict[str, Service] = {}
        self.revisions: dict[str, Revision] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.executions: dict[str, dict[str, Any]] = {}
        self.operations: dict[str, Operation] = {}
        self.secrets: dict[str, str] = {}
        self.served: list[Served] = []
        # (time, service, routing) each time traffic moved: what the tests time.
        self.routing_log: list[tuple[float, str, dict[str, int]]] = []
        self.pending_errors: list[tuple[str, int]] = []  # (path regex, HTTP status) answered once each
        self.injected: list[tuple[str, str, int]] = []
        self._processes = ExitStack()
        self._client = httpx.Client(follow_redirects=False)
        self.monitoring = FakeMonitoring(project=project, region=region, token=token, served=lambda: list(self.served))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.monitoring.stop()
        for service in self.services.values():
            for listener in [service.listener, *service.tags.values()]:
                if listener is not None:
                    listener.close()
        self._processes.close()
        self._client.close()

    # --- what a test sets up (Terraform's part) and looks at

    def create_service(self, short: str, image: str) -> Service:
        """A service with one ready revision of `image` at LATEST 100%, as `terraform apply` leaves it."""
        name = f"{self.parent}/services/{short}"
        spec = {
            "template": compact({"containers": [{"name": "app", "image": image, "ports": [{"containerPort": 8000}]}]}),
            "traffic": [{"type": LATEST, "percent": 100}],
            "annotations": {},
        }
        service = Service(name=name, short=short, spec=spec, etag=uuid.uuid4().hex)
        with self.lock:
            self.services[short] = service
        service.listener = Listener(
            service=short, choose=service.choice.next, upstream=self._upstream, record=self._record, client=self._client
        )
        self._reconcile(service, generation=1, new_revision=f"{short}-00001-{_letters()}", operation=None)
        if service.failure:
            raise RuntimeError(service.failure)
        return service

    def create_job(self, short: str, image: str) -> None:
        self.jobs[short] = {
            "name": f"{self.parent}/jobs/{short}",
            "template": {"template": {"containers": [{"name": "migrate", "image": image}]}},
            "etag": uuid.uuid4().hex,
        }

    def inject(self, path_pattern: str, *statuses: int) -> None:
        """The next requests whose `METHOD path` matches answer these statuses, one each."""
        with self.lock:
            self.pending_errors += [(path_pattern, status) for status in statuses]

    def routing(self, short: str) -> dict[str, int]:
        with self.lock:
            return dict(self.services[short].routing)

    def tags(self, short: str) -> dict[str, str]:
        with self.lock:
            return {t["tag"]: t.get("revision", "") for t in self.services[short].spec["traffic"] if t.get("tag")}

    def annotations(self, short: str) -> dict[str, str]:
        with self.lock:
            return dict(self.services[short].spec.get("annotations", {}))

    # --- the data plane

    def _upstream(self, revision: str) -> str | None:
        found = self.revisions.get(revision)
        return found.url if found is not None and found.ready else None

    def _record(self, served: Served) -> None:
        with self.lock:
            self.served.append(served)

    # --- reconciliation: revisions start, traffic moves, operations finish

    def _start_revision(self, revision: Revision) -> None:
        image = self.images.get(revision.image)
        if image is None:
            revision.ready, revision.message = False, f"Image '{revision.image}' not found."
            return
        env = {**self.app_env, "APP_VERSION": image.version, "FAKE_REVISION_FAULT": image.fault}
        try:
            app = self._processes.enter_context(live_app(env, asgi_app=f"{REVISION_APP}:application"))
        except RuntimeError as error:
            revision.ready = False
            revision.message = f"The user-provided container failed to start: {str(error).splitlines()[0]}"
            return
        revision.url, revision.ready = app.base_url, True

    def _reconcile(self, service: Service, *, generation: int, new_revision: str | None, operation: Operation | None):
        revision = None
        if new_revision is not None:
            container = ingress(service.spec["template"]["containers"])
            revision = Revision(
                name=new_revision, service=service.short, image=container["image"], generation=generation
            )
            with self.lock:
                self.revisions[new_revision] = revision
                service.latest_created = new_revision
            self._start_revision(revision)
        with self.lock:
            if revision is not None and not revision.ready:
                service.failure = (
                    f"Revision '{revision.name}' is not ready and cannot serve traffic. {revision.message}"
                )
                error = {"code": 9, "message": service.failure}
                self._finish(service, operation, error=error)
                return
            if revision is not None:
                service.latest_ready = revision.name
            service.failure = ""
            self._route(service)
            self._finish(service, operation, error=None)

    def _route(self, service: Service) -> None:
        routing: dict[str, int] = {}
        for target in service.spec["traffic"]:
            name = service.latest_ready if target["type"] == LATEST else target["revision"]
            if target.get("percent"):
                routing[name] = routing.get(name, 0) + int(target["percent"])
        for target in service.spec["traffic"]:
            tag = target.get("tag")
            if tag and tag not in service.tags:

                def choose(tag: str = tag) -> str | None:
                    return self._tagged(service, tag)

                service.tags[tag] = Listener(
                    service=service.short,
                    choose=choose,
                    upstream=self._upstream,
                    record=self._record,
                    client=self._client,
                )
        if routing != service.routing:
            service.routing = routing
            service.choice.set(routing)
            self.routing_log.append((time.time(), service.short, dict(routing)))

    def _tagged(self, service: Service, tag: str) -> str | None:
        with self.lock:
            for target in service.spec["traffic"]:
                if target.get("tag") == tag:
                    return service.latest_ready if target["type"] == LATEST else target["revision"]
            return None

    def _finish(self, service: Service, operation: Operation | None, *, error: dict[str, Any] | None) -> None:
        service.reconciling = False
        if operation is not None:
            operation.done = True
            if error is not None:
                operation.error = error
            else:
                operation.response = _any(self._service_resource(service), "Service")
            operation.metadata = _any(self._service_resource(service), "Service")

    # --- resources on the wire

    def _service_resource(self, service: Service) -> dict[str, Any]:
        statuses = []
        for target in service.spec["traffic"]:
            status = {"type": target["type"], "percent": target.get("percent", 0)}
            if target["type"] == REVISION:
                status["revision"] = target["revision"]
            if target.get("tag"):
                status["tag"] = target["tag"]
                listener = service.tags.get(target["tag"])
                if listener is not None:
                    status["uri"] = listener.url
            statuses.append(status)
        ready = {"type": "Ready", "state": "CONDITION_FAILED" if service.failure else "CONDITION_SUCCEEDED"}
        if service.failure:
            ready["message"] = service.failure
        return {
            "name": service.name,
            "generation": str(service.generation),
            "observedGeneration": str(service.generation),
            "annotations": service.spec.get("annotations", {}),
            "template": service.spec["template"],
            "traffic": service.spec["traffic"],
            "trafficStatuses": statuses,
            "uri": service.listener.url if service.listener else "",
            "latestReadyRevision": f"{service.name}/revisions/{service.latest_ready}" if service.latest_ready else "",
            "latestCreatedRevision": f"{service.name}/revisions/{service.latest_created}",
            "terminalCondition": ready,
            "reconciling": service.reconciling,
            "etag": service.etag,
            "updateTime": now_rfc3339(),
        }

    def _revision_resource(self, revision: Revision) -> dict[str, Any]:
        service = self.services[revision.service]
        state = {None: "CONDITION_RECONCILING", True: "CONDITION_SUCCEEDED", False: "CONDITION_FAILED"}[revision.ready]
        return {
            "name": f"{service.name}/revisions/{revision.name}",
            "service": service.name,
            "generation": str(revision.generation),
            "containers": [{"name": "app", "image": revision.image, "ports": [{"containerPort": 8000}]}],
            "conditions": [{"type": "Ready", "state": state, "message": revision.message}],
        }

    def _operation_resource(self, operation: Operation) -> dict[str, Any]:
        resource: dict[str, Any] = {"name": operation.name, "metadata": operation.metadata, "done": operation.done}
        if operation.error is not None:
            resource["error"] = operation.error
        elif operation.response is not None:
            resource["response"] = operation.response
        return resource

    def _new_operation(self, metadata: dict[str, Any]) -> Operation:
        operation = Operation(name=f"{self.parent}/operations/{uuid.uuid4()}", metadata=metadata)
        self.operations[operation.name] = operation
        return operation

    # --- the API

    def update_service(self, short: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            service = self._service(short)
            if body.get("etag") and body["etag"] != service.etag:
                raise ApiError(409, "The etag does not match the service's current etag.", "ABORTED")
            template = compact(body.get("template", {}))
            traffic = [
                {
                    "type": TRAFFIC_TYPES.get(t.get("type"), t.get("type"))
                    if isinstance(t.get("type"), int)
                    else t.get("type"),
                    **{k: t[k] for k in ("revision", "percent", "tag") if t.get(k) not in (None, "", 0)},
                }
                for t in body.get("traffic", [])
            ]
            new_revision = None
            if template != service.spec["template"]:
                new_revision = template.get("revision") or f"{short}-{service.generation + 1:05d}-{_letters()}"
                if not new_revision.startswith(f"{short}-"):
                    raise ApiError(400, f"template.revision: Revision name must start with '{short}-'.")
                if new_revision in self.revisions:
                    raise ApiError(409, f"Revision named '{new_revision}' with different configuration already exists.")
            self._check_traffic(service, traffic, new_revision)
            service.spec = {"template": template, "traffic": traffic, "annotations": dict(body.get("annotations", {}))}
            service.generation += 1
            service.etag = uuid.uuid4().hex
            service.reconciling = True
            operation = self._new_operation(_any(self._service_resource(service), "Service"))
            generation = service.generation
        threading.Thread(
            target=self._reconcile,
            kwargs={"service": service, "generation": generation, "new_revision": new_revision, "operation": operation},
            daemon=True,
        ).start()
        return self._operation_resource(operation)

    def _check_traffic(self, service: Service, traffic: list[dict[str, Any]], new_revision: str | None) -> None:
        if sum(int(t.get("percent", 0)) for t in traffic) != 100:
            raise ApiError(400, "spec.traffic: Traffic targets' percent must sum to 100.")
        tags = [t["tag"] for t in traffic if t.get("tag")]
        if len(tags) != len(set(tags)):
            raise ApiError(400, "spec.traffic: Tags must be unique.")
        for target in traffic:
            if target["type"] not in (LATEST, REVISION):
                raise ApiError(400, f"spec.traffic: unknown type {target['type']!r}")
            if target["type"] == LATEST and target.get("revision"):
                raise ApiError(400, "spec.traffic: a LATEST target may not name a revision.")
            revision = target.get("revision", "")
            if (
                target["type"] == REVISION
                and revision != new_revision
                and (revision not in self.revisions or self.revisions[revision].service != service.short)
            ):
                raise ApiError(400, f"Revision '{revision}' does not exist or is deleted.")

    def run_job(self, short: str) -> dict[str, Any]:
        with self.lock:
            job = self._job(short)
            execution_name = f"{job['name']}/executions/{short}-{_letters(5)}"
            execution = {"name": execution_name, "job": short, "taskCount": 1, "createTime": now_rfc3339()}
            self.executions[execution_name] = execution
            operation = self._new_operation(_any(execution, "Execution"))
        image = self.images.get(ingress(job["template"]["template"]["containers"])["image"])
        threading.Thread(target=self._execute, args=(execution, operation, image), daemon=True).start()
        return self._operation_resource(operation)

    def _execute(self, execution: dict[str, Any], operation: Operation, image: Image | None) -> None:
        returncode = 1
        if image is not None:
            env = {**self.app_env, "FAKE_REVISION_FAULT": image.fault}
            command = [sys.executable, "-m", REVISION_APP, "migrate"]
            returncode = subprocess.run(command, env=env, capture_output=True, check=False).returncode
        with self.lock:
            succeeded = returncode == 0
            execution.update(
                succeededCount=1 if succeeded else 0,
                failedCount=0 if succeeded else 1,
                completionTime=now_rfc3339(),
            )
            operation.metadata = _any(execution, "Execution")
            operation.done = True
            if succeeded:
                operation.response = _any(execution, "Execution")
            else:
                operation.error = {"code": 9, "message": f"Execution {execution['name']} failed: 1 task failed."}

    def update_job(self, short: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            job = self._job(short)
            job["template"] = compact(body.get("template", {}))
            job["etag"] = uuid.uuid4().hex
            operation = self._new_operation(_any(job, "Job"))
            operation.done = True
            operation.response = operation.metadata
            return self._operation_resource(operation)

    def _service(self, short: str) -> Service:
        if short not in self.services:
            raise ApiError(404, f"Service '{short}' was not found.")
        return self.services[short]

    def _job(self, short: str) -> dict[str, Any]:
        if short not in self.jobs:
            raise ApiError(404, f"Job '{short}' was not found.")
        return self.jobs[short]

    def handle(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """Dispatch one REST call; raises ApiError for an error answer."""
        prefix = f"/v2/{self.parent}"
        with self.lock:
            for pattern, status in self.pending_errors:
                if re.fullmatch(pattern, f"{method} {path}"):
                    self.pending_errors.remove((pattern, status))
                    self.injected.append((method, path, status))
                    raise ApiError(status, "injected transient error")
        routes: list[tuple[str, str, Any]] = [
            ("GET", rf"{prefix}/services/([\w-]+)", lambda s: self._service_resource(self._service(s))),
            ("PATCH", rf"{prefix}/services/([\w-]+)", lambda s: self.update_service(s, body)),
            (
                "GET",
                rf"{prefix}/services/([\w-]+)/revisions/([\w-]+)",
                lambda s, r: self._revision_resource(self._existing_revision(s, r)),
            ),
            ("GET", rf"{prefix}/operations/([\w-]+)", lambda o: self._operation_resource(self._operation(o))),
            ("GET", rf"{prefix}/jobs/([\w-]+)", lambda j: self._job(j)),
            ("PATCH", rf"{prefix}/jobs/([\w-]+)", lambda j: self.update_job(j, body)),
            ("POST", rf"{prefix}/jobs/([\w-]+):run", lambda j: self.run_job(j)),
            ("GET", rf"/v1/projects/{self.project}/secrets/([\w-]+)/versions/latest:access", self._access),
        ]
        for verb, pattern, answer in routes:
            match = re.fullmatch(pattern, path)
            if verb == method and match:
                with self.lock:
                    return answer(*match.groups())
        raise ApiError(404, f"no such method: {method} {path}")

    def _existing_revision(self, service: str, revision: str) -> Revision:
        found = self.revisions.get(revision)
        if found is None or found.service != service:
            raise ApiError(404, f"Revision '{revision}' was not found.")
        return found

    def _operation(self, name: str) -> Operation:
        full = f"{self.parent}/operations/{name}"
        if full not in self.operations:
            raise ApiError(404, f"Operation '{name}' was not found.")
        return self.operations[full]

    def _access(self, secret: str) -> dict[str, Any]:
        if secret not in self.secrets:
            raise ApiError(404, f"Secret [{secret}] not found or has no versions.")
        data = base64.b64encode(self.secrets[secret].encode()).decode()
        return {"name": f"projects/{self.project}/secrets/{secret}/versions/1", "payload": {"data": data}}

    def authenticate(self, authorization: str | None) -> None:
        if authorization != f"Bearer {self.token}":
            raise ApiError(401, "Request is missing a valid access token.")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                path = self.path.split("?", 1)[0]
                try:
                    fake.authenticate(self.headers.get("Authorization"))
                    status, payload = 200, fake.handle(self.command, path, json.loads(raw) if raw else {})
                except ApiError as error:
                    status = error.code
                    payload = {"error": {"code": error.code, "message": error.message, "status": error.status}}
                content = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_PATCH = do_DELETE = _answer  # noqa: N815

        return Handler


def _any(resource: dict[str, Any], kind: str) -> dict[str, Any]:
    """A Cloud Run resource as a `google.protobuf.Any` in an operation."""
    return {"@type": f"type.googleapis.com/google.cloud.run.v2.{kind}", **resource}


def _letters(count: int = 3) -> str:
    return "".join(random.choices(string.ascii_lowercase, k=count))  # noqa: S311
