"""`python ci/main.py`: the pipelines, their arguments, and clear errors."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from ci import main, release

PIPELINES = ("check", "scan", "build", "all", "publish", "swarm-deploy")


def test_help_of_the_script_lists_every_pipeline(repository: Path) -> None:
    """Run as `python ci/main.py`, the way `dagger run` starts it."""
    result = subprocess.run(
        [sys.executable, "ci/main.py", "--help"],
        cwd=repository,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0
    for pipeline in PIPELINES:
        # argparse puts a long name's help on the next line.
        assert re.search(rf"^    {pipeline}\s", result.stdout, flags=re.MULTILINE), pipeline


def _usage_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run main in-process; it must exit with argparse's usage status. Returns stderr."""
    with pytest.raises(SystemExit) as exit_info:
        main.main(list(args))
    assert exit_info.value.code == 2
    return capsys.readouterr().err


def test_publish_help_lists_its_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main.main(["publish", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for flag in (
        "--registry",
        "--location",
        "--project",
        "--repository",
        "--namespace",
        "--username",
        "--image",
        "--password-env",
    ):
        assert flag in out


def test_an_unknown_pipeline_is_a_usage_error_naming_the_choices(
    capsys: pytest.CaptureFixture[str],
) -> None:
    err = _usage_error(capsys, "deploy-everything")
    assert "invalid choice: 'deploy-everything'" in err
    assert "'check'" in err


def test_no_pipeline_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert "required: PIPELINE" in _usage_error(capsys)


def test_publish_without_its_registry_arguments_names_the_missing_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    err = _usage_error(capsys, "publish", "--location", "europe-west1")
    assert "publish to artifact-registry needs --project" in err


def test_publish_without_the_credential_fails_before_connecting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REGISTRY_PASSWORD", raising=False)
    err = _usage_error(
        capsys,
        "publish",
        "--location",
        "europe-west1",
        "--project",
        "my-project",
        "--repository",
        "app",
    )
    assert "$REGISTRY_PASSWORD" in err


def test_publish_to_docker_hub_needs_namespace_and_username() -> None:
    arguments = main.parser().parse_args(["publish", "--registry", "docker-hub", "--namespace", "acme"])
    with pytest.raises(ValueError, match="needs --username"):
        main.registry_target(arguments)
    arguments = main.parser().parse_args(
        ["publish", "--registry", "docker-hub", "--namespace", "acme", "--username", "bot"]
    )
    assert main.registry_target(arguments) == release.docker_hub(namespace="acme", username="bot")


def test_publish_defaults_to_artifact_registry() -> None:
    arguments = main.parser().parse_args(
        ["publish", "--location", "us", "--project", "my-project", "--repository", "images"]
    )
    target = main.registry_target(arguments)
    assert target.address == "us-docker.pkg.dev/my-project/images/overengineered-backend"
    assert arguments.password_env == "REGISTRY_PASSWORD"


@pytest.mark.parametrize("pipeline", ["build", "all"])
def test_build_output_defaults_to_the_ignored_build_directory(pipeline: str) -> None:
    arguments = main.parser().parse_args([pipeline])
    assert arguments.output == main.ROOT / "build"
