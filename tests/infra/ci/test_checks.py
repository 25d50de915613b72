"""ci/checks.py is the one definition of the checks, and runs natively."""

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from ci import checks

FAKE_UV = """#!/bin/sh
echo "$*" >> "$UV_CALLS"
case "$*" in *"$UV_FAIL_ON"*) exit 3 ;; esac
"""


def test_lint_commands_are_ruff_check_ruff_format_and_pyright_over_code_and_tests_through_uv_run() -> None:
    assert checks.lint_commands() == (
        ("uv", "run", "ruff", "check", "."),
        ("uv", "run", "ruff", "format", "--check", "."),
        ("uv", "run", "pyright"),
        ("uv", "run", "pyright", "--project", "tests"),
    )


def test_test_command_is_pytest_through_uv_run() -> None:
    assert checks.TEST_COMMAND == ("pytest",)
    assert checks.test_command() == ("uv", "run", "pytest")


def test_ci_steps_are_the_lint_from_checks_then_readmes_test_command(repository: Path) -> None:
    assert list(checks.CI_STEPS.items()) == [
        ("lint", ("uv", "run", "python", "-m", "ci.checks", "lint")),
        ("test", ("uv", "run", "pytest")),
    ]
    readme = (repository / "README.md").read_text()
    assert "uv run pytest" in readme
    lines = [line.strip() for line in (repository / ".ci" / "run").read_text().splitlines()]
    assert [line for line in lines if line.startswith("uv run ")] == [" ".join(c) for c in checks.CI_STEPS.values()]


def test_required_tools_are_every_executable_ci_installs() -> None:
    tools = checks.required_tools()
    assert len(tools) == len(set(tools))
    assert "checkov" in tools
    assert {"pebble", "pebble-challtestsrv", "envsubst", "nix-instantiate"} <= set(tools)
    assert set(checks.DEV_TOOLS) <= set(tools)
    assert checks.environment()["REQUIRE_TOOLS"] == " ".join(tools)
    assert checks.environment()["REQUIRE_POSTGRES"] == "1"


def test_each_dev_tool_is_an_executable_of_the_locked_environment() -> None:
    """A name in DEV_TOOLS that uv.lock does not install would fail CI; fail here first."""
    venv_bin = Path(sys.executable).parent
    for tool in checks.DEV_TOOLS:
        assert (venv_bin / tool).exists(), f"{tool} is not installed by `uv sync`: add it with `uv add --dev`"


def test_env_prints_shell_exports_that_reproduce_the_environment() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ci.checks", "env"], capture_output=True, text=True, check=True, timeout=60
    )
    exported = dict(
        line.removeprefix("export ").split("=", 1) for line in result.stdout.splitlines() if line.startswith("export ")
    )
    assert {name: shlex.split(value)[0] for name, value in exported.items()} == checks.environment()


def test_uv_tools_are_pinned_and_installed_by_replacing() -> None:
    assert checks.uv_tool_specs() == (f"checkov=={checks.CHECKOV_VERSION}",)
    assert checks.uv_tool_install("checkov==1.0") == ("uv", "tool", "install", "--force", "checkov==1.0")


def _run_lint_with_fake_uv(tmp_path: Path, repository: Path, fail_on: str) -> tuple[int, str, list[str]]:
    """`python -m ci.checks lint` with a recording `uv` first on PATH."""
    fake = tmp_path / "bin" / "uv"
    fake.parent.mkdir()
    fake.write_text(FAKE_UV)
    fake.chmod(0o755)
    calls = tmp_path / "calls"
    env = {
        **os.environ,
        "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}",
        "UV_CALLS": str(calls),
        "UV_FAIL_ON": fail_on,
    }
    result = subprocess.run(
        [sys.executable, "-m", "ci.checks", "lint"],
        cwd=repository,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    recorded = calls.read_text().splitlines() if calls.exists() else []
    return result.returncode, result.stdout, recorded


def test_lint_runs_every_command_in_order_and_prints_each(tmp_path: Path, repository: Path) -> None:
    returncode, stdout, calls = _run_lint_with_fake_uv(tmp_path, repository, "nothing-fails")
    assert returncode == 0
    assert calls == ["run ruff check .", "run ruff format --check .", "run pyright", "run pyright --project tests"]
    assert "+ uv run ruff check ." in stdout
    assert "+ uv run pyright" in stdout


def test_lint_stops_at_the_first_failure_with_its_exit_code(tmp_path: Path, repository: Path) -> None:
    returncode, _, calls = _run_lint_with_fake_uv(tmp_path, repository, "format")
    assert returncode == 3
    assert calls == ["run ruff check .", "run ruff format --check ."]


def test_shell_scripts_are_found_by_extension_and_shebang_outside_local_state(
    tmp_path: Path,
) -> None:
    (tmp_path / "deploy.sh").write_text("echo hi\n")
    (tmp_path / ".ci").mkdir()
    (tmp_path / ".ci" / "run").write_text("#!/usr/bin/env bash\nset -eu\n")
    (tmp_path / "tool.py").write_text("#!/usr/bin/env python3\n")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "activate.sh").write_text("echo\n")
    assert checks.shell_scripts(tmp_path) == [".ci/run", "deploy.sh"]


def test_static_scans_cover_the_supply_chain_tools() -> None:
    commands = checks.static_scan_commands(shell_script_paths=[".ci/run"])
    assert set(commands) == {"pip-audit", "bandit", "hadolint", "zizmor", "shellcheck"}
    assert "uv export --locked" in commands["pip-audit"][-1]
    assert "pip-audit --strict --disable-pip --require-hashes" in commands["pip-audit"][-1]
    assert commands["zizmor"] == ("uv", "run", "zizmor", "--offline", ".github")
    assert commands["shellcheck"] == ("uv", "run", "shellcheck", ".ci/run")
    assert "shellcheck" not in checks.static_scan_commands(shell_script_paths=[])


def test_shellcheck_command_fails_on_a_broken_script(tmp_path: Path, repository: Path) -> None:
    broken = tmp_path / "broken.sh"
    broken.write_text("#!/bin/sh\nrm -rf $1/*\nif [ $x = 1 ]; then echo; fi\n")
    command = checks.static_scan_commands(shell_script_paths=[str(broken)])["shellcheck"]
    result = subprocess.run(command, cwd=repository, capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "SC2086" in result.stdout


def test_zizmor_command_passes_on_the_workflows_and_dependabot(repository: Path) -> None:
    command = checks.static_scan_commands(shell_script_paths=[])["zizmor"]
    result = subprocess.run(command, cwd=repository, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("system-packages", " ".join(checks.SYSTEM_PACKAGES)),
        ("required-tools", " ".join(checks.required_tools())),
        ("uv-version", checks.UV_VERSION),
        ("uv-tools", "\n".join(checks.uv_tool_specs())),
    ],
)
def test_ci_lists_print_with_the_system_python_before_uv_exists(repository: Path, command: str, expected: str) -> None:
    """`.ci/run` asks for them with Debian's python3, which may be older than 3.12."""
    python3 = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
    result = subprocess.run(
        [python3, "-m", "ci.checks", command],
        cwd=repository,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == expected
