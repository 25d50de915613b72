"""The telemetry comparison runs end to end, so a benchmark run never dies half-way."""

from tests.benchmarks import telemetry
from tests.plugin import postgres_cluster
from tests.support.tools import system_tool


def test_one_paired_round_measures_both_apps_and_reports_their_ratio() -> None:
    system_tool("wrk", "apt-get install wrk")
    # The run's database: PostgreSQL in CI, SQLite where its binaries are missing.
    result = telemetry.compare(postgres_cluster(), seconds=1, rounds=1, connections=4)

    (paired,) = result.rounds
    assert paired.off.rps > 0 and paired.on.rps > 0 and paired.full.rps > 0
    assert set(result.rss_mib) == {"off", "10%", "100%"}
    assert result.ratio == paired.on.rps / paired.off.rps
    assert "median of 1 rounds" in result.report()
