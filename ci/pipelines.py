"""Each pipeline as a lazy plan (inspectable offline) and a run that awaits it.

One image per run: `build` exports it once as an OCI tarball; trivy and syft read that
file; `publish` imports the same file, scans it again with today's database, pushes it
and signs the digest the registry reports only if it is the tarball's own.

`swarm-deploy` runs ci/swarm_deploy.py against a Swarm manager over SSH
(ci/swarm_pipeline.py). Later issues add their pipelines here the same way: `chaos`
(ci/chaos.py).
"""

import argparse
import os
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import anyio
import dagger
from dagger import dag

from ci import (
    chaos,
    checks,
    deploy,
    github,
    image,
    perf,
    provenance,
    publish,
    release,
    scan,
    swarm,
    swarm_pipeline,
    workspace,
)
from ci.canary import cli as canary_cli

IMAGE_FILE: Final = "image.tar"
SBOM_FILE: Final = "sbom.spdx.json"
ERROR_STEPS_FAILED: Final = "failed: {names} (each step's output is printed above)"
ERROR_NO_ARTIFACT: Final = "no {path}: run `python ci/main.py build` first (or pass --input)"
ERROR_DEPLOY: Final = "failed: the canary controller exited {code} (its report is printed above)"
ERROR_SWARM_DEPLOY: Final = "failed: swarm-deploy (its output is printed above)"


class PipelineError(Exception):
    """One or more steps failed, or a release check refused; the reason is printed."""


def _now_run_id() -> str:
    return github.run_id({}, datetime.now(UTC))


@dataclass(frozen=True)
class Build:
    """Which commit is built, from which tree, in which run, and what it is called."""

    root: Path
    commit: str
    ref: str = ""
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    dirty: bool = False
    run_id: str = field(default_factory=_now_run_id)

    @property
    def version(self) -> str:
        return release.app_version(commit=self.commit, ref=self.ref)

    @property
    def tags(self) -> list[str]:
        return release.image_tags(commit=self.commit, ref=self.ref)

    @property
    def revision(self) -> str:
        return provenance.revision(self.commit, dirty=self.dirty)

    @classmethod
    def from_environment(cls, root: Path) -> "Build":
        env = dict(os.environ)
        return cls(
            root=root,
            commit=release.current_commit(env, root),
            ref=release.current_ref(env),
            env=env,
            dirty=bool(provenance.dirty_paths(root)),
            run_id=github.run_id(env, datetime.now(UTC)),
        )


def source(build: Build) -> dagger.Directory:
    return workspace.repository(str(build.root))


def host_file(path: Path) -> dagger.File:
    return dag.host().file(str(path.resolve()))


def check_plan(build: Build) -> dict[str, dagger.Container]:
    """`.ci/run`'s steps (checks.CI_STEPS) in its environment; independent, so side by side."""
    python = workspace.python_environment(source(build))
    return {name: python.with_exec(list(command)) for name, command in checks.CI_STEPS.items()}


def scan_plan(build: Build) -> dict[str, dagger.Container]:
    return scan.scan(
        source(build),
        workspace.python_environment(source(build)),
        shell_script_paths=checks.shell_scripts(build.root),
        run_id=build.run_id,
    )


def image_plan(build: Build) -> dagger.Container:
    return image.build(source(build), revision=build.revision, version=build.version)


def image_scan_plan(build: Build, tarball: dagger.File) -> dict[str, dagger.Container]:
    return {"trivy": scan.image_vulnerabilities(tarball, run_id=build.run_id)}


def publish_plan(tarball: dagger.File, target: release.RegistryTarget, *, password_env: str) -> dagger.Container:
    """The built tarball, imported as it is, authenticated to the target registry."""
    return publish.authenticated(publish.imported(tarball), target, publish.secret_from_env(password_env))


def perf_plan(build: Build, *, scenario: str, target: str | None, token_env: str, run_id: str) -> perf.Plan:
    """k6 against the image built here on its own services, or only k6 against `target`."""
    source = workspace.repository(str(build.root))
    if target is not None:
        token = publish.secret_from_env(token_env)
        return perf.target_plan(source, scenario=scenario, target=target, token=token, run_id=run_id)
    return perf.local_plan(source, image_plan(build), scenario=scenario, run_id=run_id)


def chaos_plan(build: Build, *, experiment: str | None, run_id: str) -> chaos.Plan:
    """The experiments against the app from this checkout, its services behind Toxiproxy."""
    return chaos.plan(workspace.repository(str(build.root)), experiment=experiment, run_id=run_id)


def sign_plan(
    build: Build, target: release.RegistryTarget, *, digest_reference: str, password_env: str, sbom: dagger.File
) -> dagger.Container:
    return publish.signer(
        digest_reference,
        target,
        publish.secret_from_env(password_env),
        sbom=sbom,
        oidc_request_url=build.env[publish.OIDC_REQUEST_URL_ENV],
        oidc_request_token=publish.secret_from_env(publish.OIDC_REQUEST_TOKEN_ENV),
    )


def publish_preflight(build: Build, *, artifacts: Path, expected_digest: str | None) -> str:
    """Refuse before any engine starts: a dirty tree, a missing or foreign tarball. Returns its digest."""
    provenance.require_clean(provenance.dirty_paths(build.root))
    tarball = artifacts / IMAGE_FILE
    needed = [tarball, artifacts / SBOM_FILE] if release.signs_keylessly(build.env) else [tarball]
    for path in needed:
        if not path.is_file():
            raise ValueError(ERROR_NO_ARTIFACT.format(path=path))
    digest = provenance.manifest_digest(tarball)
    provenance.require_expected(tarball, digest, expected_digest)
    return digest


def deploy_plan(build: Build, arguments: argparse.Namespace) -> dagger.Container:
    """The controller run for parsed `deploy` options; the version defaults to this build's."""
    if arguments.expected_version is None:
        arguments = argparse.Namespace(**{**vars(arguments), "expected_version": build.version})
    secret_envs = [canary_cli.ACCESS_TOKEN_ENV, *filter(None, [arguments.smoke_token_env])]
    return deploy.controller(
        workspace.repository(str(build.root)),
        canary_cli.to_argv(arguments),
        secrets={name: publish.secret_from_env(name) for name in secret_envs},
        run_id=f"{release.commit_tag(build.commit)}-{uuid.uuid4().hex[:6]}",
    )


def swarm_deploy_plan(
    build: Build, deployment: swarm.Deployment, target: swarm_pipeline.SwarmTarget
) -> dagger.Container:
    return swarm_pipeline.deployer(source(build), deployment, target, run_id=build.run_id)


async def run_steps(steps: Mapping[str, dagger.Container]) -> None:
    """Run independent steps side by side; report each, then fail if any failed."""
    failed: list[str] = []

    async def run_one(name: str, container: dagger.Container) -> None:
        try:
            await container.sync()
        except dagger.ExecError as error:
            failed.append(name)
            print(f"--- {name} FAILED (exit {error.exit_code}): {' '.join(error.command)}")
            print(error.stdout, error.stderr, sep="\n", file=sys.stderr)
        else:
            print(f"--- {name} ok")

    async with anyio.create_task_group() as group:
        for name, container in steps.items():
            group.start_soon(run_one, name, container)
    if failed:
        raise PipelineError(ERROR_STEPS_FAILED.format(names=", ".join(sorted(failed))))


async def run_check(build: Build) -> None:
    await run_steps(check_plan(build))


async def run_scan(build: Build) -> None:
    await run_steps(scan_plan(build))


async def run_build(build: Build, *, output: Path) -> str:
    """Build the image once into output/image.tar; trivy and syft read that file. Returns its digest."""
    tarball_path = output / IMAGE_FILE
    await image_plan(build).export(str(tarball_path))
    digest = provenance.manifest_digest(tarball_path)
    tarball = host_file(tarball_path)
    await run_steps(image_scan_plan(build, tarball))
    await image.sbom(tarball).export(str(output / SBOM_FILE))
    print(f"built {digest} (revision {build.revision}, version {build.version}): {tarball_path}, {SBOM_FILE}")
    github.set_output(build.env, "digest", digest)
    return digest


async def run_all(build: Build, *, output: Path) -> None:
    await run_steps({**check_plan(build), **scan_plan(build)})
    await run_build(build, output=output)


async def run_deploy(build: Build, arguments: argparse.Namespace) -> None:
    try:
        report = await deploy_plan(build, arguments).stdout()
    except dagger.ExecError as error:
        print(error.stdout, error.stderr, sep="\n", file=sys.stderr)
        raise PipelineError(ERROR_DEPLOY.format(code=error.exit_code)) from error
    print(report)


async def run_swarm_deploy(build: Build, deployment: swarm.Deployment, target: swarm_pipeline.SwarmTarget) -> None:
    try:
        print(await swarm_deploy_plan(build, deployment, target).stdout())
    except dagger.ExecError as error:
        print(error.stdout, error.stderr, sep="\n", file=sys.stderr)
        raise PipelineError(ERROR_SWARM_DEPLOY) from error


async def run_publish(
    build: Build, target: release.RegistryTarget, *, password_env: str, artifacts: Path, digest: str
) -> None:
    """Push the tarball `build` wrote (digest from publish_preflight) and sign what the registry holds."""
    tarball = host_file(artifacts / IMAGE_FILE)
    try:
        provenance.require_revision(await publish.imported(tarball).label(provenance.REVISION_LABEL), build.commit)
        await run_steps(image_scan_plan(build, tarball))
        pushed = publish_plan(tarball, target, password_env=password_env)
        digest_reference = await publish.push(pushed, target, tags=build.tags)
        provenance.require_pushed(digest_reference, digest)
    except ValueError as error:
        raise PipelineError(str(error)) from error
    print(digest_reference)
    github.set_output(build.env, "digest", digest_reference)
    if release.signs_keylessly(build.env):
        sbom = host_file(artifacts / SBOM_FILE)
        plan = sign_plan(build, target, digest_reference=digest_reference, password_env=password_env, sbom=sbom)
        await plan.sync()
        print(f"signed {digest_reference} and attested its SBOM (cosign, keyless)")
    else:
        print("not in GitHub Actions: published unsigned (keyless signing needs its OIDC token)")


async def run_chaos(build: Build, *, experiment: str | None, output: Path) -> None:
    found = await chaos.run(chaos_plan(build, experiment=experiment, run_id=uuid.uuid4().hex), output=output)
    if found:
        raise PipelineError("failed: " + "; ".join(found))


async def run_perf(build: Build, *, scenario: str, target: str | None, token_env: str, output: Path) -> None:
    plan = perf_plan(build, scenario=scenario, target=target, token_env=token_env, run_id=uuid.uuid4().hex)
    failure = await perf.run(plan, output=output)
    if failure is not None:
        raise PipelineError(f"failed: {failure}")
