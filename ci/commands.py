"""The pipelines' command line: each pipeline's arguments, and what is checked before an engine
starts. A wrong argument or a missing credential is a usage error (exit 2); `pipeline` returns
the one call `ci/main.py` makes inside a Dagger connection.

A new pipeline: its arguments in `parser`, its call in `pipeline`, a plan and a run in
ci/pipelines.py.
"""

import argparse
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from pathlib import Path

from ci import loadtest, pipelines, publish, release, swarm, swarm_pipeline
from ci.canary import cli as canary_cli
from ci.experiments import runner

type Run = Callable[[], Awaitable[object]]

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
    named = root.add_subparsers(dest="pipeline", required=True, metavar="PIPELINE")
    named.add_parser("check", help=".ci/run's lint and tests, in its environment, in a container")
    named.add_parser("scan", help="pip-audit, bandit, hadolint, checkov, zizmor, shellcheck, alloy")
    for name, summary in (
        ("build", "the image once, as an OCI tarball; trivy and an SBOM from that file"),
        ("all", "check, scan and build in one run"),
    ):
        command = named.add_parser(name, help=summary)
        command.add_argument("--output", type=Path, default=ARTIFACTS, help="where image.tar and the SBOM go")
    push = named.add_parser(
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
    rollout = named.add_parser("deploy", help="release an image to Cloud Run as a self-judging canary")
    # The controller's own options; the expected version defaults to this checkout's build version.
    canary_cli.add_arguments(rollout, optional=frozenset({"expected_version"}))
    load = named.add_parser("perf", help="a k6 scenario against the image on Postgres and GCS, or a --target")
    load.add_argument("--scenario", choices=loadtest.SCENARIOS, default="load", help="ci/k6/<scenario>.js")
    load.add_argument("--target", help="a running deployment's URL: only k6 runs, against it")
    load.add_argument(
        "--token-env",
        default=PERF_TOKEN_ENV,
        help="with --target: the environment variable holding its API token (read as a secret)",
    )
    load.add_argument("--output", type=Path, default=ROOT / "build", help="where k6's summary JSON goes")
    experiments = named.add_parser("chaos", help="the chaos experiments against the app, its services behind Toxiproxy")
    experiments.add_argument("--experiment", choices=runner.EXPERIMENTS, help="one experiment (default: all, in order)")
    experiments.add_argument("--output", type=Path, default=ARTIFACTS, help="where the journals go (chaos/)")
    swarm_deploy = named.add_parser(
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
    arguments: argparse.Namespace, env: Mapping[str, str]
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


def _checked[T](cli: argparse.ArgumentParser, check: Callable[[], T]) -> T:
    """`check()`'s value; its ValueError is a usage error naming what is wrong."""
    try:
        return check()
    except ValueError as error:
        cli.error(str(error))


def _require_env(cli: argparse.ArgumentParser, env: Mapping[str, str], name: str, error: str) -> None:
    if not env.get(name):
        cli.error(error.format(name=name))


def pipeline(cli: argparse.ArgumentParser, arguments: argparse.Namespace, build: pipelines.Build) -> Run:
    """The pipeline the arguments name, ready to run; raises PipelineError when publish's
    tarball is not the one to push."""
    match arguments.pipeline:
        case "check":
            return partial(pipelines.run_check, build)
        case "scan":
            return partial(pipelines.run_scan, build)
        case "build":
            return partial(pipelines.run_build, build, output=arguments.output)
        case "all":
            return partial(pipelines.run_all, build, output=arguments.output)
        case "publish":
            target = _checked(cli, partial(registry_target, arguments))
            _require_env(cli, build.env, arguments.password_env, ERROR_MISSING_CREDENTIAL)
            try:
                digest = pipelines.publish_preflight(
                    build, artifacts=arguments.input, expected_digest=arguments.expect_digest
                )
            except ValueError as error:
                raise pipelines.PipelineError(f"refused: {error}") from error
            return partial(
                pipelines.run_publish,
                build,
                target,
                password_env=arguments.password_env,
                artifacts=arguments.input,
                digest=digest,
            )
        case "deploy":
            canary_cli.check(cli, arguments)
            _require_env(cli, build.env, canary_cli.ACCESS_TOKEN_ENV, ERROR_MISSING_ACCESS_TOKEN)
            return partial(pipelines.run_deploy, build, arguments)
        case "perf":
            if arguments.target is not None:
                arguments.target = _checked(cli, partial(loadtest.target_check, arguments.target))
                _require_env(cli, build.env, arguments.token_env, ERROR_MISSING_API_TOKEN)
            return partial(
                pipelines.run_perf,
                build,
                scenario=arguments.scenario,
                target=arguments.target,
                token_env=arguments.token_env,
                output=arguments.output,
            )
        case "chaos":
            return partial(pipelines.run_chaos, build, experiment=arguments.experiment, output=arguments.output)
        case "swarm-deploy":
            deployment, target = _checked(cli, partial(swarm_request, arguments, build.env))
            return partial(pipelines.run_swarm_deploy, build, deployment, target)
        case _:
            raise AssertionError(arguments.pipeline)
