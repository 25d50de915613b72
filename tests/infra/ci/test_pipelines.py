"""Each pipeline's Dagger call chain, built offline and read step by step."""

import re

import dagger
import pytest

from ci import checks, pipelines, publish, release, scan, suite, workspace
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


def _assert_locked_python_environment(container: dagger.Container) -> None:
    assert calls_named(container, "from")[0].args["address"] == workspace.PYTHON_IMAGE
    caches = {call.args["path"]: call.args["cache"] for call in calls_named(container, "withMountedCache")}
    assert workspace.UV_CACHE_PATH in caches
    assert isinstance(caches[workspace.UV_CACHE_PATH], dagger.CacheVolume)
    assert calls_named(caches[workspace.UV_CACHE_PATH], "cacheVolume")[0].args["key"] == "uv-cache"
    assert ["uv", "sync", "--locked"] in execs(container)
    apt = next(args for args in execs(container) if args[:2] == ["apt-get", "install"])
    assert set(checks.SYSTEM_PACKAGES) <= set(apt), "the tests' system packages are missing"


def test_every_image_in_every_pipeline_is_pinned_by_tag_and_digest(
    build: pipelines.Build,
) -> None:
    plans: list[object] = [
        *pipelines.check_plan(build).values(),
        *pipelines.scan_plan(build).values(),
        pipelines.publish_plan(build, TARGET, password_env="REGISTRY_PASSWORD"),
    ]
    addresses = {address for plan in plans for address in image_addresses(plan)}
    assert addresses, "no image pulled at all"
    for address in addresses:
        assert PINNED.fullmatch(address), f"{address} is not pinned as image:tag@sha256:digest"


def test_check_lints_with_the_commands_from_checks_in_the_locked_environment(
    build: pipelines.Build,
) -> None:
    lint = pipelines.check_plan(build)["lint"]
    _assert_locked_python_environment(lint)
    commands = [tuple(args) for args in execs(lint)]
    assert commands[-len(checks.LINT_COMMANDS) :] == list(checks.lint_commands())


def test_check_tests_against_postgres_and_the_gcs_emulator_services(
    build: pipelines.Build,
) -> None:
    test = pipelines.check_plan(build)["test"]
    _assert_locked_python_environment(test)
    assert execs(test)[-1] == list(checks.test_command())

    services = {call.args["alias"]: call.args["service"] for call in calls_named(test, "withServiceBinding")}
    assert set(services) == {suite.POSTGRES_ALIAS, suite.GCS_ALIAS}
    postgres_calls = chain(services[suite.POSTGRES_ALIAS])
    assert postgres_calls[1].args["address"] == suite.POSTGRES_IMAGE
    assert calls_named(services[suite.POSTGRES_ALIAS], "withExposedPort")[0].args["port"] == 5432
    assert calls_named(services[suite.POSTGRES_ALIAS], "asService")[0].args["useEntrypoint"] is True
    emulator_args = calls_named(services[suite.GCS_ALIAS], "asService")[0].args["args"]
    assert "gcp-storage-emulator" in emulator_args

    env = {call.args["name"]: call.args["value"] for call in calls_named(test, "withEnvVariable")}
    assert env["TEST_DATABASE_URL"] == "postgres://postgres@postgres:5432/app"
    assert env["STORAGE_EMULATOR_HOST"] == "http://gcs:9023"
    assert env["REQUIRE_POSTGRES"] == "1"
    # Services are bound before the tests run, or they would not be reachable.
    names = [call.name for call in chain(test)]
    assert names.index("withServiceBinding") < len(names) - 1


def test_source_sent_to_the_engine_leaves_out_local_state(build: pipelines.Build) -> None:
    lint = pipelines.check_plan(build)["lint"]
    host_directories = calls_named(lint, "directory", nested=True)
    excludes = next(call.args["exclude"] for call in host_directories if call.type_name == "Host")
    assert {".venv", ".git", "var", ".env"} <= set(excludes)


def test_scan_runs_every_supply_chain_tool(build: pipelines.Build) -> None:
    steps = pipelines.scan_plan(build)
    assert {"pip-audit", "bandit", "hadolint", "zizmor", "checkov", "alloy", "trivy"} <= set(steps)
    alloy = execs(steps["alloy"])
    for config in scan.ALLOY_CONFIGS:
        assert ["alloy", "validate", f"/src/{config}"] in alloy, f"{config} is not validated"
    for name in ("pip-audit", "bandit", "hadolint", "zizmor"):
        _assert_locked_python_environment(steps[name])
    assert execs(steps["zizmor"])[-1] == ["uv", "run", "zizmor", "--offline", ".github/workflows"]
    assert "pip-audit" in execs(steps["pip-audit"])[-1][-1]
    checkov = execs(steps["checkov"])[-1]
    assert checkov[0] == "checkov"
    assert {"terraform", "dockerfile", "github_actions"} <= set(checkov)


def test_trivy_fails_on_fixable_critical_or_high_findings_of_the_built_image(
    build: pipelines.Build,
) -> None:
    trivy = pipelines.scan_plan(build)["trivy"]
    command = execs(trivy)[-1]
    assert command[:2] == ["trivy", "image"]
    assert command[command.index("--severity") + 1] == "CRITICAL,HIGH"
    assert command[command.index("--exit-code") + 1] == "1"
    assert "--ignore-unfixed" in command
    tarball = calls_named(trivy, "withMountedFile")[0].args["source"]
    assert calls_named(tarball, "dockerBuild"), "trivy does not scan the image built from the Dockerfile"
    assert calls_named(trivy, "withMountedCache")[0].args["path"] == scan.TRIVY_CACHE_PATH


def test_build_is_the_dockerfile_image_labelled_with_commit_and_version(
    build: pipelines.Build,
) -> None:
    image = pipelines.image_plan(build)
    docker_build = calls_named(image, "dockerBuild")
    assert docker_build, "the image is not built from the Dockerfile"
    assert docker_build[0].args["buildArgs"] == [{"name": "APP_VERSION", "value": build.version}]
    labels = {call.args["name"]: call.args["value"] for call in calls_named(image, "withLabel")}
    assert labels["org.opencontainers.image.revision"] == build.commit
    assert labels["org.opencontainers.image.version"] == build.version


def test_sbom_is_syft_spdx_of_the_built_image(build: pipelines.Build) -> None:
    from ci import image

    sbom = image.sbom(pipelines.image_plan(build))
    assert chain(sbom)[1].args["address"] == image.SYFT_IMAGE
    assert execs(sbom)[-1][:3] == ["/syft", "scan", f"oci-archive:{image.IMAGE_TARBALL}"]
    assert "spdx-json=" in execs(sbom)[-1][-1]
    assert calls_named(sbom, "dockerBuild", nested=True)


def test_publish_pushes_the_built_image_with_the_password_as_a_secret(
    build: pipelines.Build,
) -> None:
    plan = pipelines.publish_plan(build, TARGET, password_env="REGISTRY_PASSWORD")
    names = [call.name for call in chain(plan)]
    assert "dockerBuild" in names, "publish does not push the image built from the Dockerfile"
    auth = calls_named(plan, "withRegistryAuth")
    assert len(auth) == 1
    assert auth[0].args["address"] == TARGET.address
    assert auth[0].args["username"] == "oauth2accesstoken"
    secret = auth[0].args["secret"]
    assert isinstance(secret, dagger.Secret), "the registry password is not a dagger.Secret"
    assert secret_uris(secret) == ["env://REGISTRY_PASSWORD"]
    assert not calls_named(plan, "setSecret", nested=True), "a plaintext went through Python"


def test_signing_passes_every_credential_as_a_secret(build: pipelines.Build) -> None:
    github = pipelines.Build(
        root=build.root,
        commit=build.commit,
        ref=build.ref,
        env={"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.example"},
    )
    signer = pipelines.sign_plan(github, TARGET, digest_reference=DIGEST_REFERENCE, password_env="REGISTRY_PASSWORD")
    secrets = {call.args["name"]: call.args["secret"] for call in calls_named(signer, "withSecretVariable")}
    assert set(secrets) == {"REGISTRY_PASSWORD", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"}
    assert all(isinstance(secret, dagger.Secret) for secret in secrets.values())
    assert secret_uris(secrets["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]) == ["env://ACTIONS_ID_TOKEN_REQUEST_TOKEN"]
    plain = {call.args["name"] for call in calls_named(signer, "withEnvVariable")}
    assert not {"REGISTRY_PASSWORD", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"} & plain
    env = {call.args["name"]: call.args["value"] for call in calls_named(signer, "withEnvVariable")}
    assert env["IMAGE"] == DIGEST_REFERENCE, "cosign must sign the digest, not a tag"
    assert "cosign sign --yes" in execs(signer)[-1][-1]
    assert "cosign attest --yes --type spdxjson" in execs(signer)[-1][-1]
    pulled = image_addresses(signer)
    assert publish.COSIGN_IMAGE in pulled
    assert calls_named(signer, "dockerBuild", nested=True), "the attested SBOM is not of the built image"


def test_no_step_anywhere_puts_a_credential_in_a_plain_variable(build: pipelines.Build) -> None:
    github = pipelines.Build(
        root=build.root,
        commit=build.commit,
        env={"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.example"},
    )
    plans: list[object] = [
        *pipelines.check_plan(build).values(),
        *pipelines.scan_plan(build).values(),
        pipelines.publish_plan(build, TARGET, password_env="REGISTRY_PASSWORD"),
        pipelines.sign_plan(github, TARGET, digest_reference=DIGEST_REFERENCE, password_env="REGISTRY_PASSWORD"),
    ]
    for plan in plans:
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
