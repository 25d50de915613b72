"""The Dockerfile: linted by hadolint and checkov, and its properties read from the file."""

import re
import subprocess
from pathlib import Path

from tests.infra.containers.conftest import DOCKERFILE, PINNED_IMAGE, ROOT, Stage
from tests.support.checkov import checkov_report
from tests.support.tools import venv_tool

# Packages that would put a compiler in the image.
COMPILERS = re.compile(r"\b(build-essential|gcc|g\+\+|clang|make|cc|libc6-dev|python3-dev)\b")
OCI_LABELS = ("source", "revision", "version")


def _hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    binary = venv_tool("hadolint")
    return subprocess.run([binary, "--no-color", str(path)], cwd=ROOT, capture_output=True, text=True, check=False)


def _checkov(path: Path) -> dict:
    return checkov_report("--framework", "dockerfile", "--file", str(path), cwd=ROOT)


def _labels(stage: Stage) -> dict[str, str]:
    labels: dict[str, str] = {}
    for instruction in stage.all("LABEL"):
        for key, value in re.findall(r'([\w.-]+)=("[^"]*"|\S+)', instruction.arguments):
            labels[key] = value.strip('"')
    return labels


def _stage(stages: list[Stage], name: str) -> Stage:
    return next(stage for stage in stages if stage.name == name)


def test_hadolint_reports_nothing() -> None:
    result = _hadolint(DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_flags_a_careless_dockerfile(tmp_path: Path) -> None:
    """The linter really runs: an unpinned, root, shell-form image does not pass."""
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM python\nRUN apt-get update && apt-get install -y gcc\nCMD python app.py\n")
    result = _hadolint(careless)
    assert result.returncode != 0
    assert "DL3006" in result.stdout  # untagged base image


def test_checkov_reports_nothing_unexplained() -> None:
    report = _checkov(DOCKERFILE)
    failed = [(c["check_id"], c["file_line_range"]) for c in report["results"]["failed_checks"]]
    assert failed == []
    assert report["summary"]["parsing_errors"] == 0
    for check in report["results"]["skipped_checks"]:
        reason = (check.get("check_result") or {}).get("suppress_comment", "")
        assert reason.strip(), f"{check['check_id']} is skipped without a reason"


def test_checkov_flags_a_careless_dockerfile(tmp_path: Path) -> None:
    careless = tmp_path / "Dockerfile"
    careless.write_text('FROM python:3.12\nCOPY . /app\nCMD ["python", "/app/main.py"]\n')
    report = _checkov(careless)
    failed = {c["check_id"] for c in report["results"]["failed_checks"]}
    assert {"CKV_DOCKER_2", "CKV_DOCKER_3"} <= failed  # no HEALTHCHECK, no USER


def test_image_is_multi_stage_with_every_base_pinned_by_digest(stages: list[Stage]) -> None:
    names = {stage.name for stage in stages}
    external = [stage.base for stage in stages if stage.base not in names]
    assert len(stages) >= 2
    for base in external:
        match = PINNED_IMAGE.match(base)
        assert match, f"{base} is not pinned as image:tag@sha256:digest"
        assert match["tag"] != "latest"


def test_final_stage_is_slim_python_312_pinned_by_digest(final_stage: Stage) -> None:
    match = PINNED_IMAGE.match(final_stage.base)
    assert match, final_stage.base
    assert match["name"] in {"python", "docker.io/library/python"}
    assert re.match(r"3\.12(\.\d+)?-slim", match["tag"]), match["tag"]


def test_final_stage_runs_as_a_non_root_user(final_stage: Stage) -> None:
    user = final_stage.last("USER")
    assert user is not None, "the final stage sets no USER"
    name, _, group = user.arguments.partition(":")
    assert name not in {"0", "root"}
    assert group not in {"0", "root"}
    # Nothing after USER may need root, and a numeric id lets Kubernetes check runAsNonRoot.
    assert name.isdigit()
    assert all(i.keyword != "RUN" for i in final_stage.instructions if i.line > user.line)


def test_final_stage_has_no_compiler_and_no_build_tools(final_stage: Stage) -> None:
    for run in final_stage.all("RUN"):
        assert not COMPILERS.search(run.arguments), run.arguments
        assert "apt-get install" not in run.arguments
    for copy in final_stage.all("COPY"):
        assert copy.options().get("from") != "uv", "the uv binary stays in the build stage"


def test_dependencies_come_from_the_lock_without_dev_group(stages: list[Stage]) -> None:
    build = _stage(stages, "build")
    syncs = [run.arguments for run in build.all("RUN") if "uv sync" in run.arguments]
    assert syncs
    for sync in syncs:
        assert "--locked" in sync
        assert "--no-dev" in sync
    assert "--no-editable" in syncs[-1]  # the venv must not point back at /app/app
    copied = [copy.arguments for copy in stages[-1].all("COPY")]
    assert "--from=build /app/.venv /app/.venv" in copied


def test_the_dev_image_leaves_out_the_repackaged_k6(stages: list[Stage]) -> None:
    syncs = [run.arguments for run in _stage(stages, "dev").all("RUN") if "uv sync" in run.arguments]
    assert syncs
    assert all("--no-install-package k6" in sync for sync in syncs), syncs


def test_static_files_are_collected_at_build_time(final_stage: Stage) -> None:
    env = " ".join(i.arguments for i in final_stage.all("ENV"))
    assert "DJANGO_STATIC_ROOT=/app/static" in env
    collect = [run.arguments for run in final_stage.all("RUN") if "collectstatic" in run.arguments]
    assert len(collect) == 1
    assert "DJANGO_ENV=embedded" in collect[0]
    assert "APP_VAR_DIR=/tmp/build-var" in collect[0]
    assert "--noinput" in collect[0]


def test_healthcheck_probes_liveness_on_the_served_port(final_stage: Stage) -> None:
    healthcheck = final_stage.last("HEALTHCHECK")
    assert healthcheck is not None
    probe = healthcheck.exec_form()
    assert probe is not None, "HEALTHCHECK must use the exec form"
    assert "http://127.0.0.1:8000/healthz" in " ".join(probe)
    for option in ("interval", "timeout", "start-period", "retries"):
        assert option in healthcheck.options()


def test_cmd_serves_with_uvicorn_without_migrating(final_stage: Stage) -> None:
    cmd = final_stage.last("CMD")
    assert cmd is not None
    command = cmd.exec_form()
    assert command is not None, "CMD must use the exec form"
    assert command[:2] == ["app", "serve"]
    assert {"--no-migrate", "--forwarded-allow-ips"} <= set(command)
    assert command[command.index("--host") + 1] == "0.0.0.0"  # noqa: S104 (containers listen on all interfaces)
    port = command[command.index("--port") + 1]
    assert [e.arguments for e in final_stage.all("EXPOSE")] == [port]


def test_oci_labels_carry_source_revision_and_version(final_stage: Stage) -> None:
    labels = _labels(final_stage)
    args = {i.arguments.split("=")[0] for i in final_stage.all("ARG")}
    for name in OCI_LABELS:
        value = labels.get(f"org.opencontainers.image.{name}")
        assert value is not None, f"label org.opencontainers.image.{name} is missing"
        variable = re.fullmatch(r"\$\{(\w+)\}", value)
        assert variable, f"{name} must come from a build argument"
        assert variable[1] in args, f"{name} reads an undeclared ARG {variable[1]}"


def test_app_version_is_set_from_the_build_argument(final_stage: Stage) -> None:
    env = " ".join(i.arguments for i in final_stage.all("ENV"))
    assert "APP_VERSION=${APP_VERSION}" in env
    assert any(i.arguments.startswith("APP_VERSION") for i in final_stage.all("ARG"))


def test_dockerignore_admits_only_what_the_build_copies(stages: list[Stage]) -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns[0] == "*", ".dockerignore must be an allowlist"
    admitted = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    copied: set[str] = set()
    for stage in stages:
        for copy in stage.all("COPY"):
            if "from" in copy.options():
                continue
            *sources, _ = [w for w in copy.arguments.split() if not w.startswith("--")]
            copied.update(source.rstrip("/") for source in sources)
        for run in stage.all("RUN"):
            copied.update(re.findall(r"type=bind,source=([\w.-]+)", run.arguments))
    assert admitted == copied
