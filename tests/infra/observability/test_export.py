"""The real app under uvicorn exports spans, metrics and logs over real OTLP/HTTP."""

import json
import time
from pathlib import Path

import httpx

from app.core.problems import ProblemCode
from tests.infra.observability.conftest import TEST_VERSION, otel_env, serve
from tests.infra.observability.receiver import (
    SPAN_KIND_CLIENT,
    SPAN_KIND_SERVER,
    OtlpReceiver,
    Point,
    Span,
)
from tests.support.live_app import LiveApp


def _auth(app: LiveApp) -> dict[str, str]:
    return {"Authorization": f"Bearer {app.token}"}


def _upload(app: LiveApp, content: bytes = b"hello\n", name: str = "a.txt") -> httpx.Response:
    return httpx.post(f"{app.base_url}/api/v1/files", headers=_auth(app), files={"file": (name, content)}, timeout=10)


def _server_span(receiver: OtlpReceiver, name: str) -> Span:
    return receiver.wait_for(
        lambda: next((s for s in receiver.spans if s.kind == SPAN_KIND_SERVER and s.name == name), None)
    )


def _ancestors(span: Span, by_id: dict[str, Span]) -> list[Span]:
    chain: list[Span] = []
    while span.parent_span_id in by_id:
        span = by_id[span.parent_span_id]
        chain.append(span)
    return chain


def _latest(receiver: OtlpReceiver, metric: str, **attributes: object) -> Point | None:
    """The newest point of a cumulative metric whose attributes include `attributes`."""
    matching = [
        p
        for p in receiver.points
        if p.metric == metric and all(p.attributes.get(k) == v for k, v in attributes.items())
    ]
    return matching[-1] if matching else None


def _json_lines(app: LiveApp) -> list[dict[str, object]]:
    return [json.loads(line) for line in app.log_lines() if line.startswith("{")]


def test_upload_exports_a_server_span_named_by_route_with_database_children(
    traced_app: LiveApp, receiver: OtlpReceiver
) -> None:
    assert _upload(traced_app).status_code == 201

    server = _server_span(receiver, "POST /api/v1/files")
    assert server.attributes["http.route"] == "/api/v1/files"
    assert server.attributes["http.status_code"] == 201
    assert server.status_code != 2  # not an error
    receiver.wait_for(lambda: [s for s in receiver.spans if s.name == "upload.small"])
    trace = [s for s in receiver.spans if s.trace_id == server.trace_id]
    by_id = {s.span_id: s for s in trace}
    database = [s for s in trace if s.attributes.get("db.system") == "postgresql"]
    # The token lookup, the quota check under a row lock, the insert, the update.
    assert len(database) >= 4
    assert all(server in _ancestors(s, by_id) for s in database)
    assert any(s.parent_span_id == server.span_id for s in database)
    assert any("INSERT" in s.attributes["db.statement"] for s in database)
    upload = next(s for s in trace if s.name == "upload.small")
    assert upload.parent_span_id == server.span_id
    assert upload.attributes == {"app.upload.size": 6, "app.outcome": "ok"}
    assert server.resource["service.name"] == "file-drop-test"
    assert server.resource["service.version"] == TEST_VERSION
    assert server.resource["deployment.environment.name"] == "test"


def test_upload_counts_in_domain_and_http_metrics(traced_app: LiveApp, receiver: OtlpReceiver) -> None:
    assert _upload(traced_app).status_code == 201

    def stored() -> Point | None:
        return _latest(receiver, "app.uploads.stored", kind="small")

    assert receiver.wait_for(stored).value == 6
    assert (point := _latest(receiver, "app.uploads.started", kind="small")) and point.value == 1
    assert (point := _latest(receiver, "app.uploads.completed", kind="small")) and point.value == 1
    duration = receiver.wait_for(lambda: _latest(receiver, "http.server.duration", **{"http.target": "/api/v1/files"}))
    assert duration.count == 1
    assert duration.attributes["http.status_code"] == 201
    # Bounded labels only: no Host header, no client address.
    assert "http.server_name" not in duration.attributes
    assert "http.host" not in duration.attributes
    assert _latest(receiver, "http.server.active_requests") is not None
    used = receiver.wait_for(lambda: _latest(receiver, "db.client.connection.count"))
    assert used.attributes["db.client.connection.pool.name"] == "default"
    assert receiver.wait_for(lambda: _latest(receiver, "db.client.connection.max")).value == 10


def test_the_json_log_line_and_the_otel_log_record_carry_the_request_trace(
    traced_app: LiveApp, receiver: OtlpReceiver
) -> None:
    response = _upload(traced_app)
    assert response.status_code == 201
    request_id = response.headers["X-Request-ID"]
    server = _server_span(receiver, "POST /api/v1/files")

    access = next(
        line
        for line in _json_lines(traced_app)
        if line.get("request_id") == request_id and line["logger"] == "app.access"
    )
    assert access["level"] == "INFO"
    assert access["trace_id"] == server.trace_id
    assert access["span_id"] == server.span_id

    record = receiver.wait_for(
        lambda: next(
            (r for r in receiver.logs if r.attributes.get("request_id") == request_id and r.body == "request"), None
        )
    )
    assert record.trace_id == server.trace_id
    assert record.severity_text == "INFO"
    assert record.resource["service.name"] == "file-drop-test"


def test_refusals_are_counted_by_reason_and_quota(receiver: OtlpReceiver) -> None:
    with serve(otel_env(receiver.url, FILES_QUOTA_COUNT="1")) as app:
        assert _upload(app, b"").status_code == 422
        assert _upload(app).status_code == 201
        over = _upload(app)
        assert over.status_code == 413
        assert over.json()["code"] == ProblemCode.QUOTA_EXCEEDED

        receiver.wait_for(lambda: _latest(receiver, "app.quota.refusals"))
        assert (point := _latest(receiver, "app.uploads.rejected", reason=ProblemCode.EMPTY_FILE)) and point.value == 1
        assert (
            point := _latest(receiver, "app.uploads.rejected", reason=ProblemCode.QUOTA_EXCEEDED)
        ) and point.value == 1
        assert (point := _latest(receiver, "app.quota.refusals")) and point.value == 1
        assert (point := _latest(receiver, "app.uploads.started", kind="small")) and point.value == 3
        rejected = receiver.wait_for(
            lambda: [s for s in receiver.spans if s.name == "upload.small" and s.attributes.get("app.reason")]
        )
        assert {s.attributes["app.reason"] for s in rejected} >= {ProblemCode.EMPTY_FILE}
        assert all(s.attributes["app.outcome"] == "rejected" for s in rejected)


def test_signed_tokens_file_names_and_api_tokens_stay_out_of_telemetry(
    traced_app: LiveApp, receiver: OtlpReceiver
) -> None:
    created = _upload(traced_app, name="secret-plans.txt")
    assert created.status_code == 201
    link = httpx.get(f"{traced_app.base_url}/api/v1/files/{created.json()['id']}/download", headers=_auth(traced_app))
    assert link.status_code == 302
    signed = link.headers["Location"]
    token = signed.rstrip("/").rsplit("/", 1)[-1]
    assert len(token) > 20
    assert httpx.get(httpx.URL(traced_app.base_url).join(signed)).content == b"hello\n"

    signing = _server_span(receiver, "GET /api/v1/files/{file_id}/download")
    assert any(s.name == "download.sign" and s.parent_span_id == signing.span_id for s in receiver.spans)
    fetched = _server_span(receiver, "GET /files/local/download/{token}")
    assert fetched.attributes["http.route"] == "/files/local/download/{token}"
    receiver.wait_for(lambda: [r for r in receiver.logs if r.trace_id == fetched.trace_id])
    time.sleep(0.5)  # the last batches

    exported = repr([receiver.spans, receiver.logs])
    log_text = Path(traced_app.log_path).read_text()
    for secret in (token, traced_app.token, "secret-plans"):
        assert secret not in exported
        assert secret not in log_text


def test_gcs_calls_are_client_spans_inside_the_request(receiver: OtlpReceiver, gcs_env: dict[str, str]) -> None:
    with serve(otel_env(receiver.url, **gcs_env)) as app:
        assert _upload(app).status_code == 201
        server = _server_span(receiver, "POST /api/v1/files")
        receiver.wait_for(lambda: [s for s in receiver.spans if s.attributes.get("http.method") == "POST"])
        calls = receiver.wait_for(
            lambda: [
                s
                for s in receiver.spans
                if s.kind == SPAN_KIND_CLIENT and s.trace_id == server.trace_id and "http.method" in s.attributes
            ]
        )
    by_id = {s.span_id: s for s in receiver.spans}
    assert all(server in _ancestors(s, by_id) for s in calls)
    # One multipart upload carries the bytes and the metadata served with them.
    assert {(s.attributes.get("http.method"), s.attributes.get("http.status_code")) for s in calls} >= {("POST", 200)}
    assert all("127.0.0.1" in s.attributes.get("http.url", "") for s in calls)


def test_buffered_telemetry_is_flushed_when_the_app_stops(receiver: OtlpReceiver) -> None:
    slow = otel_env(
        receiver.url,
        OTEL_BSP_SCHEDULE_DELAY="600000",
        OTEL_BLRP_SCHEDULE_DELAY="600000",
        OTEL_METRIC_EXPORT_INTERVAL="600000",
    )
    with serve(slow) as app:
        assert _upload(app).status_code == 201
        time.sleep(1)
        assert receiver.spans == []
        app.process.terminate()
        app.process.wait(timeout=10)
    assert any(s.name == "POST /api/v1/files" for s in receiver.spans)
    assert _latest(receiver, "app.uploads.completed", kind="small") is not None
    assert any(r.body == "request" for r in receiver.logs)
