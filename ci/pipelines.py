"""Each pipeline as a lazy plan (inspectable offline) and a run that awaits it.

Later issues add their pipelines here the same way: `deploy` (ci/deploy.py, the Cloud
Run canary), `perf` (ci/perf.py, k6) and `chaos` (ci/chaos.py).
"""

import os
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import anyio
import dagger

from ci import checks, image, perf, publish, release, scan, suite, workspace

ERROR_STEPS_FAILED: Final = "failed: {names} (each step's output is printed above)"


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


def perf_plan(build: Build, *, scenario: str, target: str | None, token_env: str, run_id: str) -> perf.Plan:
    """k6 against the image built here on its own services, or only k6 against `target`."""
    source = workspace.repository(str(build.root))
    if target is not None:
        token = publish.secret_from_env(token_env)
        return perf.target_plan(source, scenario=scenario, target=target, token=token, run_id=run_id)
    return perf.local_plan(source, image_plan(build), scenario=scenario, run_id=run_id)


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


async def run_perf(build: Build, *, scenario: str, target: str | None, token_env: str, output: Path) -> None:
    plan = perf_plan(build, scenario=scenario, target=target, token_env=token_env, run_id=uuid.uuid4().hex)
    failure = await perf.run(plan, output=output)
    if failure is not None:
        raise PipelineError(f"failed: {failure}")
