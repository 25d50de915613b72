"""`.ci/run` and the Dagger `check` pipeline do the same thing: same packages, tools,
environment and commands. `.ci/run` really runs here, with apt-get and uv replaced by
recorders; the `check` plan is read from its offline call chain; the two must agree."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ci import checks, pipelines, workspace
from tests.infra.ci.chain import calls_named, execs

RECORDER = """#!{python}
import json, os, sys
name = os.path.basename(sys.argv[0])
args = sys.argv[1:]
if name == "uv" and args == ["--version"]:
    print("uv {uv_version} (recorded)")
elif name == "uv" and args[:2] == ["tool", "list"]:
    pass  # no tool installed yet
else:
    with open(os.environ["CI_CALLS"], "a") as calls:
        calls.write(json.dumps({{"argv": [name, *args], "env": dict(os.environ)}}) + "\\n")
"""
# Set by the shell or by the recorder's own environment, not by .ci/run's intent.
SHELL_VARIABLES = frozenset({"PATH", "PWD", "OLDPWD", "SHLVL", "_"})
# The container's first `uv sync` only caches the dependency layer before the source arrives.
LAYER_CACHING = ["uv", "sync", "--locked", "--no-install-project"]


def _run_ci_script(repository: Path, tmp_path: Path) -> tuple[list[dict[str, Any]], dict[str, str]]:
    recorders = tmp_path / "bin"
    recorders.mkdir()
    for name in ("apt-get", "uv", "npm"):
        recorder = recorders / name
        recorder.write_text(RECORDER.format(python=sys.executable, uv_version=checks.UV_VERSION))
        recorder.chmod(0o755)
    base = {
        "PATH": os.pathsep.join([str(recorders), str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
        "HOME": str(tmp_path / "home"),
        "LANG": "C.UTF-8",  # else the recorders (Python) coerce the C locale themselves
        "CI_CALLS": str(tmp_path / "calls.jsonl"),
    }
    result = subprocess.run(
        [str(repository / ".ci" / "run")], env=base, capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    calls = [json.loads(line) for line in (tmp_path / "calls.jsonl").read_text().splitlines()]
    return calls, base


def _native(calls: list[dict[str, Any]], base: dict[str, str]) -> dict[str, Any]:
    """What `.ci/run` did: the packages it installed, its uv commands, what it exported."""
    apt_install = next(call["argv"] for call in calls if call["argv"][:2] == ["apt-get", "install"])
    uv_calls = [call for call in calls if call["argv"][0] == "uv"]
    npm_calls = [call["argv"] for call in calls if call["argv"][0] == "npm"]
    at_tests = uv_calls[-1]["env"]
    exported = {
        name: value for name, value in at_tests.items() if base.get(name) != value and name not in SHELL_VARIABLES
    }
    exported.pop("CI_CALLS", None)
    return {
        "packages": [arg for arg in apt_install[2:] if not arg.startswith("-")],
        "setup": sorted(call["argv"] for call in uv_calls if call["argv"][1] != "run"),
        "npm": npm_calls,
        "steps": [call["argv"] for call in uv_calls if call["argv"][1] == "run"],
        "env": exported,
    }


def _in_container(build: pipelines.Build) -> dict[str, Any]:
    """What the `check` pipeline's containers do, read from the plan."""
    steps = pipelines.check_plan(build)
    first = next(iter(steps.values()))
    commands = execs(first)[:-1]  # all steps share these; each adds its own last one
    apt_install = next(args for args in commands if args[:2] == ["apt-get", "install"])
    env = {call.args["name"]: call.args["value"] for call in calls_named(first, "withEnvVariable")}
    for name in workspace.CONTAINER_ENV:
        env.pop(name)
    return {
        "packages": [arg for arg in apt_install[2:] if not arg.startswith("-")],
        "setup": sorted(args for args in commands if args[0] == "uv" and args != LAYER_CACHING),
        "npm": [args for args in commands if args[0] == "npm"],
        "steps": [execs(step)[-1] for step in steps.values()],
        "env": env,
    }


@pytest.fixture(scope="module")
def native(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from tests.infra.ci.conftest import REPOSITORY

    return _native(*_run_ci_script(REPOSITORY, tmp_path_factory.mktemp("ci-run")))


def test_ci_run_does_what_ci_checks_defines(native: dict[str, Any]) -> None:
    assert native == {
        "packages": list(checks.SYSTEM_PACKAGES),
        "setup": sorted(
            [list(checks.SETUP_COMMAND), *(list(checks.uv_tool_install(s)) for s in checks.uv_tool_specs())]
        ),
        "npm": [list(checks.npm_install(project)) for project in checks.NPM_PROJECTS],
        "steps": [list(command) for command in checks.CI_STEPS.values()],
        "env": checks.environment(),
    }


def test_the_check_pipeline_does_what_ci_run_does(native: dict[str, Any], build: pipelines.Build) -> None:
    assert _in_container(build) == native
