"""The `chaos` pipeline: the experiments in ci/experiments/ against the app on Postgres and the
GCS emulator, with Toxiproxy between the app and each of them.

The runner is the Dockerfile's `dev` target: the app's code and locked dependencies, with the
dev group's Chaos Toolkit, and k6 from its official image for the steady state's burst. The app
runs inside the runner's own container (the experiments kill one of its workers and SIGTERM
it, which only a process beside it can), served by `app serve` with the production settings as
in `perf`. Postgres, the emulator and Toxiproxy are services; Toxiproxy's proxies are made at
its start from a config file. Each experiment's journal is exported; whether the run passed is
decided from the journals on this side (ci/experiments/journal.py).
"""

import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import dagger
from dagger import dag

from ci import loadtest, perf, services
from ci.experiments import journal, runner

# Pinned by tag and digest, mirrored in ci/images.Dockerfile where dependabot bumps them.
TOXIPROXY_IMAGE: Final = (
    "ghcr.io/shopify/toxiproxy:2.12.0@sha256:9378ed52a28bc50edc1350f936f518f31fa95f0d15917d6eb40b8e376d1a214e"
)

TOXIPROXY_ALIAS: Final = "toxiproxy"
TOXIPROXY_API_PORT: Final = 8474
TOXIPROXY_CONFIG_PATH: Final = "/config/toxiproxy.json"
# The proxy names the experiment files use, and the port each listens on.
DATABASE_PROXY_PORT: Final = 15432
STORAGE_PROXY_PORT: Final = 19023
K6_PATH: Final = "/usr/local/bin/k6"
RUNNER_DIR: Final = "/app"
JOURNALS_PATH: Final = "/tmp/chaos"  # noqa: S108 - inside the throwaway runner container
APP_PORT: Final = 8000


def toxiproxy_config() -> str:
    """Toxiproxy's proxies (its `-config` file): `postgres` and `gcs`, toward the real services."""
    proxies = [
        ("postgres", DATABASE_PROXY_PORT, f"{services.POSTGRES_ALIAS}:{services.POSTGRES_PORT}"),
        ("gcs", STORAGE_PROXY_PORT, f"{services.GCS_ALIAS}:{services.GCS_PORT}"),
    ]
    return json.dumps(
        [
            {"name": name, "listen": f"{services.ALL_INTERFACES}:{port}", "upstream": upstream, "enabled": True}
            for name, port, upstream in proxies
        ]
    )


def toxiproxy_service(postgres: dagger.Service, gcs: dagger.Service) -> dagger.Service:
    return (
        dag.container()
        .from_(TOXIPROXY_IMAGE)
        .with_new_file(TOXIPROXY_CONFIG_PATH, toxiproxy_config())
        .with_service_binding(services.POSTGRES_ALIAS, postgres)
        .with_service_binding(services.GCS_ALIAS, gcs)
        .with_exposed_port(TOXIPROXY_API_PORT)
        .with_exposed_port(DATABASE_PROXY_PORT)
        .with_exposed_port(STORAGE_PROXY_PORT)
        .as_service(args=["-host", services.ALL_INTERFACES, "-config", TOXIPROXY_CONFIG_PATH], use_entrypoint=True)
    )


def runner_environment() -> dict[str, str]:
    """The app's production settings, its dependencies reached through Toxiproxy; signed URLs
    point at the emulator itself (clients reach storage on their own path), and the runner's."""
    toxiproxy = TOXIPROXY_ALIAS
    environment = loadtest.app_environment(
        database_url=services.DATABASE_URL.replace(
            f"@{services.POSTGRES_ALIAS}:{services.POSTGRES_PORT}/", f"@{toxiproxy}:{DATABASE_PROXY_PORT}/"
        ),
        storage_emulator_host=f"http://{toxiproxy}:{STORAGE_PROXY_PORT}",
        bucket=perf.BUCKET,
        signing_key_file=perf.SIGNING_KEY_PATH,
        allowed_host="127.0.0.1",
    )
    return environment | {
        "GCS_PUBLIC_ENDPOINT": services.STORAGE_EMULATOR_HOST,
        "TOXIPROXY_URL": f"http://{toxiproxy}:{TOXIPROXY_API_PORT}",
        "CHAOS_K6": K6_PATH,
        "PYTHONPATH": RUNNER_DIR,
    }


def runner_container(
    source: dagger.Directory, dev_image: dagger.Container, *, experiments: list[str], run_id: str
) -> dagger.Container:
    """The runner with the app beside it; its exit status is read, not raised, so that the
    journals of a failed run are still exported."""
    postgres = services.postgres_service()
    gcs = perf.gcs_emulator_service(dev_image)
    container = dev_image.with_directory(f"{RUNNER_DIR}/ci", source.directory("ci"))
    for name, value in runner_environment().items():
        container = container.with_env_variable(name, value)
    secret_key = dag.set_secret(f"chaos-django-secret-key-{run_id}", secrets.token_urlsafe(64))
    selected = [argument for name in experiments for argument in ("--experiment", name)]
    return (
        container.with_secret_variable("DJANGO_SECRET_KEY", secret_key)
        .with_mounted_file(perf.SIGNING_KEY_PATH, perf.signing_key(dev_image), owner=perf.APP_USER)
        .with_file(K6_PATH, dag.container().from_(perf.K6_IMAGE).file("/usr/bin/k6"))
        .with_service_binding(services.POSTGRES_ALIAS, postgres)
        .with_service_binding(services.GCS_ALIAS, gcs)
        .with_service_binding(TOXIPROXY_ALIAS, toxiproxy_service(postgres, gcs))
        # A chaos run's result is never taken from the cache.
        .with_env_variable("CHAOS_RUN_ID", run_id)
        .with_workdir(RUNNER_DIR)
        .with_exec(
            [
                "python",
                "-m",
                "ci.experiments.runner",
                *selected,
                "--journals",
                JOURNALS_PATH,
                "--port",
                str(APP_PORT),
            ],
            expect=dagger.ReturnType.ANY,
        )
    )


@dataclass(frozen=True)
class Plan:
    experiments: tuple[str, ...]
    runner: dagger.Container


def plan(source: dagger.Directory, *, experiment: str | None, run_id: str) -> Plan:
    names: list[str] = [experiment] if experiment else list(runner.EXPERIMENTS)
    for name in names:
        runner.experiment_file(name)  # an unknown name fails here, before any engine
    dev_image = source.docker_build(target="dev")
    return Plan(tuple(names), runner_container(source, dev_image, experiments=names, run_id=run_id))


async def run(plan: Plan, *, output: Path) -> list[str]:
    """Runs the experiments, prints their output, exports the journals: what failed, in words."""
    exit_code = await plan.runner.exit_code()
    print(await plan.runner.stdout())
    journals_dir = output / "chaos"
    await plan.runner.directory(JOURNALS_PATH).export(str(journals_dir))
    found = journal.run_verdict(
        {
            name: json.loads(path.read_text()) if (path := journals_dir / f"{name}.json").exists() else None
            for name in plan.experiments
        }
    )
    if exit_code != 0 and not found:
        print(await plan.runner.stderr())
        found.append(journal.ERROR_RUNNER.format(code=exit_code))
    print(f"journals: {journals_dir}")
    return found
