"""The scaling decision: a pure function of the service's state, its load and its policy.

Like Kubernetes' HPA, the replica count that would bring the mean load back to the target
is `ceil(current * load / target)`. Around it: a hysteresis band (no change while the load
is within `target * (1 ± tolerance)`), a maximum step per change, separate cooldowns after
any change for going up (short: react to load) and down (long: don't give capacity back to
a dip), and the bounds, which the result never leaves.
"""

import math
from dataclasses import dataclass
from typing import Final, Literal

from .policy import Policy

Action = Literal["up", "down", "hold"]

REASON_PAUSED: Final = "scaled to 0 by hand: left alone"
REASON_UPDATING: Final = "a rolling update or rollback is in progress: its rollback spec must stay the deploy's"
REASON_BELOW_MIN: Final = "below autoscale.min"
REASON_ABOVE_MAX: Final = "above autoscale.max"
REASON_NO_SIGNAL: Final = "no load signal: holding the current scale"
REASON_IN_BAND: Final = "load within the target band"
REASON_NO_STEP: Final = (
    "load outside the band, but no step fits: at a bound, or one replica fewer would exceed the target"
)
REASON_COOLDOWN: Final = "load outside the band, cooling down after the last change"
REASON_LOAD: Final = "load outside the target band"

# ceil() of a product that is an integer in exact arithmetic must not round up a float's noise.
_CEIL_SLACK: Final = 1e-9


@dataclass(frozen=True)
class Decision:
    """What to do with one service, and why."""

    current: int
    desired: int
    action: Action
    reason: str


def decide(
    *,
    current: int,
    load_percent: float | None,
    policy: Policy,
    seconds_since_change: float,
    updating: bool = False,
) -> Decision:
    """The replica count for a service now.

    `load_percent` is the mean CPU of its tasks in percent of their limit (None: unknown),
    `seconds_since_change` the time since the service was last changed by anyone.
    """
    if current == 0:
        return _hold(current, REASON_PAUSED)
    if updating:
        return _hold(current, REASON_UPDATING)
    if current < policy.minimum:
        return Decision(current, policy.minimum, "up", REASON_BELOW_MIN)
    if current > policy.maximum:
        return Decision(current, policy.maximum, "down", REASON_ABOVE_MAX)
    if load_percent is None:
        return _hold(current, REASON_NO_SIGNAL)
    low, high = policy.band
    if low <= load_percent <= high:
        return _hold(current, REASON_IN_BAND)
    needed = max(0, math.ceil(current * load_percent / policy.target_percent - _CEIL_SLACK))
    if load_percent > high:
        desired = min(needed, current + policy.max_step, policy.maximum)
        cooldown = policy.up_cooldown_seconds
    else:
        desired = max(needed, current - policy.max_step, policy.minimum)
        cooldown = policy.down_cooldown_seconds
    if desired == current:
        return _hold(current, REASON_NO_STEP)
    if seconds_since_change < cooldown:
        return _hold(current, REASON_COOLDOWN)
    return Decision(current, desired, "up" if desired > current else "down", REASON_LOAD)


def _hold(current: int, reason: str) -> Decision:
    return Decision(current, current, "hold", reason)
