"""The module conventions of terraform/README.md ("Writing a module"), read from the HCL."""

import ast
import re
from collections import Counter
from typing import Any

import pytest

from tests.infra.terraform import hcl
from tests.infra.terraform.hcl import ENVIRONMENTS, MODULES, Config
from tests.support.paths import REPO_ROOT

REQUIRED_FILES = ("variables.tf", "outputs.tf", "versions.tf", "README.md")
PINS = {
    "google": ("hashicorp/google", ">= 8.0, < 9"),
    "cloudflare": ("cloudflare/cloudflare", ">= 5.14, < 6"),
    "grafana": ("grafana/grafana", ">= 4.45, < 5"),
    "random": ("hashicorp/random", ">= 3.7, < 4"),
}
TERRAFORM_VERSION = ">= 1.11, < 2"
# A number's name says its unit, or what it counts.
NUMBER_SUFFIXES = (
    "_seconds", "_mib", "_gb", "_days", "_count", "_instances", "_connections",
    "_requests", "_retries", "_size", "_rate", "_ratio", "_port",
)  # fmt: skip
# Variables whose values form a closed set: each must be validated against it.
CLOSED_DOMAINS = {
    "ingress", "edition", "availability_type", "database_version", "environment", "app_cpu", "sidecar_cpu",
}  # fmt: skip
# What a module must never contain as a literal value: an environment's facts.
ENVIRONMENT_FACTS = re.compile(r"\b(?:[a-z]+-[a-z]+[0-9])\b|example\.com|\bacme\b|[0-9a-f]{32}")
# Outputs whose value carries a secret.
SECRET_VALUE = re.compile(r"random_password|\.token\b|database_url|cdn_signing_key\b|alloy_env")


def _configs() -> list[Config]:
    return hcl.every_config()


def _module_ids() -> list[str]:
    return sorted(path.name for path in MODULES.iterdir() if path.is_dir())


@pytest.mark.parametrize("name", _module_ids())
def test_module_has_its_files_and_resources_in_files_by_purpose(name: str) -> None:
    directory = MODULES / name
    for required in REQUIRED_FILES:
        assert (directory / required).is_file(), f"{name} has no {required}"
    purpose_files = [path for path in directory.glob("*.tf") if path.name not in REQUIRED_FILES]
    assert purpose_files, f"{name} has no main.tf or purpose file"
    readme = (directory / "README.md").read_text()
    assert readme.startswith(f"# {name}\n"), f"{name}/README.md must start with its title"


def _literals(value: Any, key: str = "") -> list[str]:
    """String values that are not descriptions or messages, including text inside expressions."""
    if key in {"description", "error_message", "display_name", "title", "comment", "message"}:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [text for item in value for text in _literals(item)]
    if isinstance(value, dict):
        return [text for child, item in value.items() for text in _literals(item, child)]
    return []


def test_modules_hard_code_no_project_region_domain_or_account(modules: dict[str, Config]) -> None:
    for module in modules.values():
        for block in module.blocks:
            if block.kind == "variable":
                continue  # descriptions and validation patterns may name examples
            for text in _literals(block.body):
                assert not ENVIRONMENT_FACTS.search(text.replace("googleapis.com", "")), (
                    f"{module.name}: {block.address}: {text}"
                )


def test_environments_only_compose_modules(environments: dict[str, Config]) -> None:
    for environment in environments.values():
        assert environment.resources() == [] and environment.of_kind("data") == [], environment.name
        assert set(environment.modules()) == {"platform"}


def test_every_variable_is_typed_and_described() -> None:
    for config in _configs():
        for name, variable in config.variables().items():
            assert "type" in variable, f"{config.name}: variable {name} has no type"
            assert len(variable.get("description", "")) >= 10, f"{config.name}: variable {name} has no description"


def test_booleans_are_enable_and_numbers_name_their_unit() -> None:
    for config in _configs():
        for name, variable in config.variables().items():
            if variable["type"] == "${bool}":
                assert name.startswith("enable_"), f"{config.name}: boolean {name} must be enable_*"
            if variable["type"] == "${number}":
                assert name.endswith(NUMBER_SUFFIXES), f"{config.name}: number {name} does not say its unit"


def test_closed_domain_variables_are_validated_against_their_values() -> None:
    seen: set[str] = set()
    for config in _configs():
        for name, variable in config.variables().items():
            if name in CLOSED_DOMAINS:
                seen.add(name)
                conditions = " ".join(rule["condition"] for rule in variable.get("validation", []))
                assert "contains([" in conditions, f"{config.name}: {name} is not checked against its allowed values"
    assert seen == CLOSED_DOMAINS


def test_secret_variables_are_sensitive() -> None:
    for config in _configs():
        for name, variable in config.variables().items():
            if re.search(r"password|client_secret$|_token$|api_key", name):
                assert variable.get("sensitive") is True, f"{config.name}: {name} must be sensitive"


def test_every_output_is_described_and_secret_ones_are_sensitive() -> None:
    for config in _configs():
        for name, output in config.outputs().items():
            assert len(output.get("description", "")) >= 10, f"{config.name}: output {name} has no description"
            if SECRET_VALUE.search(str(output["value"])) and not name.endswith("_name"):
                assert output.get("sensitive") is True, f"{config.name}: output {name} carries a secret"


def test_a_modules_only_resource_of_a_type_is_main() -> None:
    for config in _configs():
        counts = Counter(block.labels[0] for block in config.of_kind("resource") + config.of_kind("data"))
        for block in config.of_kind("resource") + config.of_kind("data"):
            resource_type, name = block.labels
            if counts[resource_type] == 1:
                assert name == "main", f"{config.name}: the only {resource_type} must be named main, not {name}"
            else:
                assert name != "main", f"{config.name}: {resource_type} has several; name each by its role"


def _providers_used(config: Config, modules: dict[str, Config]) -> set[str]:
    used = {block.labels[0].split("_")[0] for block in config.of_kind("resource") + config.of_kind("data")}
    for module in config.modules().values():
        child = (config.path / module["source"]).resolve()
        used |= _providers_used(modules[child.name], modules)
    return used


def test_providers_are_pinned_to_one_range_everywhere(modules: dict[str, Config]) -> None:
    for config in _configs():
        (settings,) = [block.body for block in config.of_kind("terraform") if "required_providers" in block.body]
        assert settings["required_version"] == TERRAFORM_VERSION, config.name
        required = {name: spec for entry in settings["required_providers"] for name, spec in entry.items()}
        assert set(required) == _providers_used(config, modules), f"{config.name} declares other providers than it uses"
        for name, spec in required.items():
            assert (spec["source"], spec["version"]) == PINS[name], f"{config.name}: {name}"


def test_only_environments_configure_providers(modules: dict[str, Config], environments: dict[str, Config]) -> None:
    assert all(module.of_kind("provider") == [] for module in modules.values())
    for environment in environments.values():
        assert {block.labels[0] for block in environment.of_kind("provider")} == set(PINS) - {"random"}


def test_environments_differ_only_in_their_inputs_and_backend_prefix() -> None:
    staging, production = ENVIRONMENTS / "staging", ENVIRONMENTS / "production"
    assert sorted(path.name for path in staging.iterdir()) == sorted(path.name for path in production.iterdir())
    for name in ("variables.tf", "outputs.tf", "providers.tf", "versions.tf"):
        assert (staging / name).read_text() == (production / name).read_text(), name
    prefixes = {
        path.parent.name: re.search(r'prefix = "([^"]+)"', (path.parent / "backend.tf").read_text())[1]  # type: ignore[index]
        for path in (staging / "backend.tf", production / "backend.tf")
    }
    assert prefixes == {"staging": "file-drop/staging", "production": "file-drop/production"}


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_tfvars_example_sets_every_input_without_a_default_but_the_secret(environment: str) -> None:
    config = hcl.load(ENVIRONMENTS / environment)
    example = (ENVIRONMENTS / environment / "terraform.tfvars.example").read_text()
    assigned = set(re.findall(r"^([a-z_]+)\s*=", example, re.MULTILINE))
    variables = config.variables()
    assert assigned <= set(variables)
    needed = {
        name for name, variable in variables.items() if "default" not in variable and not variable.get("sensitive")
    }
    assert needed <= assigned, needed - assigned
    assert not (assigned & {name for name, variable in variables.items() if variable.get("sensitive")})


def test_platform_outputs_reach_every_environment(modules: dict[str, Config], environments: dict[str, Config]) -> None:
    platform_outputs = set(modules["platform"].outputs())
    for environment in environments.values():
        outputs = environment.outputs()
        assert set(outputs) == platform_outputs
        for name, output in outputs.items():
            assert output["value"] == f"${{module.platform.{name}}}"


def test_the_deploy_pipeline_finds_its_arguments_in_the_outputs(modules: dict[str, Config]) -> None:
    outputs = modules["platform"].outputs()
    for needed in (
        "project_id", "region", "service_name", "migrations_job_name", "smoke_test_token_secret",
        "workload_identity_provider", "publish_service_account", "deploy_service_account",
    ):  # fmt: skip
        assert needed in outputs, needed


def test_github_variables_output_matches_ci_readme(modules: dict[str, Config]) -> None:
    readme = (REPO_ROOT / "ci" / "README.md").read_text()
    settings = readme.split("### Repository settings", 1)[1].split("###", 1)[0]
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", settings, re.MULTILINE))
    output = modules["platform"].outputs()["github_actions_variables"]["value"]
    assert documented and set(output) == documented


def test_alloy_sidecar_image_is_the_one_ci_validates_configs_with(modules: dict[str, Config]) -> None:
    # Read, not imported: ci.scan imports the Dagger SDK.
    tree = ast.parse((REPO_ROOT / "ci" / "scan.py").read_text())
    (pin,) = [
        node.value.value
        for node in tree.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "ALLOY_IMAGE"
        and isinstance(node.value, ast.Constant)
    ]  # fmt: skip
    assert modules["platform"].variables()["alloy_image"]["default"] == pin
