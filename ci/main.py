"""Entry point of the pipelines, in either form (ci/README.md says which to use when):

python ci/main.py <pipeline> [options]             the SDK starts the pinned engine itself
dagger run python ci/main.py <pipeline> [options]  inside the Dagger CLI's session and view
"""

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: import the package from the repository root, and let no module in
    # ci/ shadow one of the same name elsewhere.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import anyio
import dagger

from ci import loadtest, pipelines, publish, release, swarm, swarm_pipeline
from ci.canary import cli as canary_cli
from ci.experiments import runner

ROOT = Path(__file__).resolve().parent.parent
ERROR_PUBLISH_ARGUMENT = "publish to {registry} needs {flag}"
ERROR_MISSING_CREDENTIAL = "publish needs the registry password or token in ${name}"
ARTIFACTS = ROOT / "build"
ERROR_MISSING_ACCESS_TOKEN = "deploy needs a Google access token in ${name} (gcloud auth print-access-token)"  # noqa: S105
ERROR_MISSING_API_TOKEN = "perf --target needs the target's API token in ${name}"  # noqa: S105
PERF_TOKEN_ENV = "API_TOKEN"  # noqa: S105 - the name of a variable, not its value
ERROR_NO_SSH_AGENT = "swarm-deploy signs in through an SSH agent: start one and ssh-add the deploy key (SSH_AUTH_SOCK)"
ERROR_MISSING_FILE = "swarm-deploy needs {flag} {path}: {why}"


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python ci/main.py",
        description="CI/CD pipelines on Dagger: `python ci/main.py` starts an engine itself; "
        "`dagger run python ci/main.py` runs inside the Dagger CLI's session.",
    )
    pipeline = root.add_subparsers(dest="pipeline", required=True, metavar="PIPELINE")
    pipeline.add_parser("check", help=".ci/run's lint and tests, in its environment, in a container")
    pipeline.add_parser("scan", help="pip-audit, bandit, hadolint, checkov, zizmor, shellcheck, alloy")
    for name, summary in (
        ("build", "the image once, as an OCI tarball; trivy and an SBOM from that file"),
        ("all", "check, scan and build in one run"),
    ):
        command = pipeline.add_parser(name, help=summary)
        command.add_argument("--output", type=Path, default=ARTIFACTS, help="where image.tar and the SBOM go")
    push = pipeline.add_parser(
        "publish", help="push build's tarball after a fresh trivy scan, print its digest, sign it in GitHub Actions"
    )
    push.add_argument("--input", type=Path, default=ARTIFACTS, help="where build wrote image.tar and the SBOM")
    push.add_argument(
        "--expect-digest", help="refuse unless the tarball is this image (sha256:...), as the build reported"
    )
    push.add_argument("--registry", choices=("artifact-registry", "docker-hub"), default="artifact-registry")
    push.add_argument("--location", help="Artifact Registry location, e.g. europe-west1")
    push.add_argument("--project", help="Google Cloud project ID (Artifact Registry)")
    push.add_argument("--repository", help="Artifact Registry repository name")
    push.add_argument("--namespace", help="Docker Hub user or organisation")
    push.add_argument("--username", help="Docker Hub user to log in as")
    push.add_argument("--image", default=release.IMAGE_NAME, help="image name in the repository")
    push.add_argument(
        "--password-env",
        default=publish.REGISTRY_PASSWORD_ENV,
        help="environment variable holding the password or access token (read as a secret)",
    )
    rollout = pipeline.add_parser("deploy", help="release an image to Cloud Run as a self-judging canary")
    # The controller's own options; the expected version defaults to this checkout's build version.
    canary_cli.add_arguments(rollout, optional=frozenset({"expected_version"}))
    load = pipeline.add_parser("perf", help="a k6 scenario against the image on Postgres and GCS, or a --target")
    load.add_argument("--scenario", choices=loadtest.SCENARIOS, default="load", help="ci/k6/<scenario>.js")
    load.add_argument("--target", help="a running deployment's URL: only k6 runs, against it")
    load.add_argument(
        "--token-env",
        default=PERF_TOKEN_ENV,
        help="with --target: the environment variable holding its API token (read as a secret)",
    )
    load.add_argument("--output", type=Path, default=ROOT / "build", help="where k6's summary JSON goes")
    experiments = pipeline.add_parser(
        "chaos", help="the chaos experiments against the app, its services behind Toxiproxy"
    )
    experiments.add_argument("--experiment", choices=runner.EXPERIMENTS, help="one experiment (default: all, in order)")
    experiments.add_argument("--output", type=Path, default=ARTIFACTS, help="where the journals go (chaos/)")
    swarm_deploy = pipeline.add_parser(
        "swarm-deploy", help="deploy an image digest to Docker Swarm over SSH: migrations, then a rolling update"
    )
    swarm_deploy.add_argument("--host", required=True, help="the manager as ssh://user@host[:port] (a tunnel too)")
    swarm_deploy.add_argument("--image", required=True, help="the app image by digest: registry/repo@sha256:...")
    swarm_deploy.add_argument("--stack", default=swarm.DEFAULT_STACK, help="stack name (default: app)")
    swarm_deploy.add_argument("--app-env", type=Path, default=ROOT / swarm.DEFAULT_APP_ENV, help="the app's settings")
    swarm_deploy.add_argument("--alloy-env", type=Path, default=ROOT / swarm.DEFAULT_ALLOY_ENV, help="Alloy's settings")
    swarm_deploy.add_argument(
        "--known-hosts", type=Path, default=Path.home() / ".ssh" / "known_hosts", help="the manager's host key"
    )
    swarm_deploy.add_argument("--registry-username", default=release.ARTIFACT_REGISTRY_USERNAME)
    swarm_deploy.add_argument(
        "--password-env",
        default=publish.REGISTRY_PASSWORD_ENV,
        help="variable with a registry token for pulling the image (unset: the registry needs none)",
    )
    swarm_deploy.add_argument(
        "--timeout", type=float, default=swarm.DEFAULT_TIMEOUT_SECONDS, help="seconds for each wait"
    )
    # A new pipeline: a parser here, a case in run(), a plan and a run in ci/pipelines.py.
    return root


def registry_target(arguments: argparse.Namespace) -> release.RegistryTarget:
    """The publish target from the arguments; raises ValueError naming what is missing."""
    if arguments.registry == "artifact-registry":
        required = {
            "--location": arguments.location,
            "--project": arguments.project,
            "--repository": arguments.repository,
        }
    else:
        required = {"--namespace": arguments.namespace, "--username": arguments.username}
    for flag, value in required.items():
        if not value:
            raise ValueError(ERROR_PUBLISH_ARGUMENT.format(registry=arguments.registry, flag=flag))
    if arguments.registry == "artifact-registry":
        return release.artifact_registry(
            location=arguments.location,
            project=arguments.project,
            repository=arguments.repository,
            image=arguments.image,
        )
    return release.docker_hub(namespace=arguments.namespace, username=arguments.username, image=arguments.image)


def swarm_request(
    arguments: argparse.Namespace, env: dict[str, str]
) -> tuple[swarm.Deployment, swarm_pipeline.SwarmTarget]:
    """The deploy and its target from the arguments; raises ValueError naming what is wrong."""
    host = swarm.SshHost.parse(arguments.host)
    swarm.image_digest(arguments.image)
    agent = env.get("SSH_AUTH_SOCK")
    if not agent:
        raise ValueError(ERROR_NO_SSH_AGENT)
    for flag, path, why in (
        ("--app-env", arguments.app_env, "write it from deploy/swarm/app.env.example"),
        ("--alloy-env", arguments.alloy_env, "write it from deploy/swarm/alloy.env.example"),
        ("--known-hosts", arguments.known_hosts, "add the manager's host key (deploy/swarm/README.md)"),
    ):
        if not path.is_file():
            raise ValueError(ERROR_MISSING_FILE.format(flag=flag, path=path, why=why))
    deployment = swarm.Deployment.from_arguments(arguments)
    password_env = arguments.password_env if env.get(arguments.password_env) else None
    target = swarm_pipeline.SwarmTarget(
        host=host, ssh_agent_socket=agent, known_hosts=arguments.known_hosts, password_env=password_env
    )
    return deployment, target


async def run(
    arguments: argparse.Namespace,
    build: pipelines.Build,
    target: release.RegistryTarget | None,
    digest: str,
    swarm_deploy: tuple[swarm.Deployment, swarm_pipeline.SwarmTarget] | None = None,
) -> None:
    async with dagger.connection(dagger.Config(log_output=sys.stderr)):
        match arguments.pipeline:
            case "check":
                await pipelines.run_check(build)
            case "scan":
                await pipelines.run_scan(build)
            case "build":
                await pipelines.run_build(build, output=arguments.output)
            case "all":
                await pipelines.run_all(build, output=arguments.output)
            case "publish" if target is not None:
                await pipelines.run_publish(
                    build, target, password_env=arguments.password_env, artifacts=arguments.input, digest=digest
                )
            case "deploy":
                await pipelines.run_deploy(build, arguments)
            case "perf":
                await pipelines.run_perf(
                    build,
                    scenario=arguments.scenario,
                    target=arguments.target,
                    token_env=arguments.token_env,
                    output=arguments.output,
                )
            case "chaos":
                await pipelines.run_chaos(build, experiment=arguments.experiment, output=arguments.output)
            case "swarm-deploy" if swarm_deploy is not None:
                await pipelines.run_swarm_deploy(build, *swarm_deploy)
            case _:
                raise AssertionError(arguments.pipeline)


def main(argv: Sequence[str] | None = None) -> int:
    cli = parser()
    arguments = cli.parse_args(argv)
    target = None
    if arguments.pipeline == "publish":
        try:
            target = registry_target(arguments)
        except ValueError as error:
            cli.error(str(error))
        if not os.environ.get(arguments.password_env):
            cli.error(ERROR_MISSING_CREDENTIAL.format(name=arguments.password_env))
    if arguments.pipeline == "perf" and arguments.target is not None:
        try:
            arguments.target = loadtest.target_check(arguments.target)
        except ValueError as error:
            cli.error(str(error))
        if not os.environ.get(arguments.token_env):
            cli.error(ERROR_MISSING_API_TOKEN.format(name=arguments.token_env))
    if arguments.pipeline == "deploy":
        canary_cli.check(cli, arguments)
        if not os.environ.get(canary_cli.ACCESS_TOKEN_ENV):
            cli.error(ERROR_MISSING_ACCESS_TOKEN.format(name=canary_cli.ACCESS_TOKEN_ENV))
    swarm_deploy = None
    if arguments.pipeline == "swarm-deploy":
        try:
            swarm_deploy = swarm_request(arguments, dict(os.environ))
        except ValueError as error:
            cli.error(str(error))
    build = pipelines.Build.from_environment(ROOT)
    digest = ""
    if target is not None:
        try:
            digest = pipelines.publish_preflight(
                build, artifacts=arguments.input, expected_digest=arguments.expect_digest
            )
        except ValueError as error:
            print(f"pipeline publish refused: {error}", file=sys.stderr)
            return 1
    try:
        anyio.run(run, arguments, build, target, digest, swarm_deploy)
    except pipelines.PipelineError as error:
        print(f"pipeline {arguments.pipeline} {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
