"""Each pipeline as a lazy plan (inspectable offline) and a run that awaits it.

Later issues add their pipelines here the same way: `perf` (ci/perf.py, k6) and `chaos`
(ci/chaos.py).
"""

import argparse
import os
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import anyio
import dagger

from ci import checks, deploy, image, publish, release, scan, suite, workspace
from ci.canary import cli as canary_cli

ERROR_STEPS_FAILED: Final = "failed: {names} (each step's output is printed above)"
ERROR_DEPLOY: Final = "failed: the canary controller exited {code} (its report is printed above)"


class PipelineError(Exception):
    """One or more steps failed; their output was already printed."""


@dataclass(frozen=True)
class Build:
    """Which commit is built, and what it is called."""

    root: Path
    commit: str
    ref: str = ""
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    @property
    def version(self) -> str:
        return release.app_version(commit=self.commit, ref=self.ref)

    @property
    def tags(self) -> list[str]:
        return release.image_tags(commit=self.commit, ref=self.ref)

    @classmethod
    def from_environment(cls, root: Path) -> "Build":
        env = dict(os.environ)
        return cls(
            root=root,
            commit=release.current_commit(env, root),
            ref=release.current_ref(env),
            env=env,
        )


def check_plan(build: Build) -> dict[str, dagger.Container]:
    source = workspace.repository(str(build.root))
    return suite.check(workspace.python_environment(source))


def image_plan(build: Build) -> dagger.Container:
    source = workspace.repository(str(build.root))
    return image.build(source, commit=build.commit, version=build.version)


def scan_plan(build: Build) -> dict[str, dagger.Container]:
    source = workspace.repository(str(build.root))
    return scan.scan(
        source,
        workspace.python_environment(source),
        image_plan(build),
        shell_script_paths=checks.shell_scripts(build.root),
    )


def publish_plan(build: Build, target: release.RegistryTarget, *, password_env: str) -> dagger.Container:
    """The built image, authenticated to the target registry."""
    return publish.authenticated(image_plan(build), target, publish.secret_from_env(password_env))


def sign_plan(
    build: Build, target: release.RegistryTarget, *, digest_reference: str, password_env: str
) -> dagger.Container:
    return publish.signer(
        digest_reference,
        target,
        publish.secret_from_env(password_env),
        sbom=image.sbom(image_plan(build)),
        oidc_request_url=build.env[publish.OIDC_REQUEST_URL_ENV],
        oidc_request_token=publish.secret_from_env(publish.OIDC_REQUEST_TOKEN_ENV),
    )


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


async def run_build(build: Build, *, output: Path) -> None:
    """Build the image, write `image.tar` (OCI) and `sbom.spdx.json` into output."""
    built = image_plan(build)
    await built.export(str(output / "image.tar"))
    await image.sbom(built).export(str(output / "sbom.spdx.json"))
    name = f"{release.IMAGE_NAME}:{release.commit_tag(build.commit)}"
    print(f"built {name} (version {build.version}) into {output}/: image.tar, sbom.spdx.json")


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


async def run_publish(build: Build, target: release.RegistryTarget, *, password_env: str) -> None:
    authenticated = publish_plan(build, target, password_env=password_env)
    digest_reference = await publish.push(authenticated, target, tags=build.tags)
    print(digest_reference)
    if release.signs_keylessly(build.env):
        plan = sign_plan(build, target, digest_reference=digest_reference, password_env=password_env)
        await plan.sync()
        print(f"signed {digest_reference} and attested its SBOM (cosign, keyless)")
    else:
        print("not in GitHub Actions: published unsigned (keyless signing needs its OIDC token)")
