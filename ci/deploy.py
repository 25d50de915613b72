"""The `deploy` pipeline: the canary controller (`python -m ci.canary`, plain Python in ci/canary/)
in the pinned Python image with the locked `deploy` dependency group, credentials as secrets."""

from collections.abc import Mapping
from typing import Final

import dagger
from dagger import dag

from ci import workspace
from ci.canary import cli

CONTROLLER_SOURCES: Final = ["ci/**"]
CONTROLLER_COMMAND: Final = ["uv", "run", "--no-sync", "python", "-m", "ci.canary"]


def controller(
    source: dagger.Directory, argv: list[str], *, secrets: Mapping[str, dagger.Secret], run_id: str
) -> dagger.Container:
    """`python -m ci.canary <argv>` with only the deploy group installed; `run_id` makes every run its
    own (never a cached result) and names the run in the service's rollout lease."""
    container = (
        dag.container()
        .from_(workspace.PYTHON_IMAGE)
        .with_env_variable("UV_LINK_MODE", "copy")
        .with_env_variable("UV_PYTHON_DOWNLOADS", "never")
        .with_mounted_cache(workspace.UV_CACHE_PATH, dag.cache_volume(workspace.UV_CACHE_VOLUME))
        .with_workdir(workspace.SOURCE_PATH)
        .with_directory(workspace.SOURCE_PATH, source, include=workspace.LOCK_FILES)
        .with_exec(["uv", "sync", "--locked", "--only-group", "deploy", "--no-install-project"])
        .with_directory(workspace.SOURCE_PATH, source, include=CONTROLLER_SOURCES)
    )
    for name, secret in secrets.items():
        container = container.with_secret_variable(name, secret)
    return container.with_env_variable(cli.RUN_ID_ENV, run_id).with_exec([*CONTROLLER_COMMAND, *argv])
