"""The scaling decision as a pure function: examples, then the properties it must keep."""

import itertools
import math
from dataclasses import dataclass

import pytest
from autoscaler.decision import (
    REASON_BELOW_MIN,
    REASON_COOLDOWN,
    REASON_IN_BAND,
    REASON_NO_SIGNAL,
    REASON_NO_STEP,
    REASON_PAUSED,
    REASON_UPDATING,
    Decision,
    decide,
)
from autoscaler.policy import Policy
from hypothesis import assume, given
from hypothesis import strategies as st

LONG_AGO = 10_000.0
POLICY = Policy(minimum=2, maximum=8, target_percent=60, tolerance=0.1, max_step=2)


def _decide(current: int, load: float | None, *, policy: Policy = POLICY, since: float = LONG_AGO) -> Decision:
    return decide(current=current, load_percent=load, policy=policy, seconds_since_change=since)


@pytest.mark.parametrize(
    ("current", "load", "desired"),
    [
        (2, 90, 3),  # ceil(2 * 90 / 60) = 3
        (2, 200, 4),  # ceil(2 * 200 / 60) = 7, but at most 2 more
        (7, 200, 8),  # never above the maximum
        (6, 20, 4),  # ceil(6 * 20 / 60) = 2, but at most 2 fewer
        (3, 5, 2),  # never below the minimum
        (4, 45, 3),  # ceil(4 * 45 / 60) = 3: the three left stay under the target
    ],
)
def test_load_outside_the_band_moves_towards_the_target(current: int, load: float, desired: int) -> None:
    decision = _decide(current, load)
    assert decision.desired == desired
    assert decision.action == ("up" if desired > current else "down")


def test_load_in_the_band_holds() -> None:
    assert _decide(4, 65) == Decision(4, 4, "hold", REASON_IN_BAND)
    assert _decide(4, 54) == Decision(4, 4, "hold", REASON_IN_BAND)


def test_a_step_that_would_overshoot_the_target_is_not_taken() -> None:
    # 3 replicas at 50%: two would run at 75%, above the target.
    assert _decide(3, 50) == Decision(3, 3, "hold", REASON_NO_STEP)


def test_no_signal_holds_the_current_scale() -> None:
    assert _decide(5, None) == Decision(5, 5, "hold", REASON_NO_SIGNAL)


def test_bounds_are_restored_even_without_a_signal_or_during_a_cooldown() -> None:
    assert _decide(1, None, since=0) == Decision(1, 2, "up", REASON_BELOW_MIN)
    assert _decide(12, 99, since=0).desired == 8


def test_zero_replicas_and_rolling_updates_are_left_alone() -> None:
    assert _decide(0, 500) == Decision(0, 0, "hold", REASON_PAUSED)
    updating = decide(current=1, load_percent=500, policy=POLICY, seconds_since_change=LONG_AGO, updating=True)
    assert updating == Decision(1, 1, "hold", REASON_UPDATING)


def test_cooldowns_are_separate_for_up_and_down() -> None:
    policy = Policy(minimum=1, maximum=10, target_percent=50, up_cooldown_seconds=30, down_cooldown_seconds=300)
    assert _decide(4, 90, policy=policy, since=29).reason == REASON_COOLDOWN
    assert _decide(4, 90, policy=policy, since=30).action == "up"
    assert _decide(4, 10, policy=policy, since=299).reason == REASON_COOLDOWN
    assert _decide(4, 10, policy=policy, since=300).action == "down"


# ---- properties ---------------------------------------------------------------------------


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    minimum = draw(st.integers(1, 20))
    return Policy(
        minimum=minimum,
        maximum=draw(st.integers(minimum, 40)),
        target_percent=draw(st.floats(5, 500)),
        tolerance=draw(st.floats(0, 0.5)),
        max_step=draw(st.integers(1, 10)),
        up_cooldown_seconds=draw(st.floats(0, 600)),
        down_cooldown_seconds=draw(st.floats(0, 3600)),
    )


loads = st.none() | st.floats(0, 5000)
seconds = st.floats(0, 10_000)


@given(policy=policies(), current=st.integers(1, 100), load=loads, since=seconds)
def test_the_result_never_leaves_the_bounds(policy: Policy, current: int, load: float | None, since: float) -> None:
    decision = decide(current=current, load_percent=load, policy=policy, seconds_since_change=since)
    assert policy.minimum <= decision.desired <= policy.maximum
    assert decision.action == ("up" if decision.desired > current else "down" if decision.desired < current else "hold")


@given(policy=policies(), load=loads, since=seconds, data=st.data())
def test_within_the_bounds_a_change_is_at_most_one_step(
    policy: Policy, load: float | None, since: float, data: st.DataObject
) -> None:
    current = data.draw(st.integers(policy.minimum, policy.maximum))
    decision = decide(current=current, load_percent=load, policy=policy, seconds_since_change=since)
    assert abs(decision.desired - current) <= policy.max_step


@given(
    policy=policies(), current=st.integers(1, 60), lower=st.floats(0, 5000), higher=st.floats(0, 5000), since=seconds
)
def test_more_load_never_asks_for_fewer_replicas(
    policy: Policy, current: int, lower: float, higher: float, since: float
) -> None:
    lower, higher = sorted((lower, higher))
    at_lower = decide(current=current, load_percent=lower, policy=policy, seconds_since_change=since)
    at_higher = decide(current=current, load_percent=higher, policy=policy, seconds_since_change=since)
    assert at_lower.desired <= at_higher.desired


@given(policy=policies(), current=st.integers(1, 60), load=loads, since=seconds)
def test_a_rolling_update_or_zero_replicas_changes_nothing(
    policy: Policy, current: int, load: float | None, since: float
) -> None:
    updating = decide(current=current, load_percent=load, policy=policy, seconds_since_change=since, updating=True)
    assert updating.desired == current
    assert decide(current=0, load_percent=load, policy=policy, seconds_since_change=since).desired == 0


@dataclass
class Loop:
    """The autoscaler's loop around `decide`: it remembers when the scale last changed."""

    policy: Policy
    replicas: int
    now: float = 0.0
    last_change: float = -LONG_AGO

    def step(self, seconds_later: float, load: float | None) -> Decision:
        self.now += seconds_later
        decision = decide(
            current=self.replicas,
            load_percent=load,
            policy=self.policy,
            seconds_since_change=self.now - self.last_change,
        )
        if decision.desired != self.replicas:
            self.replicas, self.last_change = decision.desired, self.now
        return decision


@given(
    policy=policies(),
    data=st.data(),
    steps=st.lists(st.tuples(st.floats(0.1, 120), st.floats(0, 1)), min_size=1, max_size=60),
)
def test_noise_within_the_band_never_changes_the_scale(
    policy: Policy, data: st.DataObject, steps: list[tuple[float, float]]
) -> None:
    loop = Loop(policy, replicas=data.draw(st.integers(policy.minimum, policy.maximum)))
    low, high = policy.band
    for seconds_later, position in steps:
        assert loop.step(seconds_later, low + (high - low) * position).action == "hold"


@given(
    policy=policies(),
    demand=st.floats(1, 20_000),
    noise=st.lists(st.floats(-1, 1), min_size=5, max_size=80),
    data=st.data(),
)
def test_a_steady_demand_with_noise_inside_the_band_never_reverses_direction(
    policy: Policy, demand: float, noise: list[float], data: st.DataObject
) -> None:
    """Closed loop: the demand is shared by the replicas, each sees its share plus noise.

    Noise of up to a third of the tolerance (each way) must not make the scale go up
    and then down, or down and then up: that would be flapping.

    Only where a whole replica can be afforded: a step up rounds to a whole replica, so it
    may land up to one replica above the demand (a share `target / demand` of it); with the
    noise on top, that must still sit inside the band. Below that (a demand of a few dozen
    replicas at a tolerance of 0.1), only the down cooldown prevents a reversal, as
    Kubernetes' scale-down stabilisation window does.
    """
    assume(policy.tolerance > 0.01)
    amplitude = policy.tolerance / 3
    one_replica = policy.target_percent / demand
    assume((1 - amplitude) / (1 + amplitude + one_replica) >= 1 - policy.tolerance)
    loop = Loop(policy, replicas=data.draw(st.integers(policy.minimum, policy.maximum)))
    directions: list[str] = []
    for wobble in noise:
        # Every cooldown has passed: only the load decides.
        later = max(policy.up_cooldown_seconds, policy.down_cooldown_seconds) + 1
        decision = loop.step(later, demand / loop.replicas * (1 + amplitude * wobble))
        if decision.action != "hold":
            directions.append(decision.action)
    assert len(set(directions)) <= 1, directions


@given(
    policy=policies(),
    steps=st.lists(st.tuples(st.floats(0.1, 300), st.none() | st.floats(0, 5000)), min_size=2, max_size=80),
    data=st.data(),
)
def test_cooldowns_separate_every_change_from_the_one_before(
    policy: Policy, steps: list[tuple[float, float | None]], data: st.DataObject
) -> None:
    loop = Loop(policy, replicas=data.draw(st.integers(policy.minimum, policy.maximum)))
    changes: list[tuple[float, str]] = []
    for seconds_later, load in steps:
        decision = loop.step(seconds_later, load)
        if decision.action != "hold":
            changes.append((loop.now, decision.action))
    for (earlier, _), (later, action) in itertools.pairwise(changes):
        cooldown = policy.up_cooldown_seconds if action == "up" else policy.down_cooldown_seconds
        assert later - earlier >= cooldown or math.isclose(later - earlier, cooldown)


@given(policy=policies(), demand=st.floats(1, 20_000), data=st.data())
def test_a_steady_demand_ends_with_enough_replicas(policy: Policy, demand: float, data: st.DataObject) -> None:
    """Closed loop without noise: the scale settles where each replica's share is at most the
    top of the band, unless the maximum stops it; never short of capacity below the maximum."""
    loop = Loop(policy, replicas=data.draw(st.integers(policy.minimum, policy.maximum)))
    later = max(policy.up_cooldown_seconds, policy.down_cooldown_seconds) + 1
    for _ in range(policy.maximum + 1):
        loop.step(later, demand / loop.replicas)
    assert demand / loop.replicas <= policy.band[1] * (1 + 1e-9) or loop.replicas == policy.maximum
