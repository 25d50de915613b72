"""Expressions of terraform/ evaluated by the real terraform, their results checked by the app's own code.

What Terraform computes for the app (its settings, its database URL, its CDN
key) is fed to the code that will read it; the Workload Identity condition is
evaluated by a CEL interpreter against GitHub's claims.
"""

import base64
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import celpy
import dj_database_url
import hcl2
import pytest
from celpy.adapter import json_to_cel
from django.http.request import validate_host

from app.config.env import Env
from tests.infra.terraform import hcl
from tests.infra.terraform.console import evaluate, locals_defining, replace_references, top_level_blocks
from tests.infra.terraform.hcl import ENVIRONMENTS, MODULES, plain
from tests.support.production import run_app

REPOSITORY = "acme/overengineered-backend"  # what the tfvars examples name
REPOSITORY_ID = "123456789"
# What the modules the platform's locals refer to output, in the format they output it.
PROJECT = "acme-files-prod"
CONNECTION_NAME = f"{PROJECT}:europe-west1:file-drop"
MODULE_OUTPUTS = {
    "module.uploads.name": f"{PROJECT}-uploads",
    "module.load_balancer.cdn_base_url": "https://cdn.files.example.com",
    "module.load_balancer.cdn_signing_key_name": "uploads-1",
    "module.database.instance_name": "file-drop",
    "module.database.connection_name": CONNECTION_NAME,
}
SECRET_ID = re.compile(r'module\.secrets\.ids\["([a-z-]+)"\]')


def _locals_text(directory: Path) -> str:
    return "\n".join(block for path in sorted(directory.glob("*.tf")) for block in top_level_blocks(path, "locals"))


# --- the database URL -------------------------------------------------------


def _database_url(terraform_binary: str, tmp_path: Path, password: str) -> str:
    expression = replace_references(
        locals_defining(MODULES / "cloud-sql", "database_url"),
        {
            "google_sql_user.main.name": "app",
            "random_password.main.result": password,
            "google_sql_database_instance.main.connection_name": CONNECTION_NAME,
            "google_sql_database.main.name": "app",
        },
    )
    assert not re.search(r"\b(google|random)_\w+\.", expression), expression
    return evaluate(terraform_binary, "local.database_url", directory=tmp_path / "sql", files={"locals.tf": expression})


def test_database_url_reaches_the_connector_socket_through_the_apps_parser(
    terraform_binary: str, tmp_path: Path
) -> None:
    url = _database_url(terraform_binary, tmp_path, "Gq7rXk2mP9")
    # The same readers app/config/settings.py uses.
    checked = Env({"DATABASE_URL": url}).url("DATABASE_URL", schemes=("postgres", "postgresql"), required=True)
    assert checked is not None
    database = dj_database_url.parse(checked)
    assert database.get("HOST") == f"/cloudsql/{CONNECTION_NAME}"  # libpq: a directory means a Unix socket
    assert (database.get("NAME"), database.get("USER"), database.get("PASSWORD")) == ("app", "app", "Gq7rXk2mP9")
    assert database.get("ENGINE") == "django.db.backends.postgresql"


# --- the CDN signing key ----------------------------------------------------


def _cdn_key(terraform_binary: str, tmp_path: Path, raw: bytes) -> str:
    expression = replace_references(
        locals_defining(MODULES / "load-balancer", "cdn_signing_key"),
        {"random_bytes.main.base64": base64.b64encode(raw).decode()},
    )
    return evaluate(
        terraform_binary, "local.cdn_signing_key", directory=tmp_path / "cdn", files={"locals.tf": expression}
    )


def test_cdn_signing_key_is_the_url_safe_base64_the_app_decodes(terraform_binary: str, tmp_path: Path) -> None:
    raw = bytes([0xFB, 0xEF, 0xFF] * 5 + [0xFE])  # standard base64 of these has both + and /
    assert {"+", "/"} <= set(base64.b64encode(raw).decode())
    key = _cdn_key(terraform_binary, tmp_path, raw)
    assert not {"+", "/"} & set(key)
    # What app/integrations/cloud_cdn.py does with CDN_SIGNING_KEY.
    assert base64.urlsafe_b64decode(key) == raw and len(raw) * 8 == 128


# --- the platform's settings for the app, per environment --------------------


def _platform_inputs(environment: str) -> dict[str, Any]:
    """What the environment root gives the platform module, with its tfvars example's values."""
    root = hcl.load(ENVIRONMENTS / environment)
    with (ENVIRONMENTS / environment / "terraform.tfvars.example").open() as handle:
        example = plain(hcl2.load(handle))
    inputs: dict[str, Any] = {"google_oauth_client_secret": "GOCSPX-example"}
    for name, value in root.modules()["platform"].items():
        if name == "source":
            continue
        if isinstance(value, str) and (match := re.fullmatch(r"\$\{var\.(\w+)\}", value)):
            inputs[name] = example.get(match[1], root.variables()[match[1]].get("default"))
        elif isinstance(value, str) and (match := re.match(r"\$\{var\.(\w+) == null \? null :", value)):
            # An optional part (the Swarm VM): absent unless the example sets it.
            inputs[name] = None if example.get(match[1]) is None else value
        elif isinstance(value, str) and (match := re.fullmatch(r"\$\{local\.(\w+)\}", value)):
            inputs[name] = root.locals()[match[1]]
        elif isinstance(value, str) and "path.module" in value:
            inputs[name] = "(a file of the repository)"
        else:
            inputs[name] = value
    return {name: value for name, value in inputs.items() if value is not None}


def _platform_locals(terraform_binary: str, directory: Path, inputs: dict[str, Any]) -> dict[str, Any]:
    text = SECRET_ID.sub(
        lambda m: f'"projects/{inputs["project_id"]}/secrets/{m[1]}"', _locals_text(MODULES / "platform")
    )
    text = replace_references(text, MODULE_OUTPUTS)
    assert "module." not in text, "a module output the test does not know: add it to MODULE_OUTPUTS"
    files = {"variables.tf": (MODULES / "platform" / "variables.tf").read_text(), "locals.tf": text}
    expression = (
        "{service = local.service_env, service_secrets = local.service_secret_env,"
        " job = local.job_env, job_secrets = local.job_secret_env}"
    )
    return evaluate(terraform_binary, expression, directory=directory, files=files, variables=inputs)


@pytest.fixture(scope="module", params=["staging", "production"])
def rendered(
    request: pytest.FixtureRequest, terraform_binary: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, dict[str, Any]]:
    environment: str = request.param
    directory = tmp_path_factory.mktemp(environment)
    return environment, _platform_locals(terraform_binary, directory, _platform_inputs(environment))


def test_each_environments_sizing_passes_the_platforms_validations(rendered: tuple[str, dict[str, Any]]) -> None:
    # Evaluating at all ran every variable validation, the pool-size one included.
    _, settings = rendered
    assert int(settings["service"]["DATABASE_POOL_MAX_SIZE"]) >= 4


def test_a_pool_too_large_for_the_database_is_refused(terraform_binary: str, tmp_path: Path) -> None:
    inputs = {**_platform_inputs("production"), "database_pool_max_size": 20}
    with pytest.raises(AssertionError, match="database_pool_max_size must be at least 4"):
        _platform_locals(terraform_binary, tmp_path, inputs)


def _secret_values(terraform_binary: str, tmp_path: Path) -> dict[str, str]:
    """Values of the shape each secret will hold, the generated ones made by Terraform's own expressions."""
    return {
        "django-secret-key": "k" + "Xq7rB2mZ9w" * 6,
        "database-url": _database_url(terraform_binary, tmp_path, "Gq7rXk2mP9"),
        "cdn-signing-key": _cdn_key(terraform_binary, tmp_path, os.urandom(16)),
        "google-oauth-client-secret": "GOCSPX-example",
    }


def _start_app(environ: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`app check --deploy` in production mode, with exactly this environment and nothing else."""
    base = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "APP_VAR_DIR": str(tmp_path / "var")}
    # The exporters stay off: nothing listens on the sidecar's port here.
    environment = {**base, **environ, "DJANGO_ENV": "production", "OTEL_SDK_DISABLED": "true"}
    return run_app(environment, "check", "--deploy", "--fail-level", "WARNING")


@pytest.mark.parametrize("workload", ["service", "job"])
def test_the_app_starts_in_production_with_the_settings_terraform_gives_it(
    rendered: tuple[str, dict[str, Any]], workload: str, terraform_binary: str, tmp_path: Path
) -> None:
    environment, settings = rendered
    values = _secret_values(terraform_binary, tmp_path)
    secrets = {name: values[secret_id.rsplit("/", 1)[1]] for name, secret_id in settings[f"{workload}_secrets"].items()}
    environ = {**settings[workload], **secrets}
    assert not set(settings[workload]) & set(secrets)
    result = _start_app(environ, tmp_path)
    assert result.returncode == 0, f"{environment} {workload}: {result.stdout}{result.stderr}"


def test_allowed_hosts_admit_the_domain_the_probes_and_the_tag_urls_only(rendered: tuple[str, dict[str, Any]]) -> None:
    _, settings = rendered
    allowed = settings["service"]["DJANGO_ALLOWED_HOSTS"].split(",")
    region = "europe-west1"
    for host in (
        allowed[0],  # the app's domain
        "localhost",
        "canary---file-drop-a1b2c3d4e5-ew.a.run.app",
        f"canary---file-drop-123456789.{region}.run.app",
    ):
        assert validate_host(host, allowed), host
    for host in ("evil.example.net", f"{region}.run.app.evil.net", "run.app"):
        assert not validate_host(host, allowed), host


# --- Workload Identity Federation: who may authenticate --------------------


def _condition(terraform_binary: str, directory: Path, environment: str) -> str:
    inputs = _platform_inputs(environment)
    # The inputs the condition reads, as the platform passes them; the rest only need a value.
    variables = {
        "github_repository": inputs["github_repository"],
        "github_repository_id": inputs.get("github_repository_id"),
        "allowed_refs": inputs.get("github_allowed_refs", []),
        "allowed_ref_prefixes": inputs.get("github_allowed_ref_prefixes", []),
        **dict.fromkeys(
            ("project_id", "region", "artifact_registry_location", "artifact_registry_repository", "cloud_run_service",
             "migrations_job", "service_runtime_account", "job_runtime_account", "smoke_test_token_secret"),
            "-",
        ),
    }  # fmt: skip
    module = MODULES / "github-ci"
    files = {name: (module / name).read_text() for name in ("variables.tf", "condition.tf")}
    return evaluate(
        terraform_binary, "local.attribute_condition", directory=directory, files=files, variables=variables
    )


def _admits(condition: str, **claims: str) -> bool:
    environment = celpy.Environment()
    program = environment.program(environment.compile(condition))
    return bool(program.evaluate({"assertion": json_to_cel(claims)}))


def _token(
    repository: str = REPOSITORY, repository_id: str = REPOSITORY_ID, ref: str = "refs/heads/main"
) -> dict[str, str]:
    """The claims of a GitHub Actions OIDC token that the condition reads."""
    return {"repository": repository, "repository_id": repository_id, "ref": ref, "sub": f"repo:{repository}:ref:{ref}"}


def test_production_admits_main_and_release_tags_of_this_repository_only(terraform_binary: str, tmp_path: Path) -> None:
    condition = _condition(terraform_binary, tmp_path, "production")
    assert _admits(condition, **_token(ref="refs/heads/main"))
    assert _admits(condition, **_token(ref="refs/tags/v1.4.0"))
    for refused in (
        _token(ref="refs/heads/feature"),
        _token(ref="refs/heads/main-evil"),
        _token(ref="refs/pull/7/merge"),
        _token(ref="refs/tags/release-1"),
        _token(ref="refs/heads/fork/refs/tags/v9"),  # a branch named like a release tag
        _token(repository="mallory/overengineered-backend"),
        _token(repository_id="987654321"),  # the same name, re-created by someone else
    ):
        assert not _admits(condition, **refused), refused


def test_staging_admits_any_ref_of_this_repository_only(terraform_binary: str, tmp_path: Path) -> None:
    condition = _condition(terraform_binary, tmp_path, "staging")
    assert _admits(condition, **_token(ref="refs/heads/feature"))
    assert _admits(condition, **_token(ref="refs/pull/7/merge"))
    assert not _admits(condition, **_token(repository="acme/other"))
    assert not _admits(condition, **_token(repository_id="987654321"))


def test_scheduled_cleanup_posts_a_run_job_request_with_overrides(terraform_binary: str, tmp_path: Path) -> None:
    job = hcl.load(MODULES / "cloud-run-job").resource("google_cloud_scheduler_job", "main").raw
    body = job["http_target"][0]["body"].removeprefix("${").removesuffix("}")
    decoded = evaluate(
        terraform_binary,
        f"base64decode({body})",
        directory=tmp_path,
        files={"variables.tf": 'variable "schedule" {\n  type = any\n}\n'},
        variables={"schedule": {"args": ["cleanup_uploads"]}},
    )
    # Cloud Run Admin API v2, jobs.run: RunJobRequest.overrides.
    assert json.loads(decoded) == {"overrides": {"containerOverrides": [{"args": ["cleanup_uploads"]}]}}
