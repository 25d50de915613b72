"""pyright strict over ci/, against the typed dagger-io SDK."""

import json
import subprocess

from tests.infra.ci.conftest import REPOSITORY
from tests.support.tools import venv_tool


def test_pyright_strict_passes_over_ci() -> None:
    result = subprocess.run(
        [venv_tool("pyright"), "--outputjson", "ci"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    report = json.loads(result.stdout)
    errors = [d for d in report["generalDiagnostics"] if d["severity"] == "error"]
    assert report["summary"]["filesAnalyzed"] >= 10
    assert errors == [], errors
    assert result.returncode == 0
