"""What the load did while a fault was on, as plain data: which requests failed, when, how, and
how soon the service was whole again. No Chaos Toolkit and no HTTP here: `probes.load_verdict`
reads the files and asks `judge`; the unit tests build timelines by hand.
"""

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

# How an experiment allows a request to go unanswered: never; only if it was in flight when the
# fault struck (a killed worker's); or only if it started while the fault was on (a server that
# stopped: refused at connect, or reset before any answer, never one that was already in it).
TRANSPORT_NEVER: Final = "never"
TRANSPORT_IN_FLIGHT: Final = "in-flight-at-fault"
TRANSPORT_STARTED_DURING_FAULT: Final = "started-during-fault"
TRANSPORT_RULES: Final = (TRANSPORT_NEVER, TRANSPORT_IN_FLIGHT, TRANSPORT_STARTED_DURING_FAULT)

ERROR_RULE: Final = "unknown transport rule {rule!r}; one of {rules}"
ERROR_NO_FAULT: Final = "the timeline has no `fault` event: the fault never started"
BREACH_STATUS: Final = "{count} answers {status} {code}, which this fault must not cause (first at +{at:.1f} s)"
BREACH_TRANSPORT: Final = "{count} requests failed without an answer ({errors}), outside what this fault allows"
BREACH_SLOW_FAILURE: Final = "a failed request took {ms:.0f} ms; a failure must come within {limit} ms"
BREACH_P99: Final = "p99 of the answers was {ms:.0f} ms, over the {limit} ms the timeouts allow"
BREACH_RECOVERY: Final = "not whole again {limit} s after the fault was removed (last failure at +{at:.1f} s)"
BREACH_NO_REQUESTS: Final = "no request was in flight while the fault was on"


@dataclass(frozen=True)
class Request:
    """One request of the load: when it started and ended (epoch seconds), what came back."""

    flow: str
    start: float
    end: float
    status: int | None = None  # None: no answer (the error says why)
    code: str | None = None  # the problem's `code`, for an error answer
    error: str | None = None

    @property
    def is_success(self) -> bool:
        return self.status is not None and self.status < 400

    @property
    def ms(self) -> float:
        return (self.end - self.start) * 1000

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Request":
        return cls(
            flow=data["flow"],
            start=data["start"],
            end=data["end"],
            status=data.get("status"),
            code=data.get("code"),
            error=data.get("error"),
        )


@dataclass(frozen=True)
class Expectation:
    """What an experiment allows its fault to do to the load."""

    codes: frozenset[str] = frozenset()  # problem codes a failed answer may carry (503s)
    transport: str = TRANSPORT_NEVER
    max_failed_ms: float | None = None
    max_p99_ms: float | None = None
    recovery_within_s: float | None = None


@dataclass(frozen=True)
class Figures:
    """The report of one run: what failed while the fault was on, and how soon it was over."""

    requests: int
    failed: int
    failed_during_fault: int
    fault_seconds: float
    failure_window_seconds: float  # from the first failure to the last
    recovery_seconds: float | None  # from the fault's removal to the last failure (0: none after)
    p50_ms: float
    p99_ms: float
    outcomes: dict[str, int] = field(default_factory=dict[str, int])
    breaches: list[str] = field(default_factory=list[str])

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "failed": self.failed,
            "failed_during_fault": self.failed_during_fault,
            "fault_seconds": round(self.fault_seconds, 2),
            "failure_window_seconds": round(self.failure_window_seconds, 2),
            "recovery_seconds": None if self.recovery_seconds is None else round(self.recovery_seconds, 2),
            "p50_ms": round(self.p50_ms, 1),
            "p99_ms": round(self.p99_ms, 1),
            "outcomes": self.outcomes,
            "breaches": self.breaches,
        }


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (`share` in 0..1); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(round(share * len(ordered), 9)))  # round: 0.99 * 100 is 99.00000000000001
    return ordered[min(rank, len(ordered)) - 1]


def _outcome(request: Request) -> str:
    if request.status is None:
        return f"no answer: {request.error}"
    return f"{request.status} {request.code}" if request.code else str(request.status)


def _transport_allowed(request: Request, rule: str, fault_at: float, removed_at: float) -> bool:
    if rule == TRANSPORT_IN_FLIGHT:
        return request.start < fault_at <= request.end
    if rule == TRANSPORT_STARTED_DURING_FAULT:
        return fault_at <= request.start <= removed_at
    return False


def judge(requests: Iterable[Request], events: dict[str, float], expectation: Expectation) -> Figures:
    """The figures of a run, with every way it broke the expectation in `breaches`.

    `events` holds when the fault started (`fault`) and was removed (`fault-removed`; absent:
    it lasted to the end of the load).
    """
    if expectation.transport not in TRANSPORT_RULES:
        raise ValueError(ERROR_RULE.format(rule=expectation.transport, rules=", ".join(TRANSPORT_RULES)))
    if "fault" not in events:
        raise ValueError(ERROR_NO_FAULT)
    made = sorted(requests, key=lambda request: request.start)
    fault_at = events["fault"]
    last_end = max((request.end for request in made), default=fault_at)
    removed_at = events.get("fault-removed", last_end)
    failed = [request for request in made if not request.is_success]
    breaches: list[str] = []

    answered_failures = [request for request in failed if request.status is not None]
    forbidden = Counter(
        (request.status, request.code)
        for request in answered_failures
        if request.status != 503 or request.code not in expectation.codes
    )
    for (status, code), count in sorted(forbidden.items(), key=str):
        first = next(request for request in answered_failures if (request.status, request.code) == (status, code))
        breaches.append(BREACH_STATUS.format(count=count, status=status, code=code or "", at=first.start - fault_at))
    unanswered = [request for request in failed if request.status is None]
    stray = [
        request
        for request in unanswered
        if not _transport_allowed(request, expectation.transport, fault_at, removed_at)
    ]
    if stray:
        errors = ", ".join(sorted({request.error or "?" for request in stray}))
        breaches.append(BREACH_TRANSPORT.format(count=len(stray), errors=errors))
    if expectation.max_failed_ms is not None and answered_failures:
        slowest = max(request.ms for request in answered_failures)
        if slowest > expectation.max_failed_ms:
            breaches.append(BREACH_SLOW_FAILURE.format(ms=slowest, limit=expectation.max_failed_ms))
    answered_ms = [request.ms for request in made if request.status is not None]
    p99 = percentile(answered_ms, 0.99)
    if expectation.max_p99_ms is not None and p99 > expectation.max_p99_ms:
        breaches.append(BREACH_P99.format(ms=p99, limit=expectation.max_p99_ms))
    if not any(request.start <= removed_at and request.end >= fault_at for request in made):
        breaches.append(BREACH_NO_REQUESTS)

    after = [request for request in failed if request.end > removed_at]
    recovery = max((request.end for request in after), default=removed_at) - removed_at
    if expectation.recovery_within_s is not None and recovery > expectation.recovery_within_s:
        breaches.append(BREACH_RECOVERY.format(limit=expectation.recovery_within_s, at=recovery))
    return Figures(
        requests=len(made),
        failed=len(failed),
        failed_during_fault=sum(1 for request in failed if fault_at <= request.end and request.start <= removed_at),
        fault_seconds=removed_at - fault_at,
        failure_window_seconds=(max(request.end for request in failed) - failed[0].start) if failed else 0.0,
        recovery_seconds=recovery,
        p50_ms=percentile(answered_ms, 0.5),
        p99_ms=p99,
        outcomes=dict(sorted(Counter(_outcome(request) for request in made).items())),
        breaches=breaches,
    )
