"""Judging one step of the ladder from what Cloud Monitoring saw of the canary and of stable."""

from dataclasses import dataclass
from typing import Final

RULE_NO_DATA: Final = "no-data"
RULE_MIN_REQUESTS: Final = "min-requests"
RULE_ERROR_RATE: Final = "error-rate"
RULE_NO_BASELINE: Final = "no-baseline"
RULE_LATENCY: Final = "latency"

DETAIL_NO_DATA: Final = "Cloud Monitoring has no request series for the canary in the step's window"
DETAIL_MIN_REQUESTS: Final = "the canary served {requests} requests, fewer than the {minimum} required to judge it"
DETAIL_ERROR_RATE: Final = "canary 5xx rate {rate:.2%} ({errors} of {requests}) is above the ceiling {ceiling:.2%}"
DETAIL_NO_BASELINE: Final = "no p95 latency for {which} in the step's window: the canary cannot be compared"
DETAIL_LATENCY: Final = (
    "canary p95 {canary:.1f} ms is above the ceiling {ceiling:.1f} ms "
    "(stable p95 {stable:.1f} ms x {ratio} and + {margin:.0f} ms)"
)
DETAIL_PASSED: Final = (
    "canary: {requests} requests, 5xx {rate:.2%}, p95 {canary:.1f} ms; "
    "stable p95 {stable:.1f} ms (ceiling {ceiling:.1f})"
)


@dataclass(frozen=True)
class RevisionStats:
    """One revision's requests in a window: how many, how many answered 5xx, and the p95 latency."""

    requests: int
    errors: int
    p95_ms: float | None


@dataclass(frozen=True)
class Thresholds:
    """When a step fails. Latency breaches only past both the ratio and the margin, so noise on a
    fast service (2 ms against 3 ms) is not a regression."""

    min_requests: int = 100
    max_error_rate: float = 0.01
    max_latency_ratio: float = 1.5
    latency_margin_ms: float = 50.0


@dataclass(frozen=True)
class Verdict:
    passed: bool
    rule: str
    detail: str


def latency_ceiling(stable_p95_ms: float, thresholds: Thresholds) -> float:
    return max(stable_p95_ms * thresholds.max_latency_ratio, stable_p95_ms + thresholds.latency_margin_ms)


def judge(canary: RevisionStats | None, *, stable_p95_ms: float | None, thresholds: Thresholds) -> Verdict:
    """Pass or the first rule breached, in order: data, volume, errors, latency. Missing data fails."""
    if canary is None or canary.requests == 0:
        return Verdict(False, RULE_NO_DATA, DETAIL_NO_DATA)
    if canary.requests < thresholds.min_requests:
        detail = DETAIL_MIN_REQUESTS.format(requests=canary.requests, minimum=thresholds.min_requests)
        return Verdict(False, RULE_MIN_REQUESTS, detail)
    rate = canary.errors / canary.requests
    if rate > thresholds.max_error_rate:
        detail = DETAIL_ERROR_RATE.format(
            rate=rate, errors=canary.errors, requests=canary.requests, ceiling=thresholds.max_error_rate
        )
        return Verdict(False, RULE_ERROR_RATE, detail)
    if canary.p95_ms is None or stable_p95_ms is None:
        which = "the canary" if canary.p95_ms is None else "stable"
        return Verdict(False, RULE_NO_BASELINE, DETAIL_NO_BASELINE.format(which=which))
    ceiling = latency_ceiling(stable_p95_ms, thresholds)
    if canary.p95_ms > ceiling:
        detail = DETAIL_LATENCY.format(
            canary=canary.p95_ms,
            ceiling=ceiling,
            stable=stable_p95_ms,
            ratio=thresholds.max_latency_ratio,
            margin=thresholds.latency_margin_ms,
        )
        return Verdict(False, RULE_LATENCY, detail)
    detail = DETAIL_PASSED.format(
        requests=canary.requests, rate=rate, canary=canary.p95_ms, stable=stable_p95_ms, ceiling=ceiling
    )
    return Verdict(True, "", detail)
