"""The telemetry comparison runs end to end, so a benchmark run never dies half-way."""

import pytest

from tests.benchmarks import telemetry
from tests.plugin import postgres_cluster
from tests.support.tools import system_tool


def test_one_paired_round_measures_both_apps_and_reports_their_ratio() -> None:
    system_tool("wrk", "apt-get install wrk")
    cluster = postgres_cluster()
    if cluster is None:
        pytest.skip("the comparison runs on PostgreSQL")

    result = telemetry.compare(cluster, seconds=1, rounds=1, connections=4)

    (paired,) = result.rounds
    assert paired.off.rps > 0 and paired.on.rps > 0
    assert result.ratio == paired.on.rps / paired.off.rps
    assert "median of 1 rounds" in result.report()
