"""Running checkov and reading its JSON report."""

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.support.tools import system_tool


def checkov_report(*arguments: str, cwd: Path, home: Path | None = None) -> dict[str, Any]:
    """checkov's report for one framework (`--framework X` among the arguments), offline."""
    binary = system_tool("checkov", "install: uv tool install checkov")
    result = subprocess.run(
        [binary, *arguments, "--skip-download", "--output", "json"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        # A fresh HOME keeps checkov from reading or writing a user's settings.
        env={"HOME": str(home), "PATH": "/usr/bin:/bin"} if home else None,
    )
    assert result.stdout.strip(), result.stderr
    report = json.loads(result.stdout)
    # checkov prints one report per framework; with a single framework it is an object.
    return report[0] if isinstance(report, list) else report
