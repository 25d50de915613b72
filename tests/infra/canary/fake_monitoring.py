"""A fake Cloud Monitoring v3 `ListTimeSeries` over gRPC (the only transport the Python client has),
answering Cloud Run's request metrics from the responses the fake's front end actually passed on."""

import math
import re
import threading
from collections.abc import Callable, Iterable
from concurrent import futures
from datetime import datetime, timedelta
from typing import cast

import grpc
from google.api import metric_pb2, monitored_resource_pb2
from google.cloud import monitoring_v3
from google.protobuf import timestamp_pb2

from tests.infra.canary.router import Served

REQUEST_COUNT = "run.googleapis.com/request_count"
REQUEST_LATENCIES = "run.googleapis.com/request_latencies"
MIN_ALIGNMENT_SECONDS = 60
# `key = "value"` terms joined by AND: the subset of the filter language the controller writes.
FILTER_TERM = re.compile(r'\s*([\w.]+)\s*=\s*"([^"]*)"\s*(?:AND|$)')
Aligner = monitoring_v3.Aggregation.Aligner
Reducer = monitoring_v3.Aggregation.Reducer


def parse_filter(text: str) -> dict[str, str]:
    terms: dict[str, str] = {}
    position = 0
    while position < len(text):
        match = FILTER_TERM.match(text, position)
        if match is None:
            raise ValueError(f"unsupported filter at {text[position:]!r}")
        terms[match[1]] = match[2]
        position = match.end()
    return terms


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of the exact latencies (the real service interpolates in buckets)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def code_class(status: int) -> str:
    return f"{status // 100}xx"


class FakeMonitoring:
    """The gRPC server; `served` returns what the front end recorded."""

    def __init__(self, *, project: str, region: str, token: str, served: Callable[[], Iterable[Served]]) -> None:
        self.project, self.region, self.token = project, region, token
        self._served = served
        self.pending_errors: list[grpc.StatusCode] = []
        self.injected = 0
        self.calls = 0
        self._lock = threading.Lock()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        handler = grpc.unary_unary_rpc_method_handler(
            self._list_time_series,
            request_deserializer=monitoring_v3.ListTimeSeriesRequest.deserialize,
            response_serializer=monitoring_v3.ListTimeSeriesResponse.serialize,
        )
        self._server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler("google.monitoring.v3.MetricService", {"ListTimeSeries": handler}),)
        )
        port = self._server.add_secure_port("127.0.0.1:0", grpc.local_server_credentials())
        self.endpoint = f"http://127.0.0.1:{port}"
        self._server.start()

    def stop(self) -> None:
        self._server.stop(grace=None)

    def _list_time_series(
        self, request: monitoring_v3.ListTimeSeriesRequest, context: grpc.ServicerContext
    ) -> monitoring_v3.ListTimeSeriesResponse:
        metadata = dict(context.invocation_metadata())
        if metadata.get("authorization") != f"Bearer {self.token}":
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or wrong access token")
        with self._lock:
            self.calls += 1
            if self.pending_errors:
                self.injected += 1
                context.abort(self.pending_errors.pop(0), "injected transient error")
        try:
            return self._answer(request)
        except ValueError as error:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
            raise

    def _answer(self, request: monitoring_v3.ListTimeSeriesRequest) -> monitoring_v3.ListTimeSeriesResponse:
        if request.name != f"projects/{self.project}":
            raise ValueError(f"unknown project {request.name}")
        terms = parse_filter(request.filter)
        metric = terms.pop("metric.type", "")
        if metric not in (REQUEST_COUNT, REQUEST_LATENCIES) or terms.pop("resource.type", "") != "cloud_run_revision":
            raise ValueError(f"the fake serves only Cloud Run's request metrics, not {metric!r}")
        aggregation = request.aggregation
        # proto-plus hands well-known types over as datetime objects; the stubs say protobuf.
        period = cast(timedelta, aggregation.alignment_period).total_seconds()
        if aggregation.per_series_aligner != Aligner.ALIGN_DELTA or period < MIN_ALIGNMENT_SECONDS:
            raise ValueError("the alignment period must be at least 60 seconds, with ALIGN_DELTA")
        start = cast(datetime, request.interval.start_time).timestamp()
        end = cast(datetime, request.interval.end_time).timestamp()
        labels = {"project_id": self.project, "location": self.region}
        chosen = [
            served
            for served in self._served()
            if start < served.at <= end
            and all(
                {**labels, "service_name": served.service, "revision_name": served.revision}.get(
                    key.removeprefix("resource.labels."), value
                )
                == value
                for key, value in terms.items()
            )
        ]
        buckets: dict[int, list[Served]] = {}
        for served in chosen:
            buckets.setdefault(int((end - served.at) // period), []).append(served)
        series: list[monitoring_v3.TimeSeries] = []
        if metric == REQUEST_COUNT:
            if aggregation.cross_series_reducer != Reducer.REDUCE_SUM:
                raise ValueError("request_count: the fake reduces with REDUCE_SUM only")
            grouped = list(aggregation.group_by_fields) == ["metric.labels.response_code_class"]
            classes = sorted({code_class(s.status) for s in chosen}) if grouped else [""]
            for name in classes:
                points = [
                    self._point(
                        end,
                        index,
                        period,
                        int_value=sum(1 for s in members if not name or code_class(s.status) == name),
                    )
                    for index, members in sorted(buckets.items())
                ]
                labels_out = {"response_code_class": name} if name else {}
                series.append(self._series(metric, labels_out, points, int_kind=True))
        else:
            if aggregation.cross_series_reducer != Reducer.REDUCE_PERCENTILE_95:
                raise ValueError("request_latencies: the fake reduces with REDUCE_PERCENTILE_95 only")
            if buckets:
                points = [
                    self._point(end, index, period, double_value=percentile([s.latency_ms for s in members], 0.95))
                    for index, members in sorted(buckets.items())
                ]
                series.append(self._series(metric, {}, points, int_kind=False))
        return monitoring_v3.ListTimeSeriesResponse(time_series=series)

    @staticmethod
    def _point(
        end: float, index: int, period: float, *, int_value: int | None = None, double_value: float | None = None
    ) -> monitoring_v3.Point:
        point_end = end - index * period
        interval = monitoring_v3.TimeInterval(start_time=_stamp(point_end - period), end_time=_stamp(point_end))
        value = (
            monitoring_v3.TypedValue(int64_value=int_value)
            if int_value is not None
            else monitoring_v3.TypedValue(double_value=double_value or 0.0)
        )
        return monitoring_v3.Point(interval=interval, value=value)

    @staticmethod
    def _series(
        metric: str, labels: dict[str, str], points: list[monitoring_v3.Point], *, int_kind: bool
    ) -> monitoring_v3.TimeSeries:
        return monitoring_v3.TimeSeries(
            metric=metric_pb2.Metric(type=metric, labels=labels),
            resource=monitored_resource_pb2.MonitoredResource(type="cloud_run_revision"),
            metric_kind=metric_pb2.MetricDescriptor.MetricKind.DELTA,
            value_type=(
                metric_pb2.MetricDescriptor.ValueType.INT64
                if int_kind
                else metric_pb2.MetricDescriptor.ValueType.DOUBLE
            ),
            points=points,
        )


def _stamp(seconds: float) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromNanoseconds(int(seconds * 1e9))
    return stamp
