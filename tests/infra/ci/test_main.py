"""`python ci/main.py`: the pipelines, their arguments, and clear errors."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from ci import commands, main, pipelines, release
from tests.infra.ci.oci import write_image

PIPELINES = ("check", "scan", "build", "all", "publish", "deploy", "swarm-deploy")


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
        "--input",
        "--expect-digest",
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
    arguments = commands.parser().parse_args(["publish", "--registry", "docker-hub", "--namespace", "acme"])
    with pytest.raises(ValueError, match="needs --username"):
        commands.registry_target(arguments)
    arguments = commands.parser().parse_args(
        ["publish", "--registry", "docker-hub", "--namespace", "acme", "--username", "bot"]
    )
    assert commands.registry_target(arguments) == release.docker_hub(namespace="acme", username="bot")


def test_publish_defaults_to_artifact_registry() -> None:
    arguments = commands.parser().parse_args(
        ["publish", "--location", "us", "--project", "my-project", "--repository", "images"]
    )
    target = commands.registry_target(arguments)
    assert target.address == "us-docker.pkg.dev/my-project/images/overengineered-backend"
    assert arguments.password_env == "REGISTRY_PASSWORD"


@pytest.mark.parametrize("pipeline", ["build", "all"])
def test_build_output_defaults_to_the_ignored_build_directory(pipeline: str) -> None:
    arguments = commands.parser().parse_args([pipeline])
    assert arguments.output == commands.ROOT / "build"


PUBLISH_TO_GAR = ["publish", "--location", "europe-west1", "--project", "my-project", "--repository", "app"]


def _clean_checkout(path: Path) -> str:
    git = ["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    (path / ".gitignore").write_text("/build/\n")
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "x"], check=True)
    return subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()


def test_publish_without_a_built_tarball_is_refused_before_any_engine_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _clean_checkout(tmp_path)
    monkeypatch.setattr(commands, "ROOT", tmp_path)
    monkeypatch.setenv("REGISTRY_PASSWORD", "x")
    monkeypatch.delenv("GITHUB_SHA", raising=False)
    assert main.main([*PUBLISH_TO_GAR, "--input", str(tmp_path / "build")]) == 1
    err = capsys.readouterr().err
    assert "pipeline publish refused: no " in err
    assert "run `python ci/main.py build` first" in err


def test_publish_preflight_refuses_a_dirty_tree(tmp_path: Path) -> None:
    commit = _clean_checkout(tmp_path)
    (tmp_path / "local-change.py").write_text("x = 1\n")
    build = pipelines.Build(root=tmp_path, commit=commit, env={})
    with pytest.raises(ValueError, match=r"working tree with changes .*local-change\.py"):
        pipelines.publish_preflight(build, artifacts=tmp_path / "build", expected_digest=None)


def test_publish_preflight_returns_the_tarball_digest_and_checks_the_expected_one(tmp_path: Path) -> None:
    commit = _clean_checkout(tmp_path)
    (tmp_path / "build").mkdir()
    digest = write_image(tmp_path / "build" / pipelines.IMAGE_FILE, revision=commit)
    build = pipelines.Build(root=tmp_path, commit=commit, env={})
    assert pipelines.publish_preflight(build, artifacts=tmp_path / "build", expected_digest=None) == digest
    assert pipelines.publish_preflight(build, artifacts=tmp_path / "build", expected_digest=digest) == digest
    with pytest.raises(ValueError, match="not the image the build made"):
        pipelines.publish_preflight(build, artifacts=tmp_path / "build", expected_digest="sha256:" + "0" * 64)


def test_publish_preflight_in_actions_needs_the_sbom_it_will_attest(tmp_path: Path) -> None:
    commit = _clean_checkout(tmp_path)
    (tmp_path / "build").mkdir()
    write_image(tmp_path / "build" / pipelines.IMAGE_FILE, revision=commit)
    env = {"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.example"}
    build = pipelines.Build(root=tmp_path, commit=commit, env=env)
    with pytest.raises(ValueError, match=r"no .*sbom\.spdx\.json"):
        pipelines.publish_preflight(build, artifacts=tmp_path / "build", expected_digest=None)


DEPLOY = [
    *("deploy", "--project", "my-project", "--region", "europe-west1", "--service", "file-drop"),
    *("--migrations-job", "file-drop-migrate", "--smoke-token-secret", "smoke-token"),
]
DIGEST = f"europe-west1-docker.pkg.dev/my-project/app/overengineered-backend@sha256:{'0' * 64}"


def test_deploy_refuses_a_tag_before_connecting(capsys: pytest.CaptureFixture[str]) -> None:
    err = _usage_error(capsys, *DEPLOY, "--image", "overengineered-backend:latest")
    assert "not an image digest reference" in err


def test_deploy_without_an_access_token_fails_before_connecting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOOGLE_OAUTH_ACCESS_TOKEN", raising=False)
    assert "$GOOGLE_OAUTH_ACCESS_TOKEN" in _usage_error(capsys, *DEPLOY, "--image", DIGEST)


def test_deploy_needs_a_smoke_token_and_a_ladder_that_climbs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_OAUTH_ACCESS_TOKEN", "token")
    without_token = [arg for arg in DEPLOY if arg not in ("--smoke-token-secret", "smoke-token")]
    assert "--smoke-token-secret or --smoke-token-env" in _usage_error(capsys, *without_token, "--image", DIGEST)
    assert "strictly increasing" in _usage_error(capsys, *DEPLOY, "--image", DIGEST, "--ladder", "50,25")
