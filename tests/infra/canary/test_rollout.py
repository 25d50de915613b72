"""The controller end to end, through the real client libraries, against the fake cloud: real app
processes per revision, traffic from signed-in users split as the service says, and Monitoring's
answers made of the responses the front end passed on."""

import os
import signal
import subprocess
import sys
import threading
import time

import grpc
import pytest

from ci.canary import cli
from ci.canary.controller import Report
from ci.canary.lease import LEASE_ANNOTATION, RELEASED_ANNOTATION
from ci.canary.verdict import RULE_ERROR_RATE, RULE_LATENCY, RULE_NO_DATA
from tests.infra.canary.conftest import (
    ACCESS_TOKEN,
    BAKE_SECONDS,
    FIRST_STEP,
    Users,
    controller_args,
    pushed,
    serving,
)
from tests.infra.canary.fake_cloud import FakeCloud
from tests.support.paths import REPO_ROOT

SLOW_BAKE_SECONDS = 1.5


@pytest.fixture(autouse=True)
def access_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cli.ACCESS_TOKEN_ENV, ACCESS_TOKEN)


def run(fake: FakeCloud, service: str, image: str, *extra: str, run_id: str = "test") -> Report:
    arguments = cli.parser().parse_args(controller_args(fake, service, image, *extra))
    return cli.run(arguments, run_id=run_id)


def assert_safe(fake: FakeCloud, service: str, serving: str) -> None:
    """All traffic on one revision, no canary tag, no lease left."""
    assert fake.routing(service) == {serving: 100}
    assert fake.tags(service) == {}
    assert LEASE_ANNOTATION not in fake.annotations(service)


def most_traffic_the_canary_had(fake: FakeCloud, service: str, canary: str) -> int:
    return max(routing.get(canary, 0) for _, name, routing in fake.routing_log if name == service)


def breach_to_stable_seconds(fake: FakeCloud, service: str, canary: str, stable: str) -> float:
    """From the first response users got from the canary to all traffic back on stable."""
    first = min(served.at for served in fake.served if served.revision == canary and served.status != 201)
    back = min(
        at for at, name, routing in fake.routing_log if name == service and at > first and routing == {stable: 100}
    )
    return back - first


def test_a_healthy_canary_reaches_all_traffic_through_transient_api_errors(
    fake: FakeCloud, service: str, users: Users
) -> None:
    image = pushed(fake)
    fake.inject(r"GET .*/services/[\w-]+", 503, 429)
    fake.inject(r"PATCH .*/services/[\w-]+", 503)
    fake.inject(r"GET .*/operations/.*", 429)
    fake.inject(r"POST .*/jobs/.*:run", 503)
    fake.inject(r"GET /v1/.*:access", 503)
    fake.monitoring.pending_errors += [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED]

    report = run(fake, service, image)

    assert report.outcome == "released", report.summary()
    assert len(fake.injected) == 6, "an injected 429/503 was not answered"
    assert fake.monitoring.injected == 2
    assert_safe(fake, service, report.canary)
    assert image in fake.annotations(service)[RELEASED_ANNOTATION]
    assert [step.split(":")[0] for step in report.steps[-3:]] == ["step 20%", "step 60%", "step 100%"]
    print(f"\nhealthy rollout end to end: {report.timings['total_seconds']:.1f} s")
    assert run(fake, service, image).outcome == "already-released"


def test_a_canary_answering_5xx_rolls_back_within_one_step(fake: FakeCloud, service: str, users: Users) -> None:
    stable = serving(fake, service)
    report = run(fake, service, pushed(fake, "errors"))

    assert report.outcome == "rolled-back"
    assert report.rule == RULE_ERROR_RATE
    assert "at 20%" in report.detail
    assert_safe(fake, service, stable)
    assert most_traffic_the_canary_had(fake, service, report.canary) == FIRST_STEP
    seconds = breach_to_stable_seconds(fake, service, report.canary, stable)
    print(f"\n5xx canary: breach to 100% stable in {seconds:.2f} s (bake {BAKE_SECONDS} s)")
    assert seconds < BAKE_SECONDS + 5


def test_a_slow_canary_rolls_back_on_latency(fake: FakeCloud, service: str, users: Users) -> None:
    stable = serving(fake, service)
    # Each slow answer holds a user for 800 ms: a longer bake, and fewer requests to judge by.
    slow = pushed(fake, "slow")
    report = run(
        fake,
        service,
        slow,
        "--bake-seconds",
        str(SLOW_BAKE_SECONDS),
        "--min-requests",
        "2",
        "--latency-margin-ms",
        "100",
    )

    assert (report.outcome, report.rule) == ("rolled-back", RULE_LATENCY), report.detail
    assert_safe(fake, service, stable)
    assert most_traffic_the_canary_had(fake, service, report.canary) == FIRST_STEP
    seconds = breach_to_stable_seconds(fake, service, report.canary, stable)
    print(f"\nslow canary: breach to 100% stable in {seconds:.2f} s (bake {SLOW_BAKE_SECONDS} s)")


def test_no_data_rolls_back(fake: FakeCloud, service: str) -> None:
    image = pushed(fake)
    stable = serving(fake, service)
    report = run(fake, service, image)

    assert (report.outcome, report.rule) == ("rolled-back", RULE_NO_DATA)
    assert_safe(fake, service, stable)


def test_a_revision_that_cannot_start_gets_no_traffic(fake: FakeCloud, service: str) -> None:
    stable = serving(fake, service)
    report = run(fake, service, pushed(fake, "crash"))

    assert report.outcome == "rolled-back"
    assert "failed to start" in report.detail
    assert_safe(fake, service, stable)
    assert most_traffic_the_canary_had(fake, service, report.canary) == 0


def test_failed_migrations_stop_the_rollout_before_anything_changes(fake: FakeCloud, service: str) -> None:
    stable = serving(fake, service)
    revisions = set(fake.revisions)
    report = run(fake, service, pushed(fake, "migrations"))

    assert report.outcome == "migrations-failed"
    assert report.exit_code == 1
    assert set(fake.revisions) == revisions
    assert_safe(fake, service, stable)


def _controller_process(fake: FakeCloud, service: str, image: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ci.canary", *controller_args(fake, service, image, *extra)],
        cwd=REPO_ROOT,
        env={**os.environ, cli.ACCESS_TOKEN_ENV: ACCESS_TOKEN, cli.RUN_ID_ENV: "crashing"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for_canary_share(fake: FakeCloud, service: str, percent: int, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for revision, share in fake.routing(service).items():
            if share == percent and revision in fake.tags(service).values():
                return revision
        time.sleep(0.05)
    raise AssertionError(f"the canary never got {percent}%: {fake.routing(service)}")


def test_a_run_killed_between_steps_is_resumed_safely_by_a_rerun(fake: FakeCloud, service: str, users: Users) -> None:
    image = pushed(fake)
    stable = serving(fake, service)
    executions = len(fake.executions)
    process = _controller_process(fake, service, image, "--ladder", "50,100")
    canary = _wait_for_canary_share(fake, service, 50)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=10)
    assert fake.routing(service) == {stable: 50, canary: 50}, "the crash left no split to recover from"

    report = run(fake, service, image, "--ladder", "50,100", run_id="rerun")

    assert report.outcome == "released", report.summary()
    assert report.canary == canary, "the re-run made a new revision instead of resuming"
    assert_safe(fake, service, canary)
    assert len(fake.executions) == executions + 1, "the resumed rollout ran the migrations again"


def test_an_interrupted_run_rolls_back_before_it_exits(fake: FakeCloud, service: str, users: Users) -> None:
    image = pushed(fake)
    stable = serving(fake, service)
    process = _controller_process(fake, service, image)
    _wait_for_canary_share(fake, service, FIRST_STEP)
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)

    assert process.returncode == 1, output
    assert '"rule": "interrupted"' in output
    assert_safe(fake, service, stable)


def test_a_second_rollout_is_refused_while_one_is_in_progress(fake: FakeCloud, service: str, users: Users) -> None:
    image = pushed(fake)
    first: list[Report] = []
    thread = threading.Thread(
        target=lambda: first.append(run(fake, service, image, "--ladder", "50,100", run_id="first"))
    )
    thread.start()
    _wait_for_canary_share(fake, service, 50)

    other = pushed(fake)
    second = run(fake, service, other, run_id="second")
    thread.join(timeout=60)

    assert (second.outcome, second.exit_code) == ("refused", 3)
    assert "first" in second.detail
    assert other not in {revision.image for revision in fake.revisions.values()}, "the refused run made a revision"
    assert first[0].outcome == "released"
