"""compose.yaml: checked by the real Compose binary and the compose-spec schema, then read."""

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.infra.containers.conftest import (
    COMPOSE_FILE,
    ENV_EXAMPLE,
    PINNED_IMAGE,
    ROOT,
    clean_env,
    compose,
    dockerfile_parse,
)
from tests.plugin import postgres_cluster
from tests.support.flags import REPO_FLAG_FILE
from tests.support.postgres import PostgresCluster, postgres_cluster_new
from tests.support.tools import venv_tool

# `${NAME}`, `${NAME:-default}`, `${NAME:?message}`; `$$` is a literal dollar.
INTERPOLATION = re.compile(r"(?<!\$)\$\{(\w+)")
ONLY_INTERPOLATION = re.compile(r"^\$\{\w+(:?[-?][^}]*)?\}$")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|(?<!SIGNING_)KEY$|CREDENTIAL|PRIVATE")
URL_CREDENTIALS = re.compile(r"://[^/\s:@]+:(?P<password>[^@\s]+)@")
ONE_SHOT = "service_completed_successfully"


def _one_shots(model: dict[str, Any]) -> set[str]:
    """Services others wait on to finish: they exit, so they carry no healthcheck."""
    return {
        name
        for service in model["services"].values()
        for name, dependency in (service.get("depends_on") or {}).items()
        if dependency["condition"] == ONE_SHOT
    }


def _documented() -> set[str]:
    """Variables .env.example sets for compose.yaml (COMPOSE_* are Compose's own)."""
    found = set(re.findall(r"^#?\s*(\w+)=", ENV_EXAMPLE.read_text(), re.MULTILINE))
    return {name for name in found if not name.startswith("COMPOSE_")}


def test_compose_binary_accepts_the_file() -> None:
    result = compose("config", "--quiet")
    assert result.returncode == 0, result.stderr


def test_compose_binary_accepts_the_file_with_every_profile() -> None:
    result = compose("--profile", "lgtm", "config", "--quiet")
    assert result.returncode == 0, result.stderr


def test_compose_refuses_to_start_without_a_database_password(tmp_path: Path) -> None:
    empty = tmp_path / "empty.env"
    empty.write_text("")
    result = compose("config", "--quiet", env_file=empty)
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr


def test_file_matches_the_compose_spec_schema() -> None:
    binary = venv_tool("check-jsonschema")
    result = subprocess.run(
        [binary, "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)],
        capture_output=True,
        text=True,
        env=clean_env(),
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_long_running_service_has_a_healthcheck(compose_all: dict[str, Any]) -> None:
    one_shots = _one_shots(compose_all)
    assert {"migrate", "gcs-key"} <= one_shots
    for name, service in compose_all["services"].items():
        if name in one_shots:
            assert service.get("restart", "no") == "no", f"{name} runs once"
            continue
        healthcheck = service.get("healthcheck") or {}
        assert healthcheck.get("test"), f"{name} has no healthcheck"
        assert not healthcheck.get("disable"), f"{name} disables its healthcheck"
        assert healthcheck["test"][0] in {"CMD", "CMD-SHELL"}


def test_every_dependency_waits_on_a_condition(compose_all: dict[str, Any]) -> None:
    for name, service in compose_all["services"].items():
        for dependency, spec in (service.get("depends_on") or {}).items():
            assert spec["condition"] in {"service_healthy", ONE_SHOT}, f"{name} -> {dependency}"


def test_app_waits_for_migrations_and_a_healthy_database(compose_all: dict[str, Any]) -> None:
    depends_on = compose_all["services"]["app"]["depends_on"]
    assert depends_on["migrate"]["condition"] == ONE_SHOT
    assert depends_on["postgres"]["condition"] == "service_healthy"
    assert depends_on["gcs"]["condition"] == "service_healthy"
    migrate = compose_all["services"]["migrate"]
    assert migrate["command"] == ["app", "migrate", "--noinput"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


def _postgres_healthcheck(model: dict[str, Any], cluster: PostgresCluster) -> subprocess.CompletedProcess[str]:
    """The service's healthcheck as the container runs it: its socket where the image keeps it."""
    kind, script = model["services"]["postgres"]["healthcheck"]["test"]
    assert kind == "CMD-SHELL"
    env = clean_env(
        PATH=f"{cluster.bin_dir}:/usr/bin:/bin",
        PGHOST=str(cluster.root),
        PGPORT=str(cluster.port),
        POSTGRES_USER="postgres",
        POSTGRES_DB="postgres",
    )
    return subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True, timeout=10, check=False)


def test_postgres_is_healthy_only_once_it_accepts_tcp(compose_all: dict[str, Any]) -> None:
    """While the image initialises a new database its server listens on the socket only."""
    serving = postgres_cluster()
    initialising = postgres_cluster_new()
    if serving is None or initialising is None:
        pytest.skip("needs the run's own PostgreSQL cluster (apt-get install postgresql)")
    try:
        initialising.start(listen_addresses="")

        assert _postgres_healthcheck(compose_all, serving).returncode == 0
        assert _postgres_healthcheck(compose_all, initialising).returncode != 0
    finally:
        initialising.stop()


def test_images_are_tagged_and_pinned_by_digest(compose_raw: dict[str, Any]) -> None:
    stage_names = {stage.name for stage in dockerfile_parse((ROOT / "Dockerfile").read_text())}
    for name, service in compose_raw["services"].items():
        if "build" in service:
            assert service["build"].get("target") in stage_names, name
            continue
        image = service.get("image", "")
        match = PINNED_IMAGE.match(image)
        assert match, f"{name}: {image!r} is not image:tag@sha256:digest"
        assert match["tag"] != "latest", name


def test_without_profiles_nginx_is_the_single_published_port(compose_bare: dict[str, Any]) -> None:
    published = [
        (name, port) for name, service in compose_bare["services"].items() for port in service.get("ports") or []
    ]
    assert len(published) == 1, published
    name, port = published[0]
    assert name == "nginx"
    assert port["target"] == 8080
    assert port["host_ip"] == "127.0.0.1"


def test_profile_services_publish_on_loopback_only(compose_all: dict[str, Any]) -> None:
    for name, service in compose_all["services"].items():
        for port in service.get("ports") or []:
            assert port.get("host_ip") == "127.0.0.1", f"{name} publishes {port}"


def test_postgres_keeps_its_data_in_a_named_volume(compose_all: dict[str, Any]) -> None:
    mounts = compose_all["services"]["postgres"]["volumes"]
    data = [m for m in mounts if m["target"] == "/var/lib/postgresql/data"]
    assert len(data) == 1
    assert data[0]["type"] == "volume"
    assert data[0]["source"] in compose_all["volumes"]


def test_no_secret_is_written_in_the_file(compose_raw: dict[str, Any]) -> None:
    for name, service in compose_raw["services"].items():
        for variable, value in (service.get("environment") or {}).items():
            value = value or ""
            if SECRET_NAME.search(variable):
                assert value == "" or ONLY_INTERPOLATION.match(value), f"{name}: {variable}"
            credentials = URL_CREDENTIALS.search(value)
            if credentials:
                assert ONLY_INTERPOLATION.match(credentials["password"]), f"{name}: {variable}"


def test_secrets_come_from_the_env_file(compose_raw: dict[str, Any]) -> None:
    postgres = compose_raw["services"]["postgres"]["environment"]
    assert postgres["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    app = compose_raw["services"]["app"]["environment"]
    for variable in ("DJANGO_SECRET_KEY", "GOOGLE_OAUTH_CLIENT_SECRET"):
        assert app[variable] == f"${{{variable}:-}}"


def test_every_interpolated_variable_is_documented_in_env_example() -> None:
    used = set(INTERPOLATION.findall(COMPOSE_FILE.read_text()))
    documented = _documented()
    assert used - documented == set(), "undocumented in .env.example"
    assert documented - used == set(), ".env.example documents variables compose.yaml never reads"


def test_env_example_writes_no_real_secret() -> None:
    values = dict(re.findall(r"^(\w+)=(.*)$", ENV_EXAMPLE.read_text(), re.MULTILINE))
    for variable in ("DJANGO_SECRET_KEY", "GOOGLE_OAUTH_CLIENT_ID", "GOOGLE_OAUTH_CLIENT_SECRET"):
        assert values[variable] == "", variable
    assert ".env" in (ROOT / ".gitignore").read_text().split()


def test_app_reloads_code_synced_by_develop_watch(compose_all: dict[str, Any]) -> None:
    app = compose_all["services"]["app"]
    assert "--reload" in app["command"]
    assert "--no-migrate" in app["command"]
    watch = app["develop"]["watch"]
    syncs = {(Path(w["path"]).relative_to(ROOT).as_posix(), w["target"]) for w in watch if w["action"] == "sync"}
    assert ("app", "/app/app") in syncs
    rebuilds = {Path(w["path"]).name for w in watch if w["action"] == "rebuild"}
    assert {"pyproject.toml", "uv.lock"} <= rebuilds


def test_app_uses_the_gcs_emulator_and_postgres(compose_all: dict[str, Any]) -> None:
    app = compose_all["services"]["app"]["environment"]
    gcs = compose_all["services"]["gcs"]
    command = gcs["command"]
    assert command[:2] == ["gcp-storage-emulator", "start"]
    port = command[command.index("--port") + 1]
    assert app["STORAGE_EMULATOR_HOST"] == f"http://gcs:{port}"
    assert app["GCS_BUCKET"] == command[command.index("--default-bucket") + 1]
    assert app["DATABASE_URL"].startswith("postgres://")
    assert "@postgres:5432/" in app["DATABASE_URL"]
    # The signing key the one-shot writes is on the volume the app reads it from.
    key_volume = {m["source"] for m in compose_all["services"]["gcs-key"]["volumes"]}
    app_volume = {m["source"]: m["target"] for m in compose_all["services"]["app"]["volumes"]}
    assert key_volume <= set(app_volume)
    assert app["GCS_SIGNING_KEY_FILE"].startswith(app_volume[next(iter(key_volume))])


def test_nginx_renders_the_repo_config_for_this_stack(compose_all: dict[str, Any], tmp_path: Path) -> None:
    """The service's own start command renders a router for app:8000 on the published port."""
    nginx = compose_all["services"]["nginx"]
    mounts = {m["target"]: m for m in nginx["volumes"]}
    repo = mounts["/etc/nginx/repo"]
    assert repo["type"] == "bind"
    assert repo.get("read_only")
    assert Path(repo["source"]) == ROOT / "nginx"
    shell, flag, script = nginx["command"]
    assert (shell, flag) == ("/bin/sh", "-c")
    render, _, serve = script.partition(" && exec ")
    out = tmp_path / "nginx"
    render = render.replace("/etc/nginx/repo", str(ROOT / "nginx")).replace("/tmp/nginx", str(out))
    result = subprocess.run(
        ["sh", "-c", render],
        env=clean_env(**nginx.get("environment", {})),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert serve.startswith("nginx -c /tmp/nginx/nginx.conf")
    container_port = nginx["ports"][0]["target"]
    assert f":{container_port};" in (out / "generated" / "listen-http.conf").read_text()
    assert f"127.0.0.1:{container_port}/" in " ".join(nginx["healthcheck"]["test"])
    app = compose_all["services"]["app"]["command"]
    upstream = f"app:{app[app.index('--port') + 1]}"
    assert f"server {upstream};" in (out / "nginx.conf").read_text()
    assert nginx["depends_on"]["app"]["condition"] == "service_healthy"


def test_alloy_reads_container_logs_and_keeps_otlp_internal(compose_all: dict[str, Any]) -> None:
    alloy = compose_all["services"]["alloy"]
    socket = [m for m in alloy["volumes"] if m["target"] == "/var/run/docker.sock"]
    assert socket
    assert socket[0].get("read_only")
    assert not alloy.get("ports")
    assert {"4317", "4318"} <= set(alloy.get("expose", []))
    config = [m for m in alloy["volumes"] if m["target"] == "/etc/alloy"]
    assert config
    assert config[0].get("read_only")
    assert alloy["command"][-1] == "/etc/alloy/config.alloy"
    assert any("/-/ready" in part for part in alloy["healthcheck"]["test"])


def test_lgtm_is_behind_its_profile_which_env_example_turns_on(
    compose_bare: dict[str, Any], compose_default: dict[str, Any]
) -> None:
    assert "lgtm" not in compose_bare["services"]
    assert compose_default["services"]["lgtm"]["profiles"] == ["lgtm"]


def test_bind_mounted_configs_exist(compose_all: dict[str, Any]) -> None:
    """Every bind mount's source is in the repository (nginx/, alloy/, ...); a missing one is named."""
    missing = sorted(
        Path(mount["source"]).relative_to(ROOT).as_posix()
        for service in compose_all["services"].values()
        for mount in service.get("volumes") or []
        if mount["type"] == "bind" and Path(mount["source"]).is_relative_to(ROOT) and not Path(mount["source"]).exists()
    )
    assert not missing, f"compose mounts paths the repository lacks: {', '.join(missing)}"


def test_app_reads_the_repo_flag_file_from_a_mounted_directory(compose_all: dict[str, Any]) -> None:
    app = compose_all["services"]["app"]
    mounts = {m["target"]: m for m in app["volumes"] if m["type"] == "bind"}
    flags_file = Path(app["environment"]["FLAGS_FILE"])
    mount = mounts[flags_file.parent.as_posix()]
    assert mount["read_only"] is True
    assert Path(mount["source"]) / flags_file.name == REPO_FLAG_FILE
