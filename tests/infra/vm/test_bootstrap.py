"""deploy/vm/bootstrap.sh's install step, run for real on a throwaway project.

The unit runs under ProtectSystem=strict, so nothing can write a .pyc at start:
whatever bootstrap.sh leaves uncompiled is compiled again at every start. Its
own environment and `uv sync` line run here unchanged but for paths (uv's
location, the project, the managed-Python directory).
"""

import re
import subprocess
import sys
from pathlib import Path

from tests.support.paths import REPO_ROOT
from tests.support.tools import system_tool

BOOTSTRAP = REPO_ROOT / "deploy" / "vm" / "bootstrap.sh"
PACKAGE = "probe_app"


def _bootstrap_line(pattern: str) -> str:
    lines = [line.strip() for line in BOOTSTRAP.read_text().splitlines() if re.search(pattern, line)]
    assert len(lines) == 1, f"bootstrap.sh has {len(lines)} lines matching {pattern!r}"
    return lines[0]


def _project(root: Path) -> Path:
    """A project built like the app's (hatchling, one package), with no dependencies."""
    root.mkdir()
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "probe-app"\nversion = "0"\nrequires-python = ">=3.12"\n\n'
        '[build-system]\nrequires = ["hatchling>=1.27"]\nbuild-backend = "hatchling.build"\n\n'
        f'[tool.hatch.build.targets.wheel]\npackages = ["{PACKAGE}"]\n'
    )
    (root / PACKAGE).mkdir()
    (root / PACKAGE / "__init__.py").write_text("WHERE = __file__\n")
    return root


def test_bootstrap_installs_the_app_compiled_and_not_linked_to_the_checkout(tmp_path: Path) -> None:
    uv = system_tool("uv", "python3 -m pip install uv")
    cache = subprocess.run([uv, "cache", "dir"], capture_output=True, text=True, check=True).stdout.strip()
    project = _project(tmp_path / "checkout")
    # Offline: hatchling comes from uv's cache, as the suite's own `uv sync` left it.
    env = {"PATH": f"{Path(sys.base_prefix) / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path), "APP_DIR": str(project)}
    env |= {"UV_OFFLINE": "1", "UV_PYTHON_DOWNLOADS": "never"}
    subprocess.run([uv, "lock", "--project", str(project)], env=env | {"UV_CACHE_DIR": cache}, check=True)
    script = "\n".join(
        [
            _bootstrap_line(r"^export UV_")
            .replace("/opt/uv/python", str(tmp_path / "pythons"))
            .replace("/var/cache/uv", cache),
            _bootstrap_line(r"uv sync ").replace("/opt/uv/bin/uv", uv),
        ]
    )

    subprocess.run(["sh", "-ec", script], env=env, check=True, capture_output=True)

    site_packages = next((project / ".venv" / "lib").glob("python3.*/site-packages"))
    assert list((site_packages / PACKAGE / "__pycache__").glob("__init__.cpython-3*.pyc")), "not compiled"
    imported = subprocess.run(
        [project / ".venv" / "bin" / "python", "-c", f"import {PACKAGE}; print({PACKAGE}.WHERE)"],
        env={"PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(imported.stdout.strip()).is_relative_to(site_packages), "the app runs from the checkout"
