"""Every argument and nested block written in terraform/ exists in its provider's schema.

The schemas come from the CDK-for-Terraform provider packages (dependency group
`terraform-schema`): google 6.50.0, cloudflare 5.14.0, random 3.7.2. What they
cannot see is listed in terraform/README.md ("What the checks prove").
"""

from collections.abc import Iterator
from typing import Any

import hcl2

from tests.infra.terraform import hcl
from tests.infra.terraform.hcl import Block, Config
from tests.infra.terraform.schema import REFERENCE, Checker, ProviderSchema, camel
from tests.infra.terraform.schema_additions import SCHEMA_ADDITIONS
from tests.infra.terraform.test_conventions import PINS

# Resource types no schema package describes (no grafana package exists).
UNCHECKED_PROVIDERS = {"grafana"}


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def _checked_blocks() -> Iterator[tuple[Config, Block]]:
    for config in hcl.every_config():
        for block in config.of_kind("resource") + config.of_kind("data"):
            yield config, block


def _check(schemas: dict[str, ProviderSchema], blocks: list[Block], additions: frozenset[str] = frozenset()) -> Checker:
    checkers: dict[str, Checker] = {name: Checker(schema, additions) for name, schema in schemas.items()}
    for block in blocks:
        checkers[block.labels[0].split("_")[0]].check(block)
    merged = Checker(next(iter(schemas.values())), additions)
    for checker in checkers.values():
        merged.findings += checker.findings
        merged.used_additions |= checker.used_additions
    return merged


def test_every_argument_and_block_exists_in_the_provider_schema(schemas: dict[str, ProviderSchema]) -> None:
    blocks = [block for _, block in _checked_blocks() if block.labels[0].split("_")[0] not in UNCHECKED_PROVIDERS]
    assert len(blocks) >= 50
    checker = _check(schemas, blocks, frozenset(SCHEMA_ADDITIONS))
    assert [str(finding) for finding in checker.findings] == []
    # Every allowance is still needed.
    assert checker.used_additions == set(SCHEMA_ADDITIONS)


def test_only_the_grafana_provider_goes_unchecked(schemas: dict[str, ProviderSchema]) -> None:
    providers = {block.labels[0].split("_")[0] for _, block in _checked_blocks()}
    assert providers - set(schemas) == UNCHECKED_PROVIDERS


def test_allowed_additions_are_newer_than_the_schema_and_within_the_pinned_range(
    schemas: dict[str, ProviderSchema],
) -> None:
    google = schemas["google"]
    lower_bound = PINS["google"][1].split(",")[0].removeprefix(">=").strip()
    for path, added_in in SCHEMA_ADDITIONS.items():
        assert _version(google.version) < _version(added_in) <= _version(lower_bound + ".0"), path
        resource_type, *steps = path.split(".")
        interface = google.config_of(resource_type)
        for step in steps[:-1]:
            block = google.arguments(interface)[camel(step)].block
            assert block is not None, path
            interface = block
        assert camel(steps[-1]) not in google.arguments(interface), f"{path} is in the schema: drop the allowance"


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def test_every_attribute_read_from_a_resource_exists(schemas: dict[str, ProviderSchema]) -> None:
    read = 0
    for config in hcl.every_config():
        for block in config.blocks:
            for text in _strings(block.raw):
                for match in REFERENCE.finditer(text):
                    schema = schemas[match["type"].split("_")[0]]
                    address = ("data." if match["data"] else "") + match["type"]
                    assert address in schema.classes, f"{config.name}: {match[0]}"
                    assert camel(match["attribute"]) in schema.attributes(address), f"{config.name}: {match[0]}"
                    read += 1
    assert read >= 40


def _block(text: str) -> Block:
    parsed = hcl2.loads(text)
    ((resource_type, named),) = parsed["resource"][0].items()
    ((name, body),) = named.items()
    return Block(kind="resource", labels=(hcl.unquote(resource_type), hcl.unquote(name)), raw=body, path=hcl.TERRAFORM)


def test_the_check_catches_misspelt_missing_and_misplaced_arguments(schemas: dict[str, ProviderSchema]) -> None:
    careless = _block(
        """
        resource "google_cloud_run_v2_service" "main" {
          name   = "s"
          ingres = "INGRESS_TRAFFIC_ALL"
          template {
            containers {
              image = "i"
              liveness_probe {
                http_get {
                  paht = "/healthz"
                }
              }
            }
            volume_mount {
              name = "x"
            }
          }
          lifecycle {
            ignore_changes = [template[0].containers[0].imagee]
          }
        }
        """
    )
    found = {
        str(finding).removeprefix("google_cloud_run_v2_service") for finding in _check(schemas, [careless]).findings
    }
    unknown = "unknown argument (schema google 6.50.0)"
    assert found == {
        f".ingres: {unknown}",
        f".template.containers.liveness_probe.http_get.paht: {unknown}",
        f".template.volume_mount: {unknown}",
        ": missing required argument location",
        ".template.containers.imagee: ignore_changes names an argument that does not exist",
    }


def test_the_check_knows_an_argument_newer_than_the_schema_only_when_allowed(
    schemas: dict[str, ProviderSchema],
) -> None:
    newer = _block(
        """
        resource "google_cloud_run_v2_service" "main" {
          name     = "s"
          location = "r"
          template {
            containers {
              image = "i"
              readiness_probe {
                period_seconds = 10
              }
            }
          }
        }
        """
    )
    assert [str(f) for f in _check(schemas, [newer]).findings] == [
        "google_cloud_run_v2_service.template.containers.readiness_probe: unknown argument (schema google 6.50.0)"
    ]
    assert _check(schemas, [newer], frozenset(SCHEMA_ADDITIONS)).findings == []
