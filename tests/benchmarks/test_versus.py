"""The side-by-side benchmark runs end to end, so a benchmark run never dies half-way."""

import pytest

from tests.benchmarks import versus
from tests.plugin import postgres_cluster
from tests.support.tools import system_tool


def test_one_round_drives_both_apps_on_every_endpoint_and_reports_their_ratio() -> None:
    system_tool("wrk", "apt-get install wrk")
    cluster = postgres_cluster()
    if cluster is None:
        pytest.skip("the obvious implementation runs on PostgreSQL (CI sets REQUIRE_POSTGRES)")
    results = versus.compare(cluster, seconds=1, rounds=1, connections=4, warm_up=False)

    assert [result.endpoint for result in results] == list(versus.ENDPOINTS)
    for result in results:
        ((paired,),) = [result.rounds]
        assert paired.obvious.rps > 0 and paired.real.rps > 0
        assert "median of 1 rounds" in result.report()
