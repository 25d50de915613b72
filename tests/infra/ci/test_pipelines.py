"""Each pipeline's Dagger call chain, built offline and read step by step."""

import re
import shutil
import subprocess
from pathlib import Path

import dagger
import pytest

from ci import checks, image, pipelines, provenance, publish, release, scan, workspace
from tests.infra.ci.chain import (
    calls_named,
    chain,
    every_call,
    execs,
    image_addresses,
    secret_uris,
)

PINNED = re.compile(r"[^\s@]+:[^\s@/]+@sha256:[0-9a-f]{64}")
TARGET = release.artifact_registry(location="europe-west1", project="my-project", repository="app")
DIGEST_REFERENCE = f"{TARGET.address}@sha256:{'0' * 64}"
TARBALL = Path("/work/build/image.tar")
SBOM = Path("/work/build/sbom.spdx.json")
GITHUB_ENV = {"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.example"}


def _host_file_paths(obj: object) -> list[str]:
    return [call.args["path"] for call in calls_named(obj, "file", nested=True) if call.type_name == "Host"]


def _env(container: object) -> dict[str, str]:
    return {call.args["name"]: call.args["value"] for call in calls_named(container, "withEnvVariable")}


def _env_before_last_exec(container: dagger.Container) -> dict[str, str]:
    calls = chain(container)
    last_exec = max(i for i, call in enumerate(calls) if call.name == "withExec")
    return {call.args["name"]: call.args["value"] for call in calls[:last_exec] if call.name == "withEnvVariable"}


DEPLOY_ARGS = [
    *("deploy", "--project", "my-project", "--region", "europe-west1", "--service", "file-drop"),
    *("--migrations-job", "file-drop-migrate", "--image", DIGEST_REFERENCE, "--smoke-token-env", "SMOKE_TOKEN"),
]


def _deploy_plan(build: pipelines.Build, *extra: str) -> dagger.Container:
    from ci import commands

    return pipelines.deploy_plan(build, commands.parser().parse_args([*DEPLOY_ARGS, *extra]))


def _assert_locked_python_environment(container: dagger.Container) -> None:
    assert calls_named(container, "from")[0].args["address"] == workspace.PYTHON_IMAGE
    caches = {call.args["path"]: call.args["cache"] for call in calls_named(container, "withMountedCache")}
    assert workspace.UV_CACHE_PATH in caches
    assert isinstance(caches[workspace.UV_CACHE_PATH], dagger.CacheVolume)
    assert calls_named(caches[workspace.UV_CACHE_PATH], "cacheVolume")[0].args["key"] == "uv-cache"
    assert list(checks.SETUP_COMMAND) in execs(container)
    apt = next(args for args in execs(container) if args[:2] == ["apt-get", "install"])
    assert set(checks.SYSTEM_PACKAGES) <= set(apt), "the tests' system packages are missing"


def _github_build(build: pipelines.Build) -> pipelines.Build:
    return pipelines.Build(root=build.root, commit=build.commit, ref=build.ref, env=GITHUB_ENV, run_id=build.run_id)


def _every_plan(build: pipelines.Build) -> list[object]:
    tarball = pipelines.host_file(TARBALL)
    return [
        *pipelines.check_plan(build).values(),
        *pipelines.scan_plan(build).values(),
        pipelines.image_plan(build),
        *pipelines.image_scan_plan(build, tarball).values(),
        image.sbom(tarball),
        pipelines.publish_plan(tarball, TARGET, password_env="REGISTRY_PASSWORD"),
        pipelines.sign_plan(
            _github_build(build),
            TARGET,
            digest_reference=DIGEST_REFERENCE,
            password_env="REGISTRY_PASSWORD",
            sbom=pipelines.host_file(SBOM),
        ),
        _deploy_plan(build),
    ]


def test_every_image_in_every_pipeline_is_pinned_by_tag_and_digest(build: pipelines.Build) -> None:
    addresses = {address for plan in _every_plan(build) for address in image_addresses(plan)}
    assert len(addresses) >= 6
    for address in addresses:
        assert PINNED.fullmatch(address), f"{address} is not pinned as image:tag@sha256:digest"


def test_check_runs_the_ci_steps_in_the_locked_environment_and_nothing_else(build: pipelines.Build) -> None:
    steps = pipelines.check_plan(build)
    assert list(steps) == list(checks.CI_STEPS)
    for name, step in steps.items():
        _assert_locked_python_environment(step)
        assert execs(step)[-1] == list(checks.CI_STEPS[name])
        # The suite starts its own Postgres and GCS emulator, as under .ci/run.
        assert not calls_named(step, "withServiceBinding")
        assert not {"TEST_DATABASE_URL", "STORAGE_EMULATOR_HOST"} & set(_env(step))
        assert _env(step) == {**checks.environment(), **workspace.CONTAINER_ENV}


def test_check_has_node_and_npm_and_installs_the_npm_projects_from_their_locks(build: pipelines.Build) -> None:
    """REQUIRE_TOOLS names node, npm and the npm projects' tools: the container must have them too."""
    test = pipelines.check_plan(build)["test"]
    copied = {call.args["path"]: call.args["source"] for call in calls_named(test, "withFile")}
    npm = {call.args["path"]: call.args["source"] for call in calls_named(test, "withDirectory")}
    launchers = {call.args["path"]: call.args["contents"] for call in calls_named(test, "withNewFile")}
    caches = {call.args["path"] for call in calls_named(test, "withMountedCache")}

    assert chain(copied["/usr/local/bin/node"])[1].args["address"] == workspace.NODE_IMAGE
    assert chain(npm[workspace.NPM_PACKAGE_PATH])[1].args["address"] == workspace.NODE_IMAGE
    assert launchers["/usr/local/bin/npm"] == workspace.NPM_LAUNCHER
    assert workspace.NPM_CACHE_PATH in caches
    installs = [args for args in execs(test) if args[0] == "npm"]
    assert installs == [list(checks.npm_install(project)) for project in checks.NPM_PROJECTS]
    assert {"node", "npm", *checks.NPM_TOOLS} <= set(checks.required_tools())


def test_check_installs_the_pinned_uv_tools(build: pipelines.Build) -> None:
    commands = execs(pipelines.check_plan(build)["test"])
    for spec in checks.uv_tool_specs():
        assert list(checks.uv_tool_install(spec)) in commands


def test_source_sent_to_the_engine_honours_gitignore_and_leaves_out_git(build: pipelines.Build) -> None:
    for plan in (pipelines.check_plan(build)["lint"], pipelines.image_plan(build)):
        host_directories = [call for call in calls_named(plan, "directory", nested=True) if call.type_name == "Host"]
        assert host_directories
        for call in host_directories:
            assert call.args["gitignore"] is True
            assert call.args["exclude"] == [".git"]


IGNORED = (".env", "var/db.sqlite3", "key.pem", "certs/server.key", ".venv/bin/python", "build/image.tar")


def test_gitignore_keeps_local_keys_and_state_from_the_engine(repository: Path, tmp_path: Path) -> None:
    """Asked of git itself, in a repository holding only our .gitignore (the check
    container's source has no .git)."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    shutil.copy(repository / ".gitignore", tmp_path / ".gitignore")
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", "--verbose", "--non-matching", *IGNORED],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    not_ignored = [line.split("\t")[1] for line in result.stdout.splitlines() if line.startswith("::")]
    assert not_ignored == [], "these would be uploaded to the engine"


def test_scan_runs_every_source_scan_and_leaves_the_image_to_build(build: pipelines.Build) -> None:
    steps = pipelines.scan_plan(build)
    assert {"pip-audit", "bandit", "hadolint", "zizmor", "checkov", "alloy"} <= set(steps)
    assert "trivy" not in steps, "scan would build an image of its own"
    alloy = execs(steps["alloy"])
    for config in scan.ALLOY_CONFIGS:
        assert ["alloy", "validate", f"/src/{config}"] in alloy, f"{config} is not validated"
    for name in ("pip-audit", "bandit", "hadolint", "zizmor"):
        _assert_locked_python_environment(steps[name])
    assert execs(steps["zizmor"])[-1] == ["uv", "run", "zizmor", "--offline", ".github"]
    assert "pip-audit" in execs(steps["pip-audit"])[-1][-1]
    checkov = execs(steps["checkov"])[-1]
    assert checkov[0] == "checkov"
    assert {"terraform", "dockerfile", "github_actions"} <= set(checkov)
    assert not any(calls_named(step, "dockerBuild", nested=True) for step in steps.values())


def test_time_sensitive_scans_carry_the_run_id_so_the_cache_never_answers(build: pipelines.Build) -> None:
    steps = pipelines.scan_plan(build)
    assert _env_before_last_exec(steps["pip-audit"])[scan.CACHE_BUSTER_ENV] == build.run_id
    trivy = pipelines.image_scan_plan(build, pipelines.host_file(TARBALL))["trivy"]
    assert _env_before_last_exec(trivy)[scan.CACHE_BUSTER_ENV] == build.run_id
    # Deterministic scans stay cacheable.
    for name in ("bandit", "hadolint", "zizmor"):
        assert scan.CACHE_BUSTER_ENV not in _env(steps[name])


def test_each_run_has_its_own_run_id(build: pipelines.Build) -> None:
    one = pipelines.Build(root=build.root, commit=build.commit)
    other = pipelines.Build(root=build.root, commit=build.commit)
    assert one.run_id != other.run_id


def test_build_is_the_dockerfile_image_labelled_with_commit_and_version(build: pipelines.Build) -> None:
    built = pipelines.image_plan(build)
    docker_build = calls_named(built, "dockerBuild")
    assert docker_build, "the image is not built from the Dockerfile"
    assert docker_build[0].args["buildArgs"] == [{"name": "APP_VERSION", "value": build.version}]
    labels = {call.args["name"]: call.args["value"] for call in calls_named(built, "withLabel")}
    assert labels[provenance.REVISION_LABEL] == build.commit
    assert labels["org.opencontainers.image.version"] == build.version


def test_an_image_built_from_a_dirty_tree_says_so(build: pipelines.Build) -> None:
    dirty = pipelines.Build(root=build.root, commit=build.commit, dirty=True)
    labels = {call.args["name"]: call.args["value"] for call in calls_named(pipelines.image_plan(dirty), "withLabel")}
    assert labels[provenance.REVISION_LABEL] == build.commit + "-dirty"


def test_trivy_and_syft_read_the_tarball_file_build_wrote(build: pipelines.Build) -> None:
    tarball = pipelines.host_file(TARBALL)
    trivy = pipelines.image_scan_plan(build, tarball)["trivy"]
    command = execs(trivy)[-1]
    assert command[:2] == ["trivy", "image"]
    assert command[command.index("--input") + 1] == scan.IMAGE_TARBALL
    assert command[command.index("--severity") + 1] == "CRITICAL,HIGH"
    assert command[command.index("--exit-code") + 1] == "1"
    assert "--ignore-unfixed" in command
    assert calls_named(trivy, "withMountedCache")[0].args["path"] == scan.TRIVY_CACHE_PATH
    sbom = image.sbom(tarball)
    assert chain(sbom)[1].args["address"] == image.SYFT_IMAGE
    assert execs(sbom)[-1][:3] == ["/syft", "scan", f"oci-archive:{image.IMAGE_TARBALL}"]
    assert "spdx-json=" in execs(sbom)[-1][-1]
    for plan in (trivy, sbom):
        assert _host_file_paths(plan) == [str(TARBALL)]
        assert not calls_named(plan, "dockerBuild", nested=True), "a second build of the image"


def test_publish_pushes_the_tarball_as_imported_with_the_password_as_a_secret() -> None:
    plan = pipelines.publish_plan(pipelines.host_file(TARBALL), TARGET, password_env="REGISTRY_PASSWORD")
    names = [call.name for call in chain(plan)]
    assert names[:2] == ["container", "import"], "publish does not push the build's tarball"
    assert _host_file_paths(plan) == [str(TARBALL)]
    assert not calls_named(plan, "dockerBuild", nested=True), "publish builds an image of its own"
    auth = calls_named(plan, "withRegistryAuth")
    assert len(auth) == 1
    assert auth[0].args["address"] == TARGET.address
    assert auth[0].args["username"] == "oauth2accesstoken"
    secret = auth[0].args["secret"]
    assert isinstance(secret, dagger.Secret), "the registry password is not a dagger.Secret"
    assert secret_uris(secret) == ["env://REGISTRY_PASSWORD"]
    assert not calls_named(plan, "setSecret", nested=True), "a plaintext went through Python"


def test_signing_passes_every_credential_as_a_secret(build: pipelines.Build) -> None:
    signer = pipelines.sign_plan(
        _github_build(build),
        TARGET,
        digest_reference=DIGEST_REFERENCE,
        password_env="REGISTRY_PASSWORD",
        sbom=pipelines.host_file(SBOM),
    )
    secrets = {call.args["name"]: call.args["secret"] for call in calls_named(signer, "withSecretVariable")}
    assert set(secrets) == {"REGISTRY_PASSWORD", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"}
    assert all(isinstance(secret, dagger.Secret) for secret in secrets.values())
    assert secret_uris(secrets["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]) == ["env://ACTIONS_ID_TOKEN_REQUEST_TOKEN"]
    env = _env(signer)
    assert not {"REGISTRY_PASSWORD", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"} & set(env)
    assert env["IMAGE"] == DIGEST_REFERENCE, "cosign must sign the digest, not a tag"
    assert "cosign sign --yes" in execs(signer)[-1][-1]
    assert "cosign attest --yes --type spdxjson" in execs(signer)[-1][-1]
    assert publish.COSIGN_IMAGE in image_addresses(signer)
    assert _host_file_paths(signer) == [str(SBOM)], "the attested SBOM is not the one build made"


def test_no_step_anywhere_puts_a_credential_in_a_plain_variable(build: pipelines.Build) -> None:
    for plan in _every_plan(build):
        for call in every_call(plan):
            if call.name == "withEnvVariable":
                assert not re.search(r"(PASSWORD|TOKEN|SECRET|KEY)$", call.args["name"]), call
            assert call.name != "setSecret", call


@pytest.mark.parametrize(
    ("ref", "tags"),
    [
        ("refs/heads/main", ["0123456789ab"]),
        ("refs/tags/v2.0.1", ["0123456789ab", "2.0.1", "2.0", "2"]),
    ],
)
def test_build_names_itself_from_the_commit_and_ref(build: pipelines.Build, ref: str, tags: list[str]) -> None:
    named = pipelines.Build(root=build.root, commit=build.commit, ref=ref, env={})
    assert named.tags == tags


def test_deploy_runs_the_controller_with_the_locked_deploy_group_and_secrets_only(
    build: pipelines.Build,
) -> None:
    from ci.canary import cli

    plan = _deploy_plan(build, "--bake-seconds", "60")

    assert calls_named(plan, "from")[0].args["address"] == workspace.PYTHON_IMAGE
    commands = execs(plan)
    assert ["uv", "sync", "--locked", "--only-group", "deploy", "--no-install-project"] in commands
    controller = commands[-1]
    assert controller[:6] == ["uv", "run", "--no-sync", "python", "-m", "ci.canary"]
    parsed = cli.parser().parse_args(controller[6:])
    assert parsed.image == DIGEST_REFERENCE, "the controller must release the digest, never a tag"
    assert parsed.expected_version == build.version, "the version must default to this build's"
    assert parsed.bake_seconds == 60
    secrets = {call.args["name"]: call.args["secret"] for call in calls_named(plan, "withSecretVariable")}
    assert set(secrets) == {"GOOGLE_OAUTH_ACCESS_TOKEN", "SMOKE_TOKEN"}
    assert all(secret_uris(secret) == [f"env://{name}"] for name, secret in secrets.items())
    env = {call.args["name"]: call.args["value"] for call in calls_named(plan, "withEnvVariable")}
    assert not {"GOOGLE_OAUTH_ACCESS_TOKEN", "SMOKE_TOKEN"} & set(env)
    assert env[cli.RUN_ID_ENV].startswith(release.commit_tag(build.commit)), "each run must be its own"
    sources = [call.args.get("include") for call in calls_named(plan, "withDirectory")]
    assert ["ci/**"] in sources, "only ci/ goes into the controller's container"
