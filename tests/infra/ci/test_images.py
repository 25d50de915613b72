"""Tool images: pinned by tag and digest, and mirrored where dependabot can bump them."""

import re
import subprocess

from ci import chaos, checks, image, perf, publish, scan, services, workspace
from tests.infra.ci.conftest import REPOSITORY
from tests.support.tools import venv_tool

MIRROR = REPOSITORY / "ci" / "images.Dockerfile"
PINNED = re.compile(r"(?P<name>[^\s@:]+(?::\d+)?[^\s@:]*):(?P<tag>[\w.-]+)@sha256:[0-9a-f]{64}")
MODULES = (workspace, services, image, scan, publish, perf, chaos)


def _image_constants() -> dict[str, str]:
    return {
        f"{module.__name__}.{name}": value
        for module in MODULES
        for name, value in vars(module).items()
        if name.endswith("_IMAGE") and isinstance(value, str)
    }


def test_every_tool_image_constant_is_pinned_by_tag_and_digest() -> None:
    constants = _image_constants()
    assert len(constants) == 12  # a removed constant must be removed here on purpose
    for name, value in constants.items():
        assert PINNED.fullmatch(value), f"{name} = {value!r}"


def test_the_dependabot_mirror_lists_exactly_the_pipeline_images() -> None:
    mirrored = re.findall(r"^FROM (\S+) AS \S+$", MIRROR.read_text(), flags=re.MULTILINE)
    assert sorted(mirrored) == sorted(set(_image_constants().values()))


def test_the_mirror_is_a_dockerfile_hadolint_accepts() -> None:
    result = subprocess.run([venv_tool("hadolint"), str(MIRROR)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


def test_tool_images_carry_the_versions_ci_checks_pins() -> None:
    """A dependabot bump of one of these images fails here until ci/checks.py (and so
    `.ci/run` and the workflows' UV_VERSION) follows it."""
    assert workspace.PYTHON_IMAGE.startswith(f"ghcr.io/astral-sh/uv:{checks.UV_VERSION}-"), "bump checks.UV_VERSION"
    assert scan.CHECKOV_IMAGE.startswith(f"bridgecrew/checkov:{checks.CHECKOV_VERSION}@"), "bump checks.CHECKOV_VERSION"
