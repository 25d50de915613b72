"""The GitHub workflows are thin, pinned, least-privilege wrappers around ci/main.py."""

import re
import shlex
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from ci import checks, commands
from tests.infra.ci.conftest import REPOSITORY
from tests.support.tools import system_tool, venv_tool

WORKFLOWS = sorted((REPOSITORY / ".github" / "workflows").glob("*.yml"))
CI_WORKFLOW = REPOSITORY / ".github" / "workflows" / "ci.yml"
FLAKE_UPDATE = REPOSITORY / ".github" / "workflows" / "flake-update.yml"
DEPENDABOT = REPOSITORY / ".github" / "dependabot.yml"
# The only jobs that may write, and what: everything else reads, plus OIDC where it signs.
WRITES = {("flake-update.yml", "update"): {"contents", "pull-requests"}}
DEPLOY_WORKFLOW = REPOSITORY / ".github" / "workflows" / "deploy.yml"
PINNED_USES = re.compile(r"^\s*(?:-\s*)?uses:\s*[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(?:\.\d+)*\s*$")
# A reusable workflow of this repository, at the caller's own commit.
LOCAL_WORKFLOW = re.compile(r"^\s*uses:\s*\./\.github/workflows/[\w-]+\.yml(?:\s+#.*)?$")
DAGGER_RUN = "dagger run python ci/main.py "


def _load(path: Path) -> dict[str, Any]:
    data: dict[Any, Any] = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the bare key `on` as a boolean.
    if True in data:
        data["on"] = data.pop(True)
    return data


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps", [])


def _runs(job: dict[str, Any]) -> list[str]:
    return [" ".join(step["run"].split()) for step in _steps(job) if "run" in step]


def _step_output(step: str, name: str) -> str:
    return "${{ steps." + step + ".outputs." + name + " }}"


def locked_dagger_io_version() -> str:
    lock = tomllib.loads((REPOSITORY / "uv.lock").read_text())
    return next(p["version"] for p in lock["package"] if p["name"] == "dagger-io")


def test_there_are_workflows() -> None:
    assert CI_WORKFLOW in WORKFLOWS


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_is_valid_against_the_github_workflows_schema(path: Path) -> None:
    result = subprocess.run(
        [venv_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dependabot_config_is_valid_against_its_schema() -> None:
    result = subprocess.run(
        [
            venv_tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.dependabot",
            str(REPOSITORY / ".github" / "dependabot.yml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dependabot_updates_every_ecosystem_weekly_grouped_and_a_week_late() -> None:
    config = yaml.safe_load(DEPENDABOT.read_text())
    updates = {update["package-ecosystem"]: update for update in config["updates"]}
    assert set(updates) == {"uv", "github-actions", "docker", "docker-compose", "terraform"}
    for update in updates.values():
        assert update["schedule"]["interval"] == "weekly"
        assert update["groups"]
        assert update["cooldown"]["default-days"] >= 7
    assert "/ci" in updates["docker"]["directories"], "the pipelines' tool images are not watched"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_every_uses_is_pinned_to_a_full_commit_sha_with_its_version(path: Path) -> None:
    lines = [line for line in path.read_text().splitlines() if re.match(r"^\s*(-\s*)?uses:", line)]
    assert lines
    for line in lines:
        assert PINNED_USES.match(line) or LOCAL_WORKFLOW.match(line), f"{path.name}: not SHA-pinned: {line.strip()}"


def test_the_pin_check_rejects_tags_branches_and_short_shas() -> None:
    for line in (
        "      - uses: actions/checkout@v4",
        "      - uses: actions/checkout@main",
        "      - uses: actions/checkout@3d3c42e # v7.0.1",
        "      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1",
    ):
        assert not PINNED_USES.match(line), line


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_permissions_are_least_privilege_per_job_with_timeouts_and_concurrency(
    path: Path,
) -> None:
    workflow = _load(path)
    assert workflow["permissions"] == {}, "the workflow grants a default to every job"
    assert workflow["concurrency"]["group"]
    for name, job in workflow["jobs"].items():
        assert "permissions" in job, f"{name} has no explicit permissions"
        allowed = WRITES.get((path.name, name), set())
        assert job["permissions"].get("contents") == ("write" if "contents" in allowed else "read"), name
        writes = {scope for scope, level in job["permissions"].items() if level == "write"}
        assert writes <= {"id-token", *allowed}, f"{name} may write {writes}"
        if "uses" in job:  # a reusable workflow's call: the called jobs carry the timeouts
            continue
        assert 0 < job["timeout-minutes"] <= 60, name
        for step in _steps(job):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, name


def test_pull_requests_and_pushes_run_check_scan_and_build_through_ci_main() -> None:
    workflow = _load(CI_WORKFLOW)
    assert "pull_request" in workflow["on"]
    assert workflow["on"]["push"]["branches"] == ["main"]
    for pipeline in ("check", "scan", "build"):
        job = workflow["jobs"][pipeline]
        assert DAGGER_RUN + pipeline in _runs(job)
        assert "if" not in job, f"{pipeline} must run for pull requests and pushes alike"
        assert "id-token" not in job["permissions"]


def test_only_pushes_to_main_or_a_release_tag_publish_with_workload_identity_and_no_key() -> None:
    workflow = _load(CI_WORKFLOW)
    assert workflow["on"]["push"]["tags"] == ["v*.*.*"]
    job = workflow["jobs"]["publish"]
    assert set(job["needs"]) == {"check", "scan", "build"}
    assert job["environment"] == "release", "publish runs before any protection rule"
    assert " ".join(job["if"].split()) == (
        "github.event_name == 'push' && (github.ref == 'refs/heads/main' || startsWith(github.ref, 'refs/tags/v'))"
    )
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    auth = next(s for s in _steps(job) if str(s.get("uses", "")).startswith("google-github-actions/auth@"))
    assert auth["with"]["workload_identity_provider"] == "${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}"
    assert auth["with"]["token_format"] == "access_token"
    assert "credentials_json" not in auth["with"]
    publish_step = next(s for s in _steps(job) if DAGGER_RUN + "publish" in " ".join(s.get("run", "").split()))
    assert publish_step["env"]["REGISTRY_PASSWORD"] == "${{ steps.google.outputs.access_token }}"
    assert "credentials_json" not in CI_WORKFLOW.read_text()


def test_publish_pushes_the_artifact_build_made_and_exposes_the_pushed_digest() -> None:
    jobs = _load(CI_WORKFLOW)["jobs"]
    build, publish = jobs["build"], jobs["publish"]
    upload = next(s for s in _steps(build) if str(s.get("uses", "")).startswith("actions/upload-artifact@"))
    download = next(s for s in _steps(publish) if str(s.get("uses", "")).startswith("actions/download-artifact@"))
    assert upload["with"]["name"] == download["with"]["name"]
    assert upload["with"]["path"].split() == ["build/image.tar", "build/sbom.spdx.json"]
    assert download["with"]["path"] == "build"
    build_step = next(s for s in _steps(build) if s.get("run", "").startswith(DAGGER_RUN + "build"))
    assert build["outputs"]["digest"] == _step_output(build_step["id"], "digest")
    publish_step = next(s for s in _steps(publish) if DAGGER_RUN + "publish" in " ".join(s.get("run", "").split()))
    assert '--expect-digest "$BUILD_DIGEST"' in publish_step["run"]
    assert publish_step["env"]["BUILD_DIGEST"] == "${{ needs.build.outputs.digest }}"
    # Deploy jobs read needs.publish.outputs.digest: the pushed host/repo@sha256:... reference.
    assert publish["outputs"]["digest"] == _step_output(publish_step["id"], "digest")
    assert _steps(publish).index(download) < _steps(publish).index(publish_step)


def test_the_workflows_install_the_uv_ci_checks_pins() -> None:
    assert _load(CI_WORKFLOW)["env"]["UV_VERSION"] == checks.UV_VERSION


def test_flake_update_opens_a_pull_request_after_the_toolchain_check() -> None:
    workflow = _load(FLAKE_UPDATE)
    assert workflow["on"]["schedule"][0]["cron"]
    runs = _runs(workflow["jobs"]["update"])
    order = ["nix flake update", "nix flake check", "nix develop --command python -m ci.toolchain"]
    assert runs[: len(order)] == order
    assert "gh pr create" in runs[-1]
    assert "nix develop --command python -m ci.toolchain" in _runs(
        _load(REPOSITORY / ".github/workflows/toolchain.yml")["jobs"]["nix"]
    )


def test_every_pipeline_command_in_the_workflows_parses_with_ci_main() -> None:
    dagger_runs = [
        run
        for path in WORKFLOWS
        for job in _load(path)["jobs"].values()
        for run in _runs(job)
        if run.startswith(DAGGER_RUN)
    ]
    assert len(dagger_runs) >= 4
    for command in dagger_runs:
        arguments = shlex.split(command.removeprefix(DAGGER_RUN).replace('"$', '"x'))
        parsed = commands.parser().parse_args(arguments)
        if parsed.pipeline == "publish":
            assert parsed.location
            assert parsed.project
            assert parsed.repository
        if parsed.pipeline == "deploy":
            assert parsed.image == "xIMAGE"
            assert parsed.expected_version is None, "the version must come from the build, as on a laptop"


@pytest.mark.parametrize("path", [CI_WORKFLOW, DEPLOY_WORKFLOW], ids=lambda path: path.name)
def test_the_dagger_cli_in_actions_is_the_locked_dagger_io_version(path: Path) -> None:
    version = locked_dagger_io_version()
    workflow = _load(path)
    assert workflow["env"]["DAGGER_VERSION"] == version
    for job in workflow["jobs"].values():
        if any(DAGGER_RUN in run for run in _runs(job)):
            dagger_steps = [s for s in _steps(job) if str(s.get("uses", "")).startswith("dagger/dagger-for-github@")]
            assert len(dagger_steps) == 1
            assert dagger_steps[0]["with"]["version"] == "${{ env.DAGGER_VERSION }}"


def test_zizmor_finds_nothing_in_the_workflows_or_dependabot() -> None:
    result = subprocess.run(
        [venv_tool("zizmor"), "--offline", "--format", "plain", str(REPOSITORY / ".github")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_zizmor_does_flag_an_unsafe_workflow(tmp_path: Path) -> None:
    """The offline audit is not vacuous: the classic mistakes are caught."""
    unsafe = tmp_path / "unsafe.yml"
    unsafe.write_text(
        "on: pull_request_target\n"
        "jobs:\n"
        "  x:\n"
        "    runs-on: ubuntu-24.04\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
    )
    result = subprocess.run(
        [venv_tool("zizmor"), "--offline", "--format", "plain", str(unsafe)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "template-injection" in result.stdout
    assert "unpinned-uses" in result.stdout


def test_zizmor_does_flag_a_dependabot_config_without_cooldown(tmp_path: Path) -> None:
    config = yaml.safe_load(DEPENDABOT.read_text())
    for update in config["updates"]:
        del update["cooldown"]
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "dependabot.yml").write_text(yaml.safe_dump(config))
    result = subprocess.run(
        [venv_tool("zizmor"), "--offline", "--format", "plain", str(tmp_path / ".github")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "dependabot-cooldown" in result.stdout


def test_checkov_passes_on_the_workflows(tmp_path: Path) -> None:
    checkov = system_tool("checkov", "install: uv tool install checkov")
    result = subprocess.run(
        [
            checkov,
            "--directory",
            str(REPOSITORY / ".github"),
            "--framework",
            "github_actions",
            "--skip-download",
            "--compact",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_deploy_is_one_canary_per_environment_at_a_time_by_workload_identity() -> None:
    workflow = _load(DEPLOY_WORKFLOW)
    inputs = workflow["on"]["workflow_call"]["inputs"]
    assert {name: spec["required"] for name, spec in inputs.items()} == {"environment": True, "digest": True}
    assert workflow["concurrency"] == {"group": "deploy-${{ inputs.environment }}", "cancel-in-progress": False}
    [job] = workflow["jobs"].values()
    assert job["environment"] == "${{ inputs.environment }}"
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    auth = next(s for s in _steps(job) if str(s.get("uses", "")).startswith("google-github-actions/auth@"))
    publish_auth = next(
        s
        for s in _steps(_load(CI_WORKFLOW)["jobs"]["publish"])
        if str(s.get("uses", "")).startswith("google-github-actions/auth@")
    )
    assert auth["uses"] == publish_auth["uses"], "one pinned auth action for the whole repository"
    assert auth["with"]["token_format"] == "access_token"
    assert "credentials_json" not in DEPLOY_WORKFLOW.read_text()
    [step] = [s for s in _steps(job) if DAGGER_RUN + "deploy" in " ".join(s.get("run", "").split())]
    assert step["env"]["GOOGLE_OAUTH_ACCESS_TOKEN"] == "${{ steps.google.outputs.access_token }}"
    assert step["env"]["IMAGE"] == "${{ inputs.digest }}"
    assert "${{" not in step["run"], "inputs reach the command through the environment only"


def test_publish_deploys_main_to_staging_and_release_tags_to_production() -> None:
    jobs = _load(CI_WORKFLOW)["jobs"]
    expected = {
        "deploy-staging": ("staging", "github.event_name == 'push' && github.ref == 'refs/heads/main'"),
        "deploy-production": (
            "production",
            "github.event_name == 'push' && startsWith(github.ref, 'refs/tags/v')",
        ),
    }
    for name, (environment, condition) in expected.items():
        job = jobs[name]
        assert job["uses"] == "./.github/workflows/deploy.yml"
        assert job["needs"] == ["publish"]
        assert job["if"] == condition
        assert job["with"] == {"environment": environment, "digest": "${{ needs.publish.outputs.digest }}"}
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
