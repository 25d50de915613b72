"""The controller's decisions as pure functions: the ladder, the splits, the verdicts, the lease."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ci.canary import ladder, lease, verdict
from ci.canary.ladder import Target
from ci.canary.lease import Fresh, Held, Lease, Recover, Refuse, Released, Resume, ServiceView
from ci.canary.verdict import RevisionStats, Thresholds

IMAGE = f"europe-west1-docker.pkg.dev/p/app/backend@sha256:{'a' * 64}"
OTHER = f"europe-west1-docker.pkg.dev/p/app/backend@sha256:{'b' * 64}"
percents = st.integers(min_value=0, max_value=100)
ladders = st.lists(st.integers(1, 99), min_size=1, max_size=6, unique=True).map(lambda xs: (*sorted(xs), 100))


@given(ladders)
def test_a_valid_ladder_reads_back_as_written(steps: tuple[int, ...]) -> None:
    assert ladder.parse_ladder(",".join(map(str, steps))) == steps


@pytest.mark.parametrize("text", ["", "100", "5,25,50", "25,5,100", "0,100", "5,5,100", "5,x,100", "50,150"])
def test_a_ladder_that_does_not_climb_to_100_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="strictly increasing"):
        ladder.parse_ladder(text)


@given(percents, st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8))
def test_every_split_sends_all_traffic_to_stable_and_canary_only(percent: int, tag: str) -> None:
    traffic = ladder.canary_split(stable="svc-a", canary="svc-b", percent=percent, tag=tag)
    assert sum(target.percent for target in traffic) == 100
    assert all(target.percent >= 0 for target in traffic)
    assert ladder.canary_percent(traffic, "svc-b") == min(percent, 100)
    assert [target.tag for target in traffic if target.tag] == [tag]


@given(ladders, percents)
def test_a_resumed_walk_never_goes_back_down(steps: tuple[int, ...], current: int) -> None:
    remaining = ladder.remaining_steps(steps, current)
    assert all(step > current for step in remaining)
    assert remaining == tuple(step for step in steps if step > current)


@given(st.integers(min_value=0, max_value=2**40))
def test_revision_names_carry_the_service_prefix_and_fit_a_dns_label(stamp: int) -> None:
    name = ladder.revision_name(service="file-drop", image=IMAGE, stamp=stamp)
    assert name.startswith("file-drop-aaaaaaaa-")
    assert len(name) <= ladder.MAX_REVISION_NAME
    assert name == name.lower() and not name.endswith("-")
    assert ladder.revision_name(service="file-drop", image=IMAGE, stamp=stamp + 1) != name


def test_a_tag_or_an_overlong_service_cannot_name_a_revision() -> None:
    with pytest.raises(ValueError, match="not an image digest"):
        ladder.revision_name(service="file-drop", image="backend:latest", stamp=1)
    with pytest.raises(ValueError, match="leaves no room"):
        ladder.revision_name(service="s" * 60, image=IMAGE, stamp=1)


THRESHOLDS = Thresholds(min_requests=10, max_error_rate=0.01, max_latency_ratio=1.5, latency_margin_ms=50)


@given(st.integers(0, 1000), st.integers(0, 1000), st.floats(0, 5000), st.floats(0, 5000))
def test_a_verdict_passes_exactly_when_no_rule_is_breached(
    requests: int, errors: int, canary_p95: float, stable_p95: float
) -> None:
    errors = min(errors, requests)
    result = verdict.judge(RevisionStats(requests, errors, canary_p95), stable_p95_ms=stable_p95, thresholds=THRESHOLDS)
    should_pass = (
        requests >= THRESHOLDS.min_requests
        and errors / requests <= THRESHOLDS.max_error_rate
        and canary_p95 <= max(stable_p95 * 1.5, stable_p95 + 50)
    )
    assert result.passed is should_pass
    assert result.passed or result.rule in {
        verdict.RULE_NO_DATA,
        verdict.RULE_MIN_REQUESTS,
        verdict.RULE_ERROR_RATE,
        verdict.RULE_LATENCY,
    }


@given(st.integers(10, 1000), st.floats(0, 1000))
def test_missing_data_never_passes(requests: int, stable_p95: float) -> None:
    assert verdict.judge(None, stable_p95_ms=stable_p95, thresholds=THRESHOLDS).rule == verdict.RULE_NO_DATA
    no_latency = RevisionStats(requests, 0, None)
    assert verdict.judge(no_latency, stable_p95_ms=stable_p95, thresholds=THRESHOLDS).rule == verdict.RULE_NO_BASELINE
    no_baseline = RevisionStats(requests, 0, 10.0)
    assert verdict.judge(no_baseline, stable_p95_ms=None, thresholds=THRESHOLDS).rule == verdict.RULE_NO_BASELINE


def test_the_breach_report_names_the_rule_and_the_figures() -> None:
    result = verdict.judge(RevisionStats(200, 30, 12.0), stable_p95_ms=10.0, thresholds=THRESHOLDS)
    assert (result.rule, result.detail) == (
        verdict.RULE_ERROR_RATE,
        "canary 5xx rate 15.00% (30 of 200) is above the ceiling 1.00%",
    )


def _lease(*, image: str = IMAGE, renewed_at: float = 1000.0, canary: str = "svc-new") -> Lease:
    return Lease("run-1", image, "svc-old", canary, lease.PHASE_BAKING, renewed_at, ttl_seconds=60)


def _view(traffic: tuple[Target, ...], held: Lease | None = None, images: dict[str, str] | None = None) -> ServiceView:
    annotations = {lease.LEASE_ANNOTATION: held.to_annotation()} if held else {}
    return ServiceView(traffic=traffic, annotations=annotations, images=images or {})


SPLIT = (Target("svc-old", 75), Target("svc-new", 25, "canary"))


def test_discovery_finds_each_situation_from_the_service_alone() -> None:
    def found(view: ServiceView, now: float = 2000.0) -> lease.Situation:
        return lease.discover(view, image=IMAGE, now=now, tag="canary")

    assert found(_view((Target("svc-old", 100),))) == Fresh("svc-old")
    assert found(_view((Target("svc-new", 100),), images={"svc-new": IMAGE})) == Released("svc-new")
    live = _lease(renewed_at=1990.0)
    assert found(_view(SPLIT, live)) == Held(live)
    crashed = _lease()
    assert found(_view(SPLIT, crashed)) == Resume(crashed, 25)
    other = _lease(image=OTHER)
    assert found(_view(SPLIT, other)) == Recover("svc-old", other)
    leftover_tag = (Target("svc-old", 100), Target("svc-new", 0, "canary"))
    assert found(_view(leftover_tag)) == Recover("svc-old", None)
    assert isinstance(found(_view((Target("a", 50), Target("b", 50)))), Refuse)


@given(st.floats(0, 10_000), st.floats(0, 10_000))
def test_a_lease_is_live_exactly_within_its_time_to_live(renewed_at: float, now: float) -> None:
    held = _lease(renewed_at=renewed_at)
    situation = lease.discover(_view(SPLIT, held), image=IMAGE, now=now, tag="canary")
    assert isinstance(situation, Held) is (now - renewed_at <= held.ttl_seconds)


def test_a_lease_survives_the_annotation_round_trip_and_rejects_garbage() -> None:
    held = _lease()
    assert Lease.from_annotation(held.to_annotation()) == held
    with pytest.raises(ValueError, match="not a rollout lease"):
        Lease.from_annotation('{"run_id": 1}')
