"""terraform/ read with python-hcl2, as blocks the policy tests can query.

python-hcl2 keeps HCL's quoting (`'"text"'`) and wraps expressions in `${...}`;
`plain` undoes the quoting of literals so tests compare plain strings, and
leaves expressions as `${...}` text.
"""

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import hcl2

from tests.support.paths import REPO_ROOT

TERRAFORM = REPO_ROOT / "terraform"
MODULES = TERRAFORM / "modules"
ENVIRONMENTS = TERRAFORM / "environments"
# Keys python-hcl2 adds to mark blocks and keep comments.
_META_KEYS = frozenset({"__is_block__", "__comments__", "__inline_comments__"})


def unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text[1:-1]
    return text


def plain(value: Any) -> Any:
    """The parsed value with literal strings unquoted and python-hcl2's markers removed."""
    if isinstance(value, str):
        return unquote(value)
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {unquote(key): plain(item) for key, item in value.items() if key not in _META_KEYS}
    return value


def is_block(value: Any) -> bool:
    """A nested block (python-hcl2 marks each one), as opposed to an attribute."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, dict) and item.get("__is_block__") for item in value)
    )


@dataclass(frozen=True)
class Block:
    kind: str  # resource, data, variable, output, module, locals, terraform, provider, check
    labels: tuple[str, ...]
    raw: dict[str, Any]
    path: Path

    @property
    def body(self) -> dict[str, Any]:
        return plain(self.raw)

    @property
    def address(self) -> str:
        return ".".join((self.kind, *self.labels))


@dataclass
class Config:
    """One directory of .tf files: a module or an environment root."""

    path: Path
    blocks: list[Block] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name

    def of_kind(self, kind: str) -> list[Block]:
        return [block for block in self.blocks if block.kind == kind]

    def resources(self, resource_type: str | None = None) -> list[Block]:
        return [block for block in self.of_kind("resource") if resource_type in (None, block.labels[0])]

    def resource(self, resource_type: str, name: str) -> Block:
        return next(block for block in self.resources(resource_type) if block.labels[1] == name)

    def variables(self) -> dict[str, dict[str, Any]]:
        return {block.labels[0]: block.body for block in self.of_kind("variable")}

    def outputs(self) -> dict[str, dict[str, Any]]:
        return {block.labels[0]: block.body for block in self.of_kind("output")}

    def modules(self) -> dict[str, dict[str, Any]]:
        return {block.labels[0]: block.body for block in self.of_kind("module")}

    def locals(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for block in self.of_kind("locals"):
            merged.update(block.body)
        return merged


def _blocks(path: Path) -> list[Block]:
    with path.open() as handle:
        parsed: dict[str, list[dict[str, Any]]] = hcl2.load(handle)
    found: list[Block] = []
    for kind, entries in parsed.items():
        if kind in _META_KEYS:
            continue
        for entry in entries:
            labels: list[str] = []
            body = entry
            # Labels nest as single-key dicts until the block's own body.
            depth = {"resource": 2, "data": 2, "variable": 1, "output": 1, "module": 1, "provider": 1, "check": 1}.get(
                kind, 0
            )
            for _ in range(depth):
                ((label, body),) = ((key, value) for key, value in body.items() if key not in _META_KEYS)
                labels.append(unquote(label))
            found.append(Block(kind=kind, labels=tuple(labels), raw=body, path=path))
    return found


@cache
def load(directory: Path) -> Config:
    """The directory's blocks, parsed once per test session (treat as read-only)."""
    config = Config(path=directory)
    for path in sorted(directory.glob("*.tf")):
        config.blocks.extend(_blocks(path))
    return config


def modules() -> dict[str, Config]:
    return {path.name: load(path) for path in sorted(MODULES.iterdir()) if path.is_dir()}


def environments() -> dict[str, Config]:
    return {path.name: load(path) for path in sorted(ENVIRONMENTS.iterdir()) if path.is_dir()}


def every_config() -> list[Config]:
    return [*modules().values(), *environments().values()]


def terraform_files() -> list[Path]:
    return sorted(TERRAFORM.rglob("*.tf"))
