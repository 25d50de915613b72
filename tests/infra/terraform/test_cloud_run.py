"""The Cloud Run service and job: the Alloy sidecar contract, probes, what the pipeline owns, CORS."""

import ast
import re
from typing import Any

import pytest

from tests.infra.terraform.hcl import Config
from tests.support.paths import REPO_ROOT

ALLOY_CONFIG = REPO_ROOT / "alloy" / "cloudrun" / "config.alloy"
PIPELINE_OWNED = {
    "client", "client_version", "${template[0].revision}", "${template[0].containers[0].image}", "traffic",
}  # fmt: skip


def _resolve(text: str, local_values: dict[str, Any], variables: dict[str, dict[str, Any]]) -> str:
    """Substitutes ${local.x} and ${var.x} (its default) where they are literal."""

    def value(match: re.Match[str]) -> str:
        kind, name = match[1], match[2]
        found = local_values.get(name) if kind == "local" else variables.get(name, {}).get("default")
        assert found is not None and not str(found).startswith("${"), f"{kind}.{name} is not a literal"
        return str(found)

    return re.sub(r"\$\{(local|var)\.(\w+)\}", value, text)


@pytest.fixture(scope="module")
def service_module(modules: dict[str, Config]) -> Config:
    return modules["cloud-run-service"]


@pytest.fixture(scope="module")
def service(service_module: Config) -> dict[str, Any]:
    return service_module.resource("google_cloud_run_v2_service", "main").body


def resolve(service_module: Config, text: str) -> str:
    return _resolve(text, service_module.locals(), service_module.variables())


@pytest.fixture(scope="module")
def containers(service_module: Config, service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {resolve(service_module, container["name"]): container for container in service["template"][0]["containers"]}


def test_apply_leaves_what_the_deploy_pipeline_owns_alone(service: dict[str, Any]) -> None:
    assert set(service["lifecycle"][0]["ignore_changes"]) == PIPELINE_OWNED
    # The ignored image is the app's: the app must stay the first container.
    assert service["template"][0]["containers"][0]["name"] == "app"


def test_the_job_leaves_its_image_to_the_pipeline(modules: dict[str, Config]) -> None:
    job = modules["cloud-run-job"].resource("google_cloud_run_v2_job", "main").body
    assert "${template[0].template[0].containers[0].image}" in job["lifecycle"][0]["ignore_changes"]
    assert len(job["template"][0]["template"][0]["containers"]) == 1


def test_the_app_exports_to_alloy_on_the_instances_loopback(service_module: Config, containers: dict[str, Any]) -> None:
    app_env = {env["name"]: env.get("value") for env in containers["app"]["env"]}
    endpoint = resolve(service_module, app_env["OTEL_EXPORTER_OTLP_ENDPOINT"])
    assert endpoint == "http://127.0.0.1:4318"
    # ...where the sidecar's configuration listens.
    assert re.search(r'http \{\s*endpoint = "127\.0\.0\.1:4318"', ALLOY_CONFIG.read_text())


def test_the_app_starts_after_alloy_is_ready(service_module: Config, containers: dict[str, Any]) -> None:
    depends_on = [resolve(service_module, name) for name in containers["app"]["depends_on"]]
    assert depends_on == ["alloy"] and "alloy" in containers
    alloy = containers["alloy"]
    probe = alloy["startup_probe"][0]["http_get"][0]
    assert probe["path"] == "/-/ready"
    port = resolve(service_module, f"{probe['port']}")
    assert f"--server.http.listen-addr=0.0.0.0:{port}" in [resolve(service_module, arg) for arg in alloy["args"]]


def test_alloy_runs_the_cloud_run_config_mounted_from_secret_manager(
    service_module: Config, service: dict[str, Any], containers: dict[str, Any]
) -> None:
    alloy = containers["alloy"]
    args = [resolve(service_module, arg) for arg in alloy["args"]]
    assert args[0] == "run" and args[-1] == "/etc/alloy/config.alloy"
    (mount,) = alloy["volume_mounts"]
    assert resolve(service_module, mount["mount_path"]) == "/etc/alloy"
    (volume,) = [v for v in service["template"][0]["volumes"] if v["name"] == mount["name"]]
    (secret,) = volume["secret"]
    assert secret["secret"] == "${var.sidecar_config_secret}"
    assert [resolve(service_module, item["path"]) for item in secret["items"]] == ["config.alloy"]


def test_every_variable_the_sidecar_config_reads_comes_from_a_secret(
    modules: dict[str, Config], containers: dict[str, Any]
) -> None:
    used = set(re.findall(r'sys\.env\("([A-Z_]+)"\)', ALLOY_CONFIG.read_text()))
    platform = modules["platform"]
    assert set(platform.locals()["alloy_variables"]) == used
    sidecar = platform.modules()["service"]["sidecar_secret_env"]
    assert sidecar == "${{for variable, secret in local.alloy_secrets : variable => module.secrets.ids[secret]}}"
    # The sidecar has no plain environment at all: only secret references.
    alloy = containers["alloy"]
    assert "env" not in alloy
    (dynamic,) = alloy["dynamic"]
    (content,) = dynamic["env"]["content"]
    assert dynamic["env"]["for_each"] == "${var.sidecar_secret_env}"
    assert "value" not in content and content["value_source"][0]["secret_key_ref"][0]["version"] == "latest"


def test_probes_ask_healthz_for_life_and_readyz_for_readiness(containers: dict[str, Any]) -> None:
    app = containers["app"]
    for probe, path in (("startup_probe", "/healthz"), ("liveness_probe", "/healthz"), ("readiness_probe", "/readyz")):
        (http_get,) = app[probe][0]["http_get"]
        assert (http_get["path"], http_get["port"]) == (path, "${var.container_port}"), probe
    assert app["ports"][0]["container_port"] == "${var.container_port}"


def test_the_container_port_is_the_one_the_image_serves_on(service_module: Config) -> None:
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    port = service_module.variables()["container_port"]["default"]
    assert f"EXPOSE {port}" in dockerfile
    assert f'"--port", "{port}"' in dockerfile.rsplit("CMD", 1)[1]


def test_concurrency_and_instances_are_inputs(service: dict[str, Any]) -> None:
    assert service["template"][0]["max_instance_request_concurrency"] == "${var.max_concurrent_requests}"
    assert service["scaling"][0] == {
        "min_instance_count": "${var.min_instances}",
        "max_instance_count": "${var.max_instances}",
    }


def _upload_headers() -> set[str]:
    """The request headers the GCS storage binds into a signed upload URL."""
    tree = ast.parse((REPO_ROOT / "app" / "files" / "storage" / "gcs.py").read_text())
    function = next(
        node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name == "upload_target"
    )
    headers: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Dict):
            headers |= {key.value for key in node.keys if isinstance(key, ast.Constant) and isinstance(key.value, str)}
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        ):
            headers.add(node.slice.value)
    return headers


def test_browsers_may_put_to_signed_urls_with_the_headers_the_app_signs(modules: dict[str, Config]) -> None:
    bucket_module = modules["uploads-bucket"]
    (cors,) = bucket_module.resource("google_storage_bucket", "main").body["cors"]
    assert {"PUT", "GET"} <= set(cors["method"])
    assert cors["origin"] == "${var.cors_origins}"
    allowed = {header.lower() for header in bucket_module.variables()["cors_headers"]["default"]}
    app_headers = _upload_headers()
    assert {"Content-Type", "Content-MD5", "x-goog-content-length-range"} <= app_headers
    assert {header.lower() for header in app_headers} <= allowed
    platform = modules["platform"].modules()["uploads"]
    assert platform["cors_origins"] == "${concat([local.app_origin], var.extra_cors_origins)}"
    assert modules["platform"].locals()["app_origin"] == "https://${var.app_domain}"


def test_the_app_reads_the_flag_file_from_the_latest_version_of_a_mounted_secret(
    service_module: Config, service: dict[str, Any], containers: dict[str, dict[str, Any]]
) -> None:
    app = containers["app"]
    env = {resolve(service_module, e["name"]): resolve(service_module, str(e.get("value", ""))) for e in app["env"]}
    flags_file = env["FLAGS_FILE"]
    directory, _, name = flags_file.rpartition("/")
    (mount,) = [m for m in app["volume_mounts"] if resolve(service_module, m["mount_path"]) == directory]
    (volume,) = [v for v in service["template"][0]["volumes"] if v["name"] == mount["name"]]
    (item,) = volume["secret"][0]["items"]
    assert item["version"] == "latest"
    assert resolve(service_module, item["path"]) == name
    # Every look costs a Secret Manager access: not the app's default of once a second.
    assert int(service_module.variables()["flags_poll_interval_ms"]["default"]) >= 10_000
    assert env["FLAGS_POLL_INTERVAL_MS"] == "${tostring(var.flags_poll_interval_ms)}"
