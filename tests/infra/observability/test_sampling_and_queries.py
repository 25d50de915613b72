"""The production default sampler, and a client span for every query on both databases."""

import json

import httpx

from app.integrations.otel import DEFAULT_TRACES_SAMPLING_RATIO
from tests.infra.observability.conftest import otel_env
from tests.infra.observability.receiver import SPAN_KIND_CLIENT, SPAN_KIND_SERVER, OtlpReceiver
from tests.plugin import postgres_cluster
from tests.support.live_app import LiveApp, live_app, live_app_env

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
SAMPLED_PARENT = f"00-{TRACE_ID}-b7ad6b7169203331-01"


def _list_queries_are_traced(app: LiveApp, receiver: OtlpReceiver, system: str) -> None:
    headers = {"Authorization": f"Bearer {app.token}", "traceparent": SAMPLED_PARENT}
    assert httpx.get(f"{app.base_url}/api/v1/files", headers=headers).status_code == 200
    server = receiver.wait_for(
        lambda: next((s for s in receiver.spans if s.trace_id == TRACE_ID and s.kind == SPAN_KIND_SERVER), None)
    )
    queries = receiver.wait_for(
        lambda: (
            [
                s
                for s in receiver.spans
                if s.trace_id == TRACE_ID and s.kind == SPAN_KIND_CLIENT and s.attributes.get("db.system") == system
            ]
            or None
        )
    )
    assert server.name == "GET /api/v1/files"
    # The token lookup and the page, each a child of the request.
    assert len(queries) >= 2
    assert all(s.parent_span_id == server.span_id for s in queries)
    assert any("files_file" in str(s.attributes["db.statement"]) for s in queries)


def test_by_default_a_tenth_of_new_traces_and_every_sampled_parent_are_kept_with_their_queries(
    receiver: OtlpReceiver,
) -> None:
    env = otel_env(receiver.url)
    del env["OTEL_TRACES_SAMPLER"]
    cluster = postgres_cluster()
    requests = 200
    with live_app(live_app_env(cluster, env)) as app:
        _list_queries_are_traced(app, receiver, "postgresql" if cluster is not None else "sqlite")
        with httpx.Client(base_url=app.base_url) as client:
            for _ in range(requests):
                assert client.get("/healthz").status_code == 200
    kept = len({s.trace_id for s in receiver.spans if s.kind == SPAN_KIND_SERVER} - {TRACE_ID})
    expected = requests * DEFAULT_TRACES_SAMPLING_RATIO
    # 20 expected; outside 5-45 by chance once in millions of runs.
    assert expected / 4 <= kept <= expected * 2.25, kept


def test_queries_on_sqlite_are_client_spans_of_the_request(receiver: OtlpReceiver) -> None:
    with live_app(live_app_env(None, otel_env(receiver.url))) as app:
        _list_queries_are_traced(app, receiver, "sqlite")


def test_only_a_sampled_request_exports_its_access_line_and_only_it_names_a_trace(receiver: OtlpReceiver) -> None:
    with live_app(live_app_env(None, otel_env(receiver.url, OTEL_TRACES_SAMPLER="parentbased_always_off"))) as app:
        unsampled = httpx.get(f"{app.base_url}/healthz").headers["X-Request-ID"]
        sampled = httpx.get(f"{app.base_url}/healthz", headers={"traceparent": SAMPLED_PARENT}).headers["X-Request-ID"]
        exported = receiver.wait_for(
            lambda: next((r for r in receiver.logs if r.attributes.get("request_id") == sampled), None)
        )
        lines = {
            line.get("request_id"): line for line in map(json.loads, app.log_lines()) if line["logger"] == "app.access"
        }
    assert exported.trace_id == TRACE_ID
    assert lines[sampled]["trace_id"] == TRACE_ID
    # Stdout keeps the unsampled line, with no trace id that would lead nowhere.
    assert "trace_id" not in lines[unsampled]
    assert not [r for r in receiver.logs if r.attributes.get("request_id") == unsampled]
    # Other records are exported whatever the sampling.
    assert [r for r in receiver.logs if r.body == "telemetry on"]
