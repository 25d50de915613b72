"""The verdict on the load: what a fault may and may not do to the requests made meanwhile."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ci.experiments import timeline
from ci.experiments.timeline import Expectation, Request

FAULT = {"fault": 100.0, "fault-removed": 110.0}


def _ok(start: float, ms: float = 10) -> Request:
    return Request(flow="me", start=start, end=start + ms / 1000, status=200)


def test_a_load_untouched_by_the_fault_has_no_breach() -> None:
    figures = timeline.judge([_ok(99), _ok(105), _ok(111)], FAULT, Expectation())
    assert figures.breaches == []
    assert (figures.requests, figures.failed, figures.fault_seconds) == (3, 0, 10.0)


def test_only_the_allowed_503s_pass() -> None:
    allowed = Request(flow="me", start=101, end=101.01, status=503, code="database_unavailable")
    server_error = Request(flow="me", start=102, end=102.01, status=500)
    expectation = Expectation(codes=frozenset({"database_unavailable"}))
    assert timeline.judge([allowed], FAULT, expectation).breaches == []
    breaches = timeline.judge([allowed, server_error], FAULT, expectation).breaches
    assert breaches == [timeline.BREACH_STATUS.format(count=1, status=500, code="", at=2.0)]


def test_unanswered_requests_pass_only_under_their_rule() -> None:
    in_flight = Request(flow="me", start=99.9, end=100.1, error="connection lost")
    started_during = Request(flow="me", start=101, end=101.001, error="refused")
    assert timeline.judge([in_flight], FAULT, Expectation(transport=timeline.TRANSPORT_IN_FLIGHT)).breaches == []
    assert timeline.judge([in_flight, _ok(105)], FAULT, Expectation()).breaches == [
        timeline.BREACH_TRANSPORT.format(count=1, errors="connection lost")
    ]
    rule = Expectation(transport=timeline.TRANSPORT_STARTED_DURING_FAULT)
    assert timeline.judge([started_during], FAULT, rule).breaches == []
    assert timeline.judge([in_flight, started_during], FAULT, rule).breaches != []


def test_slow_failures_a_high_p99_and_a_late_recovery_are_breaches() -> None:
    slow_failure = Request(flow="me", start=101, end=104, status=503, code="overloaded")
    late_failure = Request(flow="me", start=112, end=112.5, status=503, code="overloaded")
    expectation = Expectation(codes=frozenset({"overloaded"}), max_failed_ms=2500, max_p99_ms=1000, recovery_within_s=1)
    figures = timeline.judge([slow_failure, late_failure], FAULT, expectation)
    assert figures.breaches == [
        timeline.BREACH_SLOW_FAILURE.format(ms=3000, limit=2500),
        timeline.BREACH_P99.format(ms=3000, limit=1000),
        timeline.BREACH_RECOVERY.format(limit=1, at=2.5),
    ]
    assert figures.recovery_seconds == pytest.approx(2.5)


def test_a_fault_with_no_request_under_it_proves_nothing() -> None:
    assert timeline.judge([_ok(90)], FAULT, Expectation()).breaches == [timeline.BREACH_NO_REQUESTS]


def test_a_timeline_without_a_fault_or_with_an_unknown_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="no `fault` event"):
        timeline.judge([_ok(1)], {}, Expectation())
    with pytest.raises(ValueError, match="unknown transport rule"):
        timeline.judge([_ok(1)], FAULT, Expectation(transport="sometimes"))


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1), st.floats(min_value=0.01, max_value=1))
def test_a_percentile_is_one_of_the_values_and_grows_with_the_share(values: list[float], share: float) -> None:
    assert timeline.percentile(values, share) in values
    assert timeline.percentile(values, share) <= timeline.percentile(values, 1.0) == max(values)
