"""Every Google API call the controller makes: Cloud Run Admin v2 (REST), Monitoring v3 (gRPC, the
only transport its client has) and Secret Manager (REST). Returns the small types of the pure modules.

Transient errors (429, 503, 504, a dropped connection) are retried with exponential backoff by the
client libraries' own retry, configured here once for every call, long-running operations included.
An `http://` endpoint is a plain-text one on loopback (a fake or an emulator).
"""

# The generated clients leave `retry` and the operation's members untyped; the unknowns stay here.
# pyright: reportUnknownMemberType=false, reportUnknownVariableType=false, reportUnknownArgumentType=false

import math
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, cast

import grpc
import requests
from google.api_core import exceptions, operation, retry
from google.api_core.client_options import ClientOptions
from google.auth.credentials import Credentials
from google.auth.transport.grpc import AuthMetadataPlugin
from google.auth.transport.requests import Request
from google.cloud import monitoring_v3, run_v2, secretmanager_v1
from google.cloud.monitoring_v3.services.metric_service.transports import MetricServiceGrpcTransport
from google.protobuf import duration_pb2, timestamp_pb2

from ci.canary.ladder import Target
from ci.canary.lease import ServiceView
from ci.canary.verdict import RevisionStats

REQUEST_COUNT: Final = "run.googleapis.com/request_count"
REQUEST_LATENCIES: Final = "run.googleapis.com/request_latencies"
MIN_ALIGNMENT_SECONDS: Final = 60  # Monitoring refuses a shorter alignment period
TRANSIENT: Final = (
    exceptions.TooManyRequests,  # 429, and gRPC RESOURCE_EXHAUSTED
    exceptions.ServiceUnavailable,  # 503, gRPC UNAVAILABLE
    exceptions.GatewayTimeout,  # 504, gRPC DEADLINE_EXCEEDED
    requests.ConnectionError,
)
LATEST: Final = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST
REVISION: Final = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION

ERROR_OPERATION_TIMEOUT: Final = "{what} did not finish within {seconds:.0f} s (operation {name})"
ERROR_OPERATION_FAILED: Final = "{what} failed: {message}"
ERROR_NO_CONTAINER: Final = "{owner} has no container to put the image in"
ERROR_JOB_FAILED: Final = "execution {execution} of job {job} failed: {succeeded} of {tasks} tasks succeeded"
ERROR_NO_TAG_URL: Final = "the service has no URL for tag {tag!r} (traffic statuses: {statuses})"


class Conflict(Exception):
    """The service changed since it was read (etag mismatch): read it again and decide again."""


class OperationFailed(Exception):
    """A long-running operation finished with an error (a revision that cannot start, a failed job)."""


class JobFailed(Exception):
    """The migrations job ran and failed, or could not run."""


@dataclass(frozen=True)
class Location:
    project: str
    region: str
    service: str
    job: str

    @property
    def parent(self) -> str:
        return f"projects/{self.project}/locations/{self.region}"


@dataclass(frozen=True)
class Endpoints:
    """API endpoints other than Google's (a loopback fake in the tests); None is Google's."""

    run: str | None = None
    monitoring: str | None = None
    secret_manager: str | None = None


@dataclass(frozen=True)
class RetryPolicy:
    initial_seconds: float = 1.0
    maximum_seconds: float = 30.0
    multiplier: float = 2.0
    timeout_seconds: float = 300.0


@dataclass(frozen=True)
class Snapshot:
    """The service as read: the pure view, its etag, the URL of each tag, and the raw message."""

    view: ServiceView
    etag: str
    tag_urls: Mapping[str, str]
    raw: run_v2.Service = field(repr=False)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _plain(endpoint: str) -> str | None:
    """`127.0.0.1:8080` for `http://127.0.0.1:8080`, None for a TLS endpoint."""
    return endpoint.removeprefix("http://") if endpoint.startswith("http://") else None


def _timestamp(seconds: float) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(datetime.fromtimestamp(seconds, tz=UTC))
    return stamp


def ingress_container(containers: Any) -> Any:
    """The container that serves requests: the one declaring a port, else the only one."""
    listed = list(containers)
    with_port = [container for container in listed if container.ports]
    if with_port:
        return with_port[0]
    return listed[0] if len(listed) == 1 else None


class Cloud:
    """The service, its migrations job, its metrics and the smoke token, in one place."""

    def __init__(
        self,
        location: Location,
        *,
        credentials: Credentials,
        endpoints: Endpoints = Endpoints(),
        retry_policy: RetryPolicy = RetryPolicy(),
        operation_timeout_seconds: float = 900.0,
        poll_seconds: float = 2.0,
    ) -> None:
        self.location = location
        self._operation_timeout = operation_timeout_seconds
        self._poll_seconds = poll_seconds
        self._retry = retry.Retry(
            predicate=retry.if_exception_type(*TRANSIENT),
            initial=retry_policy.initial_seconds,
            maximum=retry_policy.maximum_seconds,
            multiplier=retry_policy.multiplier,
            timeout=retry_policy.timeout_seconds,
            on_error=lambda error: _log(f"transient error, retrying with backoff: {error}"),
        )
        run_options = ClientOptions(api_endpoint=endpoints.run) if endpoints.run else None
        self._services = run_v2.ServicesClient(credentials=credentials, transport="rest", client_options=run_options)
        self._revisions = run_v2.RevisionsClient(credentials=credentials, transport="rest", client_options=run_options)
        self._jobs = run_v2.JobsClient(credentials=credentials, transport="rest", client_options=run_options)
        self._metrics = _metric_client(credentials, endpoints.monitoring)
        secret_options = ClientOptions(api_endpoint=endpoints.secret_manager) if endpoints.secret_manager else None
        self._secrets = secretmanager_v1.SecretManagerServiceClient(
            credentials=credentials, transport="rest", client_options=secret_options
        )

    @property
    def service_name(self) -> str:
        return f"{self.location.parent}/services/{self.location.service}"

    @property
    def job_name(self) -> str:
        return f"{self.location.parent}/jobs/{self.location.job}"

    # --- the service

    def snapshot(self) -> Snapshot:
        raw = self._services.get_service(name=self.service_name, retry=self._retry)
        traffic = tuple(
            Target(
                revision=target.revision if target.type_ == REVISION else raw.latest_ready_revision.rsplit("/")[-1],
                percent=target.percent,
                tag=target.tag,
            )
            for target in raw.traffic
        )
        images = {revision: self._revision_image(revision) for revision in {t.revision for t in traffic}}
        view = ServiceView(traffic=traffic, annotations=dict(raw.annotations), images=images)
        tag_urls = {status.tag: status.uri for status in raw.traffic_statuses if status.tag}
        return Snapshot(view=view, etag=raw.etag, tag_urls=tag_urls, raw=raw)

    def _revision_image(self, revision: str) -> str:
        if not revision:
            return ""
        name = f"{self.service_name}/revisions/{revision}"
        container = ingress_container(self._revisions.get_revision(name=name, retry=self._retry).containers)
        return container.image if container is not None else ""

    def update(
        self,
        snapshot: Snapshot,
        *,
        traffic: tuple[Target, ...],
        annotations: Mapping[str, str],
        new_revision: tuple[str, str] | None = None,
    ) -> Snapshot:
        """Replace traffic and annotations (and, given `(name, image)`, create that revision) in one
        update guarded by the snapshot's etag; wait for it. Raises Conflict if the service moved."""
        service = run_v2.Service(run_v2.Service.pb(snapshot.raw))
        service.etag = snapshot.etag
        service.traffic = [
            run_v2.TrafficTarget(type_=REVISION, revision=t.revision, percent=t.percent, tag=t.tag) for t in traffic
        ]
        service.annotations.clear()
        service.annotations.update(annotations)
        if new_revision is not None:
            name, image = new_revision
            container = ingress_container(service.template.containers)
            if container is None:
                raise ValueError(ERROR_NO_CONTAINER.format(owner=self.service_name))
            container.image = image
            service.template.revision = name
        try:
            started = self._services.update_service(service=service, retry=self._retry)
            self._wait(started, what=f"updating {self.location.service}")
        except exceptions.Conflict as error:
            # REST answers both ALREADY_EXISTS and ABORTED with 409; only the etag's is a conflict.
            if _status(error) != "ABORTED":
                raise
            raise Conflict(str(error)) from error
        return self.snapshot()

    def tag_url(self, snapshot: Snapshot, tag: str) -> str:
        url = snapshot.tag_urls.get(tag)
        if not url:
            raise LookupError(ERROR_NO_TAG_URL.format(tag=tag, statuses=dict(snapshot.tag_urls)))
        return url

    # --- the migrations job

    def run_migrations(self, image: str) -> str:
        """Point the job at `image`, run it, wait; returns the execution's name. Raises JobFailed."""
        job = self._jobs.get_job(name=self.job_name, retry=self._retry)
        container = ingress_container(job.template.template.containers)
        if container is None:
            raise JobFailed(ERROR_NO_CONTAINER.format(owner=self.job_name))
        if container.image != image:
            container.image = image
            self._wait(self._jobs.update_job(job=job, retry=self._retry), what=f"updating job {self.location.job}")
        started = self._jobs.run_job(name=self.job_name, retry=self._retry)
        try:
            execution = cast(run_v2.Execution, self._wait(started, what=f"job {self.location.job}"))
        except OperationFailed as error:
            raise JobFailed(str(error)) from error
        if execution.succeeded_count < execution.task_count or execution.failed_count:
            raise JobFailed(
                ERROR_JOB_FAILED.format(
                    execution=execution.name,
                    job=self.location.job,
                    succeeded=execution.succeeded_count,
                    tasks=execution.task_count,
                )
            )
        return execution.name

    def _wait(self, started: operation.Operation, *, what: str) -> Any:
        deadline = time.monotonic() + self._operation_timeout
        while not started.done(retry=self._retry):
            if time.monotonic() > deadline:
                detail = {"what": what, "seconds": self._operation_timeout, "name": started.operation.name}
                raise TimeoutError(ERROR_OPERATION_TIMEOUT.format(**detail))
            time.sleep(self._poll_seconds)
        try:
            return started.result()
        except exceptions.GoogleAPICallError as error:
            raise OperationFailed(ERROR_OPERATION_FAILED.format(what=what, message=error.message)) from error

    # --- metrics and the smoke token

    def revision_stats(self, revision: str, *, start: float, end: float) -> RevisionStats | None:
        """Requests by response class and p95 latency of one revision in [start, end]; None: no series."""
        period = max(MIN_ALIGNMENT_SECONDS, math.ceil(end - start))
        counts: dict[str, int] = {}
        for series in self._series(REQUEST_COUNT, revision, start, end, period, count=True):
            code_class = series.metric.labels.get("response_code_class", "")
            counts[code_class] = counts.get(code_class, 0) + sum(point.value.int64_value for point in series.points)
        if not counts:
            return None
        latencies = [
            point.value.double_value
            for series in self._series(REQUEST_LATENCIES, revision, start, end, period, count=False)
            for point in series.points
        ]
        return RevisionStats(
            requests=sum(counts.values()),
            errors=counts.get("5xx", 0),
            p95_ms=max(latencies) if latencies else None,
        )

    def _series(
        self, metric: str, revision: str, start: float, end: float, period: int, *, count: bool
    ) -> list[monitoring_v3.TimeSeries]:
        resource = (
            f'resource.type = "cloud_run_revision" AND resource.labels.service_name = "{self.location.service}" '
            f'AND resource.labels.revision_name = "{revision}" AND resource.labels.location = "{self.location.region}"'
        )
        aggregation = monitoring_v3.Aggregation(
            alignment_period=duration_pb2.Duration(seconds=period),
            per_series_aligner=monitoring_v3.Aggregation.Aligner.ALIGN_DELTA,
            cross_series_reducer=(
                monitoring_v3.Aggregation.Reducer.REDUCE_SUM
                if count
                else monitoring_v3.Aggregation.Reducer.REDUCE_PERCENTILE_95
            ),
            group_by_fields=["metric.labels.response_code_class"] if count else [],
        )
        request = monitoring_v3.ListTimeSeriesRequest(
            name=f"projects/{self.location.project}",
            filter=f'metric.type = "{metric}" AND {resource}',
            interval=monitoring_v3.TimeInterval(start_time=_timestamp(start), end_time=_timestamp(end)),
            aggregation=aggregation,
            view=monitoring_v3.ListTimeSeriesRequest.TimeSeriesView.FULL,
        )
        return list(self._metrics.list_time_series(request=request, retry=self._retry))

    def secret(self, name: str) -> str:
        """A Secret Manager secret's value: `name`, `projects/p/secrets/name` or a full version name."""
        if "/" not in name:
            name = f"projects/{self.location.project}/secrets/{name}"
        if "/versions/" not in name:
            name = f"{name}/versions/latest"
        response = self._secrets.access_secret_version(name=name, retry=self._retry)
        return response.payload.data.decode()


def _status(error: exceptions.GoogleAPICallError) -> str:
    """The canonical status name of a REST error answer (`ABORTED`, `ALREADY_EXISTS`, ...)."""
    if error.response is None:
        return ""
    try:
        return str(error.response.json()["error"]["status"])
    except (AttributeError, KeyError, TypeError, ValueError):
        return ""


def _metric_client(credentials: Credentials, endpoint: str | None) -> monitoring_v3.MetricServiceClient:
    if endpoint is None:
        return monitoring_v3.MetricServiceClient(credentials=credentials)
    plain = _plain(endpoint)
    if plain is None:
        return monitoring_v3.MetricServiceClient(credentials=credentials, client_options={"api_endpoint": endpoint})
    # Loopback: local channel credentials still carry the token, which a fake can check.
    token = grpc.metadata_call_credentials(AuthMetadataPlugin(credentials, Request()))
    channel = grpc.secure_channel(plain, grpc.composite_channel_credentials(grpc.local_channel_credentials(), token))
    return monitoring_v3.MetricServiceClient(transport=MetricServiceGrpcTransport(channel=channel))
