"""The `perf` pipeline: a k6 scenario against the app image on Postgres and the GCS emulator,
or against a running deployment (`--target`).

Without a target: Postgres is started first and kept up (the migrations and the API token must
land in the database the app then serves), the app image is migrated, a token is issued, and the
image's own command serves it, with the emulator beside it. k6 reads the token from a file, so it
never passes through this program. What the run means is decided in ci/loadtest.py.
"""

import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import dagger
from dagger import dag

from ci import loadtest, services

# Pinned by tag and digest, mirrored in ci/images.Dockerfile where dependabot bumps them.
K6_IMAGE: Final = "grafana/k6:2.3.0@sha256:9c2dee7f8ed74d317e4027c06a10f169b625638189de8d4555d0b3486a5aeb34"

K6_USER: Final = "12345"  # the image's `k6` user
SCRIPTS_SOURCE: Final = "ci/k6"  # in the repository
SCRIPTS_PATH: Final = "/home/k6/scripts"
SUMMARY_PATH: Final = "/home/k6/summary.json"
TOKEN_PATH: Final = "/run/secrets/api-token"  # noqa: S105 - a path, not a token

APP_ALIAS: Final = "app"
APP_PORT: Final = 8000
APP_USER: Final = "10001"  # the image's `app` user
PERF_USER_EMAIL: Final = "perf@example.com"
BUCKET: Final = "perf"
SIGNING_KEY_PATH: Final = "/run/secrets/gcs-signing-key.json"
# Written by the image's own Python (it ships cryptography); the emulator checks no signature,
# but the app signs every upload and download URL.
SIGNING_KEY_SCRIPT: Final = """\
import json
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
pem = key.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()
print(json.dumps({
    "type": "service_account", "project_id": "perf", "private_key_id": "perf", "private_key": pem,
    "client_email": "signer@perf.iam.gserviceaccount.com", "client_id": "0",
    "token_uri": "http://127.0.0.1:9/token",
}))
"""


@dataclass(frozen=True)
class Plan:
    """The k6 run, and the services to start before it and keep up until it ends."""

    scenario: str
    k6: dagger.Container
    services: tuple[dagger.Service, ...] = ()


def gcs_emulator_service(dev_image: dagger.Container) -> dagger.Service:
    """The emulator from the Dockerfile's `dev` target (as in compose.yaml), with the bucket made."""
    command = ["gcp-storage-emulator", "start", "--in-memory", "--port", str(services.GCS_PORT)]
    return dev_image.with_exposed_port(services.GCS_PORT).as_service(
        args=[*command, "--host", services.ALL_INTERFACES, "--default-bucket", BUCKET]
    )


def signing_key(app_image: dagger.Container) -> dagger.File:
    key_file = "/tmp/gcs-signing-key.json"  # noqa: S108 - inside a throwaway container
    return app_image.with_exec(["python", "-c", SIGNING_KEY_SCRIPT], redirect_stdout=key_file).file(key_file)


def configured_app(
    app_image: dagger.Container, *, postgres: dagger.Service, gcs: dagger.Service, run_id: str
) -> dagger.Container:
    """The image with its settings, a fresh secret key and the signing key, bound to its services."""
    environment = loadtest.app_environment(
        database_url=services.DATABASE_URL,
        storage_emulator_host=services.STORAGE_EMULATOR_HOST,
        bucket=BUCKET,
        signing_key_file=SIGNING_KEY_PATH,
        allowed_host=APP_ALIAS,
    )
    container = app_image
    for name, value in environment.items():
        container = container.with_env_variable(name, value)
    secret_key = dag.set_secret(f"perf-django-secret-key-{run_id}", secrets.token_urlsafe(64))
    return (
        container.with_secret_variable("DJANGO_SECRET_KEY", secret_key)
        .with_mounted_file(SIGNING_KEY_PATH, signing_key(app_image), owner=APP_USER)
        .with_service_binding(services.POSTGRES_ALIAS, postgres)
        .with_service_binding(services.GCS_ALIAS, gcs)
    )


def issued_token(app: dagger.Container, *, run_id: str) -> dagger.File:
    """Migrations, then a token for a new user, as a file. Each run's database is new: never cached."""
    token_file = "/tmp/api-token"  # noqa: S105, S108 - a path inside a throwaway container
    return (
        app.with_env_variable("PERF_RUN_ID", run_id)
        .with_exec(["app", "migrate", "--noinput"])
        .with_exec(["app", "issue_token", PERF_USER_EMAIL, "--create-user"], redirect_stdout=token_file)
        .file(token_file)
    )


def app_service(app: dagger.Container) -> dagger.Service:
    """The image's own command (`app serve`, two workers): what ships is what is measured."""
    return app.with_exposed_port(APP_PORT).as_service()


def k6_run(
    scripts: dagger.Directory,
    *,
    scenario: str,
    base_url: str,
    token: dagger.File | dagger.Secret,
    bindings: dict[str, dagger.Service],
    run_id: str,
) -> dagger.Container:
    """k6 running one scenario; its exit status is read, not raised, so a failed run still reports."""
    container = dag.container().from_(K6_IMAGE)
    for alias, service in bindings.items():
        container = container.with_service_binding(alias, service)
    if isinstance(token, dagger.Secret):
        container = container.with_mounted_secret(TOKEN_PATH, token, owner=K6_USER)
    else:
        container = container.with_mounted_file(TOKEN_PATH, token, owner=K6_USER)
    command = loadtest.run_command(f"{SCRIPTS_PATH}/{loadtest.script(scenario)}", summary_path=SUMMARY_PATH)
    return (
        container.with_directory(SCRIPTS_PATH, scripts)
        .with_env_variable("BASE_URL", base_url)
        .with_env_variable("API_TOKEN_FILE", TOKEN_PATH)
        # A load test's result is never taken from the cache.
        .with_env_variable("PERF_RUN_ID", run_id)
        .with_exec(list(command), expect=dagger.ReturnType.ANY)
    )


def local_plan(source: dagger.Directory, app_image: dagger.Container, *, scenario: str, run_id: str) -> Plan:
    """The app image, Postgres and the emulator as services, and k6 pointed at them."""
    postgres = services.postgres_service()
    gcs = gcs_emulator_service(source.docker_build(target="dev"))
    app = configured_app(app_image, postgres=postgres, gcs=gcs, run_id=run_id)
    k6 = k6_run(
        source.directory(SCRIPTS_SOURCE),
        scenario=scenario,
        base_url=f"http://{APP_ALIAS}:{APP_PORT}",
        token=issued_token(app, run_id=run_id),
        # k6 PUTs the bytes to the emulator itself, at the URL the app signed.
        bindings={APP_ALIAS: app_service(app), services.GCS_ALIAS: gcs},
        run_id=run_id,
    )
    return Plan(scenario=scenario, k6=k6, services=(postgres,))


def target_plan(source: dagger.Directory, *, scenario: str, target: str, token: dagger.Secret, run_id: str) -> Plan:
    """k6 alone, against a running deployment."""
    k6 = k6_run(
        source.directory(SCRIPTS_SOURCE),
        scenario=scenario,
        base_url=loadtest.target_check(target),
        token=token,
        bindings={},
        run_id=run_id,
    )
    return Plan(scenario=scenario, k6=k6)


async def run(plan: Plan, *, output: Path) -> str | None:
    """Run k6, print its output and the figures, export the summary; None, or why it failed."""
    for service in plan.services:
        await service.start()
    try:
        exit_code = await plan.k6.exit_code()
        print(await plan.k6.stdout())
        if exit_code not in (loadtest.EXIT_PASSED, loadtest.EXIT_THRESHOLDS_FAILED):
            print(await plan.k6.stderr())
            return loadtest.verdict(plan.scenario, exit_code, None)
        path = output / f"k6-{plan.scenario}-summary.json"
        await plan.k6.file(SUMMARY_PATH).export(str(path))
        summary = json.loads(path.read_text())
        print(loadtest.report(summary), f"k6 summary: {path}", sep="\n")
        return loadtest.verdict(plan.scenario, exit_code, summary)
    finally:
        for service in reversed(plan.services):
            await service.stop()
