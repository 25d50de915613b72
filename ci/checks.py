"""The one definition of what the checks are.

`.ci/run` runs these natively (`uv run python -m ci.checks lint`, then `uv run pytest`);
the Dagger `check` and `scan` pipelines run the very same argument lists in their
containers. This module must not import dagger: it runs where no engine exists.
"""

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

Command = tuple[str, ...]

LINT_COMMANDS: Final[tuple[Command, ...]] = (
    ("ruff", "check", "."),
    ("ruff", "format", "--check", "."),
    ("pyright",),
    # The tests, with pyright's standard checks (tests/pyrightconfig.json).
    ("pyright", "--project", "tests"),
)
TEST_COMMAND: Final[Command] = ("pytest",)
# Debian packages the test suite drives for real (Postgres, nginx configs, ACME issuance, load, Nix
# parsing, the web pages in a real browser); `.ci/run` installs `python3 -m ci.checks
# system-packages`, the check container the same list.
SYSTEM_PACKAGES: Final[tuple[str, ...]] = (
    "postgresql",
    "nginx",
    "certbot",
    "pebble",
    "wrk",
    "gettext-base",
    "curl",
    "nix-bin",
    "chromium",
)

# Where the scan pipeline writes the locked dependency list it audits.
REQUIREMENTS_EXPORT: Final = "build/requirements.lock.txt"
# Code the security linter reads; tests are left out (asserts and fixtures are fine there).
SECURITY_LINTED_PATHS: Final[tuple[str, ...]] = ("app", "ci")
WORKFLOWS_DIR: Final = ".github/workflows"
DOCKERFILE: Final = "Dockerfile"

_SKIPPED_DIRS: Final = frozenset({".git", ".venv", "var", "build", "node_modules", "__pycache__"})
_SHELL_SHEBANGS: Final = ("#!/bin/sh", "#!/bin/bash", "#!/usr/bin/env bash", "#!/usr/bin/env sh")


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
        "zizmor": uv_run(("zizmor", "--offline", WORKFLOWS_DIR)),
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ci.checks",
        description="Run the project's checks natively, exactly as the Dagger pipelines do.",
    )
    parser.add_argument(
        "suite",
        choices=("lint", "test", "scan", "system-packages"),
        help="lint: ruff and pyright; test: pytest; scan: pip-audit, bandit, hadolint, "
        "zizmor, shellcheck; system-packages: print the Debian packages the tests need",
    )
    suite = parser.parse_args(argv).suite
    if suite == "system-packages":
        print(" ".join(SYSTEM_PACKAGES))
        return 0
    if suite == "lint":
        return run_in_order(lint_commands())
    if suite == "test":
        return run_in_order((test_command(),))
    scans = static_scan_commands(shell_script_paths=shell_scripts(Path.cwd()))
    return run_in_order(tuple(scans.values()))


if __name__ == "__main__":
    sys.exit(main())
