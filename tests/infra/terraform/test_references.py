"""What `terraform validate` would check without providers: every name a module uses is declared.

`validate` needs the providers installed, which cannot happen offline; these
checks cover its part that needs none: variables, locals and module outputs
referred to exist, and every module call passes declared inputs and all the
required ones.
"""

import re
from pathlib import Path

import pytest

from tests.infra.terraform import hcl
from tests.infra.terraform.hcl import Config

MODULE_META_ARGUMENTS = {"source", "depends_on", "count", "for_each", "providers"}
# Names an expression may use that a module does not declare: iterator and
# dynamic-block variables, and Terraform's own objects.
_VARIABLE = re.compile(r"\bvar\.(\w+)")
_LOCAL = re.compile(r"\blocal\.(\w+)")
_MODULE_OUTPUT = re.compile(r"\bmodule\.(\w+)\.(\w+)")


def _text(config: Config) -> str:
    # Comments are not code.
    return "\n".join(re.sub(r"#[^\n]*", "", path.read_text()) for path in sorted(config.path.glob("*.tf")))


def _child(config: Config, source: str) -> Config:
    return hcl.load((config.path / source).resolve())


@pytest.mark.parametrize("config", hcl.every_config(), ids=lambda config: config.name)
def test_every_variable_and_local_used_is_declared(config: Config) -> None:
    text = _text(config)
    assert set(_VARIABLE.findall(text)) <= set(config.variables()), set(_VARIABLE.findall(text)) - set(
        config.variables()
    )
    assert set(_LOCAL.findall(text)) <= set(config.locals()), set(_LOCAL.findall(text)) - set(config.locals())


@pytest.mark.parametrize("config", hcl.every_config(), ids=lambda config: config.name)
def test_every_variable_declared_is_used(config: Config) -> None:
    assert set(config.variables()) <= set(_VARIABLE.findall(_text(config))), config.name


@pytest.mark.parametrize("config", [c for c in hcl.every_config() if c.modules()], ids=lambda config: config.name)
def test_module_calls_pass_declared_inputs_and_every_required_one(config: Config) -> None:
    for name, call in config.modules().items():
        child = _child(config, call["source"])
        inputs = set(call) - MODULE_META_ARGUMENTS
        declared = child.variables()
        assert inputs <= set(declared), f"{config.name}: module {name} has no input {inputs - set(declared)}"
        required = {variable for variable, spec in declared.items() if "default" not in spec}
        assert required <= inputs, f"{config.name}: module {name} misses {required - inputs}"


@pytest.mark.parametrize("config", [c for c in hcl.every_config() if c.modules()], ids=lambda config: config.name)
def test_every_module_output_used_exists(config: Config) -> None:
    calls = config.modules()
    for module, output in _MODULE_OUTPUT.findall(_text(config)):
        assert module in calls, f"{config.name}: no module {module}"
        assert output in _child(config, calls[module]["source"]).outputs(), f"{config.name}: module.{module}.{output}"


def test_module_sources_are_local_paths_to_modules() -> None:
    for config in hcl.every_config():
        for name, call in config.modules().items():
            source = call["source"]
            assert source.startswith("../"), f"{config.name}: module {name} comes from {source}"
            assert (config.path / source / "versions.tf").is_file()
            assert Path(config.path / source).resolve().parent == hcl.MODULES
