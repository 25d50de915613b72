"""alloy/: the Alloy pipelines are wired end to end, and the dashboard queries what the app exports.

No Alloy binary runs here (CI runs `alloy fmt` and a dry run in the official
image); these checks read the files the way Alloy and Grafana would.
"""

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.infra.containers.conftest import compose_model
from tests.infra.observability.conftest import otel_env, serve
from tests.infra.observability.receiver import OtlpReceiver, Point
from tests.support.paths import REPO_ROOT

ALLOY = REPO_ROOT / "alloy"
CONFIGS = [ALLOY / "config.alloy", ALLOY / "cloudrun" / "config.alloy"]
DASHBOARD = ALLOY / "dashboards" / "file-drop.json"

# `otelcol.processor.batch "default" {` declares component otelcol.processor.batch.default.
_DECLARATION = re.compile(r'^([a-z_]+(?:\.[a-z_]+)+) "([A-Za-z0-9_]+)" \{', re.MULTILINE)
# A reference to another component's export, e.g. `otelcol.processor.batch.default.input`.
_REFERENCE = re.compile(
    r"\b((?:otelcol|loki|prometheus|discovery)(?:\.[a-z_]+)+)\.(input|receiver|handler|targets|rules)\b"
)
# Metric names in PromQL: identifiers directly followed by a selector or range.
_PROMQL_METRIC = re.compile(r"\b([a-z_][a-z0-9_]*)\{")
_PROMQL_LABEL = re.compile(r"by \(([^)]*)\)")
# `sys.env("NAME")`, or `coalesce(sys.env("NAME"), "local")`: the placeholder the local stack gets.
_ENV_OR_PLACEHOLDER = re.compile(r'sys\.env\("\w+"\)|coalesce\(sys\.env\("\w+"\), "local"\)')
# A destination for when its Grafana Cloud variable is empty: `coalesce(sys.env("X"), "http://host:port/...")`.
_FALLBACK_URL = re.compile(r'coalesce\(sys\.env\("(GRAFANA_CLOUD_\w+)"\), "(https?://[^"]+)"\)')
# OTel unit to Prometheus suffix, as Grafana Cloud's and Prometheus' OTLP ingestion translate it.
_UNIT_SUFFIX = {"ms": "milliseconds", "s": "seconds", "By": "bytes"}


def _text(path: Path) -> str:
    # Comments are not configuration (a URL's `//` follows a colon, never a space).
    return re.sub(r"(^|\s)//[^\n]*", r"\1", path.read_text(), flags=re.MULTILINE)


def _components(path: Path) -> dict[str, str]:
    """Each declared component's name and its body."""
    text = _text(path)
    found: dict[str, str] = {}
    for match in _DECLARATION.finditer(text):
        depth, index = 0, match.end() - 1
        for index in range(match.end() - 1, len(text)):
            depth += {"{": 1, "}": -1}.get(text[index], 0)
            if depth == 0:
                break
        found[f"{match.group(1)}.{match.group(2)}"] = text[match.end() : index]
    return found


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.parent.name)
def test_alloy_config_braces_balance_and_every_reference_is_declared(path: Path) -> None:
    text = _text(path)
    assert text.count("{") == text.count("}")
    declared = set(_components(path))
    referenced = {match.group(1) for match in _REFERENCE.finditer(text)}
    assert referenced <= declared, referenced - declared
    # Every component except the sinks feeds another one.
    sinks = {
        name for name in declared if name.startswith(("otelcol.exporter.", "loki.write.", "prometheus.remote_write."))
    }
    assert declared - sinks - {
        name for name in declared if name.startswith(("otelcol.auth.", "discovery.relabel."))
    } <= (
        {name for name in declared if any(name in body for body in _components(path).values())}
        | {name for name in declared if name.startswith(("loki.source.", "prometheus.scrape.", "otelcol.receiver."))}
    )


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.parent.name)
def test_otlp_goes_receiver_memory_limiter_batch_then_otlphttp_with_basic_auth(path: Path) -> None:
    components = _components(path)
    receiver = components["otelcol.receiver.otlp.app"]
    assert re.search(r'grpc \{\s*endpoint = "[\d.]+:4317"', receiver)
    assert re.search(r'http \{\s*endpoint = "[\d.]+:4318"', receiver)
    for signal in ("metrics", "logs", "traces"):
        assert f"{signal} = [otelcol.processor.memory_limiter.default.input]" in re.sub(r" +", " ", receiver)
        assert f"{signal} = [otelcol.processor.batch.default.input]" in re.sub(
            r" +", " ", components["otelcol.processor.memory_limiter.default"]
        )
        assert f"{signal} = [otelcol.exporter.otlphttp.grafana_cloud.input]" in re.sub(
            r" +", " ", components["otelcol.processor.batch.default"]
        )
    exporter = components["otelcol.exporter.otlphttp.grafana_cloud"]
    assert "auth = otelcol.auth.basic.grafana_cloud.handler" in re.sub(r" +", " ", exporter)
    assert 'sys.env("GRAFANA_CLOUD_OTLP_ENDPOINT")' in exporter


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.parent.name)
def test_alloy_secrets_come_only_from_the_environment(path: Path) -> None:
    text = _text(path)
    for assignment in re.findall(r"(?:username|password) *= *([^\n]+)", text):
        assert _ENV_OR_PLACEHOLDER.fullmatch(assignment.strip()), assignment
    # `env()` is the deprecated spelling; current Alloy syntax is `sys.env()`.
    assert not re.search(r"(?<!sys\.)\benv\(", text)


def test_otlp_credentials_are_never_empty_so_the_auth_component_starts() -> None:
    """Alloy's otelcol.auth.basic drops a client_auth whose username or password is empty
    (ClientAuthConfig.convert returns nil) and the extension then fails to start with "no
    credential source provided": each must fall back to a non-empty placeholder."""
    client_auth = _components(ALLOY / "config.alloy")["otelcol.auth.basic.grafana_cloud"]
    for field in ("username", "password"):
        value = re.search(rf"{field} *= *([^\n]+)", client_auth)
        assert value, field
        assert value[1].strip().startswith("coalesce(sys.env("), value[1]


def test_compose_passes_alloy_every_variable_its_config_reads() -> None:
    used = set(re.findall(r'sys\.env\("([A-Z_]+)"\)', _text(ALLOY / "config.alloy")))
    environment = compose_model("lgtm")["services"]["alloy"].get("environment") or {}

    assert used - set(environment) == set(), "read by config.alloy, never passed by compose"


def test_default_stack_exports_telemetry_to_services_it_runs() -> None:
    """With .env copied from .env.example (no Grafana Cloud), every destination is a service."""
    model = compose_model()
    services = set(model["services"])
    app_endpoint = model["services"]["app"]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"]
    alloy_environment = model["services"]["alloy"]["environment"]
    fallbacks = _FALLBACK_URL.findall(_text(ALLOY / "config.alloy"))

    assert urlsplit(app_endpoint).hostname in services
    assert {name for name, _ in fallbacks} >= {"GRAFANA_CLOUD_OTLP_ENDPOINT", "GRAFANA_CLOUD_LOKI_URL"}
    for variable, url in fallbacks:
        assert alloy_environment[variable] == "", variable
        assert urlsplit(url).hostname in services, (variable, url)


def test_compose_config_ships_container_logs_to_loki_with_service_and_container_labels() -> None:
    components = _components(ALLOY / "config.alloy")
    relabel = components["discovery.relabel.containers"]
    assert 'target_label = "container"' in re.sub(r" +", " ", relabel)
    assert "__meta_docker_container_label_com_docker_compose_service" in relabel
    assert 'target_label = "service"' in re.sub(r" +", " ", relabel)
    source = re.sub(r" +", " ", components["loki.source.docker.containers"])
    assert "relabel_rules = discovery.relabel.containers.rules" in source
    assert "forward_to = [loki.write.grafana_cloud.receiver]" in source
    assert 'sys.env("GRAFANA_CLOUD_LOKI_URL")' in components["loki.write.grafana_cloud"]


def _prometheus_names(points: list[Point]) -> dict[str, set[str]]:
    """What each exported metric is called once Prometheus-translated, with its label names."""
    names: dict[str, set[str]] = {}
    for point in points:
        name = point.metric.replace(".", "_")
        if point.unit in _UNIT_SUFFIX:
            name += "_" + _UNIT_SUFFIX[point.unit]
        if point.kind == "counter":
            name += "_total"
        names.setdefault(name, set()).update(key.replace(".", "_") for key in point.attributes)
    return names


def test_every_dashboard_query_uses_metrics_and_labels_the_app_exports(receiver: OtlpReceiver) -> None:
    with serve(otel_env(receiver.url, FILES_QUOTA_COUNT="1")) as app:
        headers = {"Authorization": f"Bearer {app.token}"}
        # Stored, rejected as empty, refused over quota.
        for content in (b"hello\n", b"", b"hello\n"):
            httpx.post(f"{app.base_url}/api/v1/files", headers=headers, files={"file": ("a.txt", content)})
        receiver.wait_for(lambda: [p for p in receiver.points if p.metric == "app.quota.refusals"])
        receiver.wait_for(lambda: [p for p in receiver.points if p.metric == "app.uploads.stored"])
    exported = _prometheus_names(receiver.points)

    dashboard = json.loads(DASHBOARD.read_text())
    queries = [
        target["expr"]
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
        if panel.get("datasource", {}).get("type") == "prometheus"
    ]
    assert len(queries) >= 10
    for query in queries:
        for metric in _PROMQL_METRIC.findall(query):
            base = metric if metric in exported else re.sub(r"_(bucket|count|sum)$", "", metric)
            assert base in exported, (metric, sorted(exported))
            for labels in _PROMQL_LABEL.findall(query):
                wanted = {label.strip() for label in labels.split(",")} - {"le"}
                assert wanted <= exported[base] | {"job"}, (query, wanted, exported[base])
    titles = " ".join(panel["title"] for panel in dashboard["panels"]).lower()
    for topic in ("request rate", "error", "latency", "throughput", "rejections", "pool"):
        assert topic in titles
