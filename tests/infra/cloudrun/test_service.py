"""deploy/cloudrun/service.yaml: the app finds its flag file where the secret is mounted."""

from pathlib import Path
from typing import Any

import yaml

from tests.support.paths import REPO_ROOT

SERVICE = REPO_ROOT / "deploy" / "cloudrun" / "service.yaml"


def _app_and_volumes() -> tuple[dict[str, Any], dict[str, Any]]:
    spec = yaml.safe_load(SERVICE.read_text())["spec"]["template"]["spec"]
    app = next(container for container in spec["containers"] if container["name"] == "app")
    return app, {volume["name"]: volume for volume in spec["volumes"]}


def test_app_reads_the_flag_file_from_the_latest_version_of_a_mounted_secret() -> None:
    app, volumes = _app_and_volumes()
    env = {variable["name"]: variable.get("value") for variable in app["env"]}
    flags_file = Path(env["FLAGS_FILE"])
    (mount,) = [m for m in app["volumeMounts"] if m["mountPath"] == flags_file.parent.as_posix()]
    secret = volumes[mount["name"]]["secret"]
    assert secret["items"] == [{"key": "latest", "path": flags_file.name}]
    # Every look costs a Secret Manager access: not the default of once a second.
    assert int(env["FLAGS_POLL_INTERVAL_MS"]) >= 10_000
