"""Provider schemas from the CDK-for-Terraform packages, and a check of HCL against them.

Each prebuilt provider package on PyPI (`cdktf-cdktf-provider-google`, ...)
ships a jsii manifest (`<package>/_jsii/*.jsii.tgz`, `package/.jsii`) that
describes every resource's arguments: the resource class names its Terraform
type in its docs, its initializer takes a `<Resource>Config` interface whose
properties are the arguments in camelCase, and a property whose type is another
data interface is a nested block. Nothing is imported: the manifest is data.
"""

import importlib.metadata
import json
import re
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.infra.terraform.hcl import Block, is_block

# Terraform provider name => the PyPI distribution that carries its schema.
PACKAGES = {
    "google": "cdktf-cdktf-provider-google",
    "cloudflare": "cdktf-cdktf-provider-cloudflare",
    "random": "cdktf-cdktf-provider-random",
}
# Terraform's own arguments, valid on every resource and data source.
META_ARGUMENTS = frozenset({"count", "for_each", "provider", "depends_on", "lifecycle"})
_META_KEYS = frozenset({"__is_block__", "__comments__", "__inline_comments__"})
# "Represents a {@link https://registry.terraform.io/providers/hashicorp/google/6.50.0/docs/resources/x google_x}"
_REPRESENTS = re.compile(
    r"/providers/[^/]+/[^/]+/(?P<version>[0-9.]+)/docs/(?P<kind>resources|data-sources)/\S+ (?P<type>\w+)\}"
)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@dataclass(frozen=True)
class Argument:
    name: str  # camelCase, as in the manifest
    is_required: bool
    block: str | None  # the nested block's interface, None for a plain attribute


@dataclass
class ProviderSchema:
    """One provider's resources and data sources, as the manifest describes them."""

    provider: str
    version: str
    types: dict[str, Any]
    # "google_cloud_run_v2_service" / "data.google_project" => its class's fqn
    classes: dict[str, str] = field(default_factory=dict)

    def config_of(self, address: str) -> str:
        initializer = self.types[self.classes[address]]["initializer"]
        return next(
            parameter["type"]["fqn"] for parameter in initializer["parameters"] if parameter["name"] == "config"
        )

    def arguments(self, interface: str) -> dict[str, Argument]:
        found: dict[str, Argument] = {}
        seen: set[str] = set()
        pending = [interface]
        while pending:  # an interface inherits its parents' properties
            current = pending.pop()
            if current in seen or current not in self.types:
                continue
            seen.add(current)
            definition = self.types[current]
            pending.extend(definition.get("interfaces", []))
            for prop in definition.get("properties", []):
                found[prop["name"]] = Argument(
                    name=prop["name"], is_required=not prop.get("optional", False), block=self._block(prop["type"])
                )
        return found

    def attributes(self, address: str) -> set[str]:
        """What the resource class exposes: its arguments and its computed attributes."""
        names: set[str] = set()
        pending = [self.classes[address]]
        while pending:
            definition = self.types.get(pending.pop(), {})
            names.update(prop["name"] for prop in definition.get("properties", []))
            if "base" in definition:
                pending.append(definition["base"])
        return names

    def _block(self, type_ref: dict[str, Any]) -> str | None:
        if "fqn" in type_ref:
            definition = self.types.get(type_ref["fqn"])
            return type_ref["fqn"] if definition and definition.get("datatype") else None
        if "collection" in type_ref:
            return self._block(type_ref["collection"]["elementtype"])
        if "union" in type_ref:
            for member in type_ref["union"]["types"]:
                if block := self._block(member):
                    return block
        return None


def package_archive(distribution: str) -> Path | None:
    """The jsii manifest archive inside an installed distribution, None if it is not installed."""
    try:
        files = importlib.metadata.files(distribution) or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in files:
        if file.name.endswith(".jsii.tgz"):
            return Path(str(file.locate()))
    return None


def provider_schema(provider: str, archive: Path) -> ProviderSchema:
    with tarfile.open(archive) as bundle:
        member = bundle.extractfile("package/.jsii")
        assert member is not None, f"{archive} has no package/.jsii"
        manifest = json.load(member)
    schema = ProviderSchema(provider=provider, version="", types=manifest["types"])
    for fqn, definition in manifest["types"].items():
        if definition.get("kind") != "class":
            continue
        match = _REPRESENTS.search(definition.get("docs", {}).get("summary", ""))
        if match is None:
            continue
        schema.version = match["version"]
        prefix = "data." if match["kind"] == "data-sources" else ""
        schema.classes[prefix + match["type"]] = fqn
    return schema


@dataclass(frozen=True)
class Finding:
    path: str  # e.g. google_cloud_run_v2_service.template.containers.readinss_probe
    problem: str  # "unknown argument", "missing required argument", ...

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


@dataclass
class Checker:
    """Walks a resource's HCL body along its provider schema."""

    schema: ProviderSchema
    # Arguments newer than the schema, by path: never reported, never walked into.
    additions: frozenset[str]
    findings: list[Finding] = field(default_factory=list)
    used_additions: set[str] = field(default_factory=set)

    def check(self, block: Block) -> None:
        address = block.labels[0] if block.kind == "resource" else f"data.{block.labels[0]}"
        if address not in self.schema.classes:
            self.findings.append(
                Finding(address, f"no such {block.kind} in {self.schema.provider} {self.schema.version}")
            )
            return
        self._walk(block.raw, self.schema.config_of(address), block.labels[0], top_level=True)
        for target in _ignored_paths(block.raw):
            self._check_path(self.schema.config_of(address), block.labels[0], target)

    def _walk(self, body: dict[str, Any], interface: str, path: str, *, top_level: bool = False) -> None:
        arguments = self.schema.arguments(interface)
        present: set[str] = set()
        for key, value in body.items():
            if key in _META_KEYS or (top_level and key in META_ARGUMENTS):
                continue
            if key == "dynamic":
                for dynamic in value:
                    for label, spec in dynamic.items():
                        if label in _META_KEYS:
                            continue
                        name = label.strip('"')
                        present.add(camel(name))
                        for content in spec.get("content", []):
                            self._argument(arguments, name, content, path)
                continue
            present.add(camel(key))
            if is_block(value):
                for item in value:
                    self._argument(arguments, key, item, path)
            else:
                self._argument(arguments, key, value, path)
        for argument in arguments.values():
            if argument.is_required and argument.name not in present:
                self.findings.append(Finding(path, f"missing required argument {argument.name}"))

    def _argument(self, arguments: dict[str, Argument], key: str, value: Any, path: str) -> None:
        child = f"{path}.{key}"
        if child in self.additions:
            self.used_additions.add(child)
            return
        argument = arguments.get(camel(key))
        if argument is None:
            self.findings.append(
                Finding(child, f"unknown argument (schema {self.schema.provider} {self.schema.version})")
            )
            return
        if argument.block is None:
            if isinstance(value, dict) and value.get("__is_block__"):
                self.findings.append(Finding(child, "is an attribute, written as a block"))
            return
        if isinstance(value, dict):  # a block, or an object assigned to a nested attribute
            self._walk(value, argument.block, child)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    self._walk(item, argument.block, child)

    def _check_path(self, interface: str, path: str, target: list[str]) -> None:
        for step in target:
            child = f"{path}.{step}"
            if child in self.additions:
                self.used_additions.add(child)
                return
            argument = self.schema.arguments(interface).get(camel(step))
            if argument is None:
                self.findings.append(Finding(child, "ignore_changes names an argument that does not exist"))
                return
            if argument.block is None:
                return
            interface, path = argument.block, child


def _ignored_paths(body: dict[str, Any]) -> Iterator[list[str]]:
    """Each lifecycle.ignore_changes entry as argument names.

    `template[0].containers[0].image` gives [template, containers, image].
    """
    for lifecycle in body.get("lifecycle", []):
        for entry in lifecycle.get("ignore_changes", []):
            text = entry.removeprefix("${").removesuffix("}")
            yield [step for step in re.sub(r"\[[^\]]*\]", "", text).split(".") if step]


# <type>.<name>.<attribute>, or data.<type>.<name>.<attribute>, in an expression.
REFERENCE = re.compile(
    r"\b(?P<data>data\.)?(?P<type>(?:google|cloudflare|random)_[a-z0-9_]+)\.(?P<name>[a-z0-9_]+)(?:\[[^\]]*\])?\.(?P<attribute>[a-z0-9_]+)"
)
