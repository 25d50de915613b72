import os
import subprocess
from pathlib import Path

import pytest

from tests.infra.terraform import hcl
from tests.infra.terraform.schema import PACKAGES, ProviderSchema, package_archive, provider_schema
from tests.support.tools import system_tool

# .ci/run syncs the schema packages' dependency group and sets this: there a
# missing package fails the run instead of skipping the check.
REQUIRE_SCHEMA = os.environ.get("REQUIRE_TERRAFORM_SCHEMA") == "1"
SCHEMA_GROUP = "terraform-schema"
# Offline: no version check, no CLI configuration file.
TERRAFORM_ENV = {"CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": os.devnull, "TF_IN_AUTOMATION": "1"}


@pytest.fixture(scope="session")
def terraform_binary() -> str:
    return system_tool("terraform", "install Terraform 1.11+: https://developer.hashicorp.com/terraform/install")


def terraform(binary: str, *arguments: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [binary, *arguments],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={**os.environ, **TERRAFORM_ENV},
    )


@pytest.fixture(scope="session")
def modules() -> dict[str, hcl.Config]:
    return hcl.modules()


@pytest.fixture(scope="session")
def environments() -> dict[str, hcl.Config]:
    return hcl.environments()


@pytest.fixture(scope="session")
def schemas() -> dict[str, ProviderSchema]:
    found: dict[str, ProviderSchema] = {}
    for provider, distribution in PACKAGES.items():
        archive = package_archive(distribution)
        if archive is None:
            message = f"{distribution} is not installed: uv sync --group {SCHEMA_GROUP}"
            if REQUIRE_SCHEMA:
                pytest.fail(message)
            pytest.skip(message)
        found[provider] = provider_schema(provider, archive)
    return found
