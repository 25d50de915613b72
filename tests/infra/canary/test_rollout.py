"""The controller end to end, through the real client libraries, against the fake cloud."""

import pytest

from ci.canary import cli
from ci.canary.controller import Report
from tests.infra.canary.conftest import ACCESS_TOKEN, HEALTHY, Users, controller_args
from tests.infra.canary.fake_cloud import FakeCloud


@pytest.fixture(autouse=True)
def access_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cli.ACCESS_TOKEN_ENV, ACCESS_TOKEN)


def run(fake: FakeCloud, service: str, image: str, *extra: str) -> Report:
    arguments = cli.parser().parse_args(controller_args(fake, service, image, *extra))
    return cli.run(arguments, run_id="test")


def test_a_healthy_canary_reaches_all_traffic(fake: FakeCloud, service: str, users: Users) -> None:
    report = run(fake, service, HEALTHY)
    assert report.outcome == "released", report
    assert fake.routing(service) == {report.canary: 100}
