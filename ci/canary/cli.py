"""`python -m ci.canary`: the controller's arguments, credentials, and exit status.

`ci/main.py deploy` takes the very same options (`add_arguments`) and hands them to this command
inside the pipeline's container (`to_argv`).
"""

import argparse
import os
import signal
import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, cast

from ci.canary import ladder
from ci.canary.verdict import Thresholds

if TYPE_CHECKING:
    from google.auth.credentials import Credentials

    from ci.canary.controller import Report

ACCESS_TOKEN_ENV: Final = "GOOGLE_OAUTH_ACCESS_TOKEN"  # noqa: S105 - a variable's name
RUN_ID_ENV: Final = "DEPLOY_RUN_ID"
CLOUD_PLATFORM_SCOPE: Final = "https://www.googleapis.com/auth/cloud-platform"
ERROR_SMOKE_TOKEN: Final = "give the smoke token with --smoke-token-secret or --smoke-token-env"  # noqa: S105
ERROR_SMOKE_TOKEN_ENV: Final = "--smoke-token-env names ${name}, which is not set"  # noqa: S105


@dataclass(frozen=True)
class Option:
    flag: str
    help: str
    kind: Callable[[str], Any] = str
    default: Any = None
    required: bool = False

    @property
    def dest(self) -> str:
        return self.flag.removeprefix("--").replace("-", "_")


OPTIONS: Final = (
    Option("--project", "Google Cloud project ID", required=True),
    Option("--region", "Cloud Run region, e.g. europe-west1", required=True),
    Option("--service", "Cloud Run service name", required=True),
    Option("--migrations-job", "Cloud Run job that runs the migrations (`app migrate --noinput`)", required=True),
    Option("--image", "the image to release, by digest: host/repository@sha256:...", required=True),
    Option("--expected-version", "the version /healthz of the new revision must report", required=True),
    Option("--smoke-token-secret", "Secret Manager secret holding the smoke user's API token"),
    Option("--smoke-token-env", "or: environment variable holding the smoke user's API token"),
    Option("--ladder", "canary percents, one step each", default="5,25,50,100"),
    Option("--bake-seconds", "how long each step serves traffic before it is judged", float, 300.0),
    Option(
        "--metrics-delay-seconds",
        "wait after each bake for Cloud Monitoring to show it (Cloud Run's metrics lag up to 180 s)",
        float,
        180.0,
    ),
    Option("--min-requests", "fewest canary requests a step needs to be judged (fewer fail)", int, 100),
    Option("--max-error-rate", "highest share of canary 5xx responses", float, 0.01),
    Option("--max-latency-ratio", "highest canary p95 latency as a multiple of stable's", float, 1.5),
    Option("--latency-margin-ms", "a canary p95 within this much of stable's never fails", float, 50.0),
    Option(
        "--lease-ttl-seconds",
        "how long a silent rollout keeps the service before another may take it over",
        float,
        120.0,
    ),
    Option("--operation-timeout-seconds", "longest wait for a Cloud Run operation", float, 900.0),
    Option("--poll-seconds", "how often to poll a Cloud Run operation", float, 2.0),
    Option("--retry-initial-seconds", "first backoff after a transient API error (doubling)", float, 1.0),
    Option("--tag", "the tag that gives the canary its own URL", default=ladder.CANARY_TAG),
    Option("--run-endpoint", "Cloud Run Admin API endpoint other than Google's (http:// for loopback)"),
    Option("--monitoring-endpoint", "Cloud Monitoring API endpoint other than Google's (http:// for loopback)"),
    Option("--secret-manager-endpoint", "Secret Manager API endpoint other than Google's (http:// for loopback)"),
)


def add_arguments(parser: argparse.ArgumentParser, *, optional: frozenset[str] = frozenset()) -> None:
    """The controller's options; those whose dest is in `optional` may be left out (a caller fills them)."""
    for option in OPTIONS:
        parser.add_argument(
            option.flag,
            type=option.kind,
            default=option.default,
            required=option.required and option.dest not in optional,
            help=option.help + (f" (default {option.default})" if option.default is not None else ""),
        )


def to_argv(arguments: argparse.Namespace) -> list[str]:
    """The options again as a command line, for the same parser elsewhere (the pipeline's container)."""
    argv: list[str] = []
    for option in OPTIONS:
        value = getattr(arguments, option.dest)
        if value is not None:
            argv += [option.flag, str(value)]
    return argv


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m ci.canary",
        description="Roll an image out to a Cloud Run service as a canary judged on Cloud Monitoring; "
        f"roll back by itself. Credentials: ${ACCESS_TOKEN_ENV}, else Application Default Credentials.",
    )
    add_arguments(root)
    return root


def thresholds(arguments: argparse.Namespace) -> Thresholds:
    return Thresholds(
        min_requests=arguments.min_requests,
        max_error_rate=arguments.max_error_rate,
        max_latency_ratio=arguments.max_latency_ratio,
        latency_margin_ms=arguments.latency_margin_ms,
    )


def check(cli: argparse.ArgumentParser, arguments: argparse.Namespace) -> None:
    """Usage errors (exit 2) before anything is called."""
    try:
        ladder.parse_ladder(arguments.ladder)
        ladder.image_digest(arguments.image)
        ladder.revision_name(service=arguments.service, image=arguments.image, stamp=0)
    except ValueError as error:
        cli.error(str(error))
    if not arguments.smoke_token_secret and not arguments.smoke_token_env:
        cli.error(ERROR_SMOKE_TOKEN)
    if arguments.smoke_token_env and not os.environ.get(arguments.smoke_token_env):
        cli.error(ERROR_SMOKE_TOKEN_ENV.format(name=arguments.smoke_token_env))


def run(arguments: argparse.Namespace, *, run_id: str) -> "Report":
    """Build the clients and the controller from checked arguments, and run one rollout."""
    # Imported here: `--help` and usage errors need no Google library.
    from ci.canary.cloud import Cloud, Endpoints, Location, RetryPolicy
    from ci.canary.controller import Controller, Rollout

    cloud = Cloud(
        Location(
            project=arguments.project,
            region=arguments.region,
            service=arguments.service,
            job=arguments.migrations_job,
        ),
        credentials=credentials(),
        endpoints=Endpoints(
            run=arguments.run_endpoint,
            monitoring=arguments.monitoring_endpoint,
            secret_manager=arguments.secret_manager_endpoint,
        ),
        retry_policy=RetryPolicy(initial_seconds=arguments.retry_initial_seconds),
        operation_timeout_seconds=arguments.operation_timeout_seconds,
        poll_seconds=arguments.poll_seconds,
    )
    rollout = Rollout(
        image=arguments.image,
        expected_version=arguments.expected_version,
        run_id=run_id,
        ladder=ladder.parse_ladder(arguments.ladder),
        bake_seconds=arguments.bake_seconds,
        metrics_delay_seconds=arguments.metrics_delay_seconds,
        thresholds=thresholds(arguments),
        lease_ttl_seconds=arguments.lease_ttl_seconds,
        revision_timeout_seconds=arguments.operation_timeout_seconds,
        tag=arguments.tag,
    )

    def smoke_token() -> str:
        if arguments.smoke_token_env:
            return os.environ[arguments.smoke_token_env]
        return cloud.secret(arguments.smoke_token_secret)

    return Controller(cloud, rollout, smoke_token=smoke_token).run()


def credentials() -> "Credentials":
    """An access token from the environment (CI's Workload Identity, `gcloud auth print-access-token`),
    else Application Default Credentials."""
    import google.auth
    from google.oauth2.credentials import Credentials as TokenCredentials

    if token := os.environ.get(ACCESS_TOKEN_ENV):
        return TokenCredentials(token=token)
    found, _ = google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE])  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
    return cast("Credentials", found)


def main(argv: Sequence[str] | None = None) -> int:
    cli = parser()
    arguments = cli.parse_args(argv)
    check(cli, arguments)
    # A cancelled CI job gets SIGTERM: roll back as for Ctrl-C.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    report = run(arguments, run_id=os.environ.get(RUN_ID_ENV) or uuid.uuid4().hex[:12])
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
