"""The upload benchmark runs end to end, so a benchmark run never dies half-way."""

from tests.benchmarks import uploads
from tests.support.tools import system_tool


def test_one_round_measures_both_uploads_next_to_cp_and_sync() -> None:
    system_tool("curl", "apt-get install curl")
    result = uploads.measure(mib=2, small_mib=1, rounds=1)

    (measured,) = result.rounds
    assert min(measured.floor_seconds, measured.direct_seconds) > 0
    assert min(measured.small_floor_seconds, measured.small_seconds) > 0
    assert result.direct_ratio == measured.floor_seconds / measured.direct_seconds
    assert "median of 1 rounds" in result.report()
