"""Evaluating expressions from terraform/ with the real terraform, offline.

`terraform console` needs no provider for a configuration made only of
variables and locals, so the pure parts of a module (its variables and its
locals, copied verbatim) are evaluated here exactly as Terraform evaluates them,
validations included. References to resources or other modules are replaced
by literals first.
"""

import json
import re
from pathlib import Path
from typing import Any

from tests.infra.terraform.conftest import terraform

# A top-level block of a `terraform fmt`-formatted file: from its first line to
# the first line that is a lone closing brace.
_TOP_LEVEL_BLOCK = r"^{kind} \{{\n.*?^\}}\n"


def top_level_blocks(path: Path, kind: str) -> list[str]:
    return re.findall(_TOP_LEVEL_BLOCK.format(kind=kind), path.read_text(), re.MULTILINE | re.DOTALL)


def locals_defining(directory: Path, name: str) -> str:
    """The module's locals block that defines `name`."""
    blocks = [block for path in sorted(directory.glob("*.tf")) for block in top_level_blocks(path, "locals")]
    (block,) = [block for block in blocks if re.search(rf"^  {name} +=", block, re.MULTILINE)]
    return block


def replace_references(text: str, literals: dict[str, str]) -> str:
    """Each reference in `literals` (e.g. `random_bytes.main.base64`) replaced by its literal, as an HCL string."""
    for reference, value in literals.items():
        text = re.sub(re.escape(reference) + r"(?![\w.])", json.dumps(value), text)
    return text


def evaluate(
    binary: str,
    expression: str,
    *,
    directory: Path,
    files: dict[str, str] | None = None,
    variables: dict[str, Any] | None = None,
) -> Any:
    """The JSON value of `expression`, evaluated in `directory` holding `files` and `variables`."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in (files or {}).items():
        (directory / name).write_text(text)
    if variables is not None:
        (directory / "terraform.tfvars.json").write_text(json.dumps(variables))
    result = terraform(binary, "console", "-no-color", cwd=directory, stdin=f"jsonencode({expression})\n")
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "Error:" not in output and "Warning:" not in output, output
    return json.loads(json.loads(result.stdout.strip()))
