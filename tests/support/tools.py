"""Finding the executables the suite drives, and what to do when one is missing.

Dev dependencies (`uv sync`) must be there: their absence fails the test.
System tools may be absent on a developer's machine: their tests skip and say
how to install them. CI lists every system tool in REQUIRE_TOOLS, and
`tests.plugin` refuses to start a run in which one of those is missing, so
there a skip can never hide a broken install.
"""

import os
import shutil
import sys
from pathlib import Path

import pytest

from ci.checks import NPM_PROJECTS
from tests.support.paths import REPO_ROOT

# Where `uv tool install` puts executables; PATH may lack it.
UV_TOOL_BIN = Path.home() / ".local" / "bin"
# Where `npm ci` puts the npm projects' executables (ci/checks.py NPM_PROJECTS).
NPM_BINS = tuple(REPO_ROOT / project / "node_modules" / ".bin" for project in NPM_PROJECTS)


def find_tool(name: str) -> str | None:
    """A command from PATH, the environment running the tests, `uv tool install`'s bin, or an npm project's."""
    found = shutil.which(name)
    if found:
        return found
    for directory in (Path(sys.executable).parent, UV_TOOL_BIN, *NPM_BINS):
        if (directory / name).exists():
            return str(directory / name)
    return None


def required_tools_missing() -> list[str]:
    """Tools named in REQUIRE_TOOLS (CI sets it) that are not installed."""
    return [name for name in os.environ.get("REQUIRE_TOOLS", "").split() if find_tool(name) is None]


def venv_tool(name: str) -> str:
    """A console script of a dev dependency: missing means a broken `uv sync`."""
    path = find_tool(name)
    if path is None:
        pytest.fail(f"{name} is a dev dependency but is not installed: uv sync")
    return path


def system_tool(name: str, install: str) -> str:
    """An executable that may be absent on a developer's machine: skip, saying how to get it."""
    path = find_tool(name)
    if path is None:
        pytest.skip(f"{name} not installed ({install})")
    return path
