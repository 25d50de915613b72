"""The flags benchmark's in-process parts run end to end, so a benchmark run never dies half-way."""

from tests.benchmarks import flags as benchmark
from tests.support.flags import repo_flags


def test_evaluation_costs_and_a_reload_are_measured_and_reported() -> None:
    costs = benchmark.evaluation_costs(iterations=20)
    reloads = benchmark.reload_seconds(reloads=1)

    assert {cost.key for cost in costs} == {*repo_flags()["flags"], benchmark.NO_PROVIDER}
    assert all(cost.app_us > 0 for cost in costs)
    assert len(reloads) == 1 and reloads[0] > 0
    report = benchmark.report(costs, reloads, [])
    assert "reload at the default interval" in report
    assert "no-op provider" in report
