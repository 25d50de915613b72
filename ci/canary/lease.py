"""The rollout lease kept on the service itself, and what a run finds there when it starts.

A run writes a lease annotation on the Cloud Run service before it changes anything (compare
and swap on the service's etag) and renews it while it bakes. Another run that finds a lease
renewed within its time to live refuses to start; one that finds it lapsed (the holder crashed)
takes the rollout over: it resumes the same image, or rolls the stale canary back.
"""

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Final

from ci.canary.ladder import Target, is_split

LEASE_ANNOTATION: Final = "canary.overengineered-backend/rollout"
RELEASED_ANNOTATION: Final = "canary.overengineered-backend/released"

PHASE_MIGRATING: Final = "migrating"
PHASE_CREATING: Final = "creating"
PHASE_SMOKING: Final = "smoking"
PHASE_BAKING: Final = "baking"

REASON_SPLIT_BY_HAND: Final = (
    "traffic is split between {revisions} and no rollout lease explains it: put it back on one revision first"
)
REASON_NO_SERVING_REVISION: Final = "no revision serves the service's traffic yet"
ERROR_LEASE: Final = "the {annotation} annotation is not a rollout lease: {text!r}"


@dataclass(frozen=True)
class Lease:
    """Who is rolling out what. `renewed_at` is wall-clock seconds (runners keep NTP time)."""

    run_id: str
    image: str
    stable: str
    canary: str
    phase: str
    renewed_at: float
    ttl_seconds: float

    def to_annotation(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_annotation(cls, text: str) -> "Lease":
        try:
            fields = json.loads(text)
            return cls(**fields)
        except (ValueError, TypeError) as error:
            raise ValueError(ERROR_LEASE.format(annotation=LEASE_ANNOTATION, text=text)) from error

    def is_live(self, now: float) -> bool:
        return now - self.renewed_at <= self.ttl_seconds


@dataclass(frozen=True)
class ServiceView:
    """What a run needs to know of the service: pinned traffic (LATEST resolved), tags, annotations,
    and the image each serving revision runs."""

    traffic: tuple[Target, ...]
    annotations: Mapping[str, str]
    images: Mapping[str, str]

    @property
    def lease(self) -> Lease | None:
        text = self.annotations.get(LEASE_ANNOTATION)
        return Lease.from_annotation(text) if text else None

    def tagged(self, tag: str) -> str | None:
        return next((target.revision for target in self.traffic if target.tag == tag), None)

    def serving(self) -> list[str]:
        """Revisions with traffic, most first."""
        shares: dict[str, int] = {}
        for target in self.traffic:
            if target.percent > 0:
                shares[target.revision] = shares.get(target.revision, 0) + target.percent
        return sorted(shares, key=lambda revision: -shares[revision])


@dataclass(frozen=True)
class Fresh:
    """Nothing in flight: roll out on top of `stable`."""

    stable: str


@dataclass(frozen=True)
class Released:
    """The image already serves all traffic: nothing to do."""

    revision: str


@dataclass(frozen=True)
class Held:
    """Another run holds a live lease."""

    lease: Lease


@dataclass(frozen=True)
class Resume:
    """A crashed run of this very image left its canary at `percent`: carry on from there."""

    lease: Lease
    percent: int


@dataclass(frozen=True)
class Recover:
    """A crashed run of another image, or a leftover canary tag: put everything back on `stable` first."""

    stable: str
    lease: Lease | None


@dataclass(frozen=True)
class Refuse:
    reason: str


Situation = Fresh | Released | Held | Resume | Recover | Refuse


def discover(view: ServiceView, *, image: str, now: float, tag: str) -> Situation:
    """Decide how a run for `image` starts, from the service alone."""
    lease = view.lease
    if lease is not None and lease.is_live(now):
        return Held(lease)
    serving = view.serving()
    if not serving:
        return Refuse(REASON_NO_SERVING_REVISION)
    canary = view.tagged(tag)
    if lease is not None:
        if lease.image == image and lease.canary and lease.canary in {canary, *serving}:
            percent = sum(target.percent for target in view.traffic if target.revision == lease.canary)
            return Resume(lease, percent)
        return Recover(lease.stable, lease)
    if is_split(view.traffic):
        return Refuse(REASON_SPLIT_BY_HAND.format(revisions=", ".join(serving)))
    if canary is not None:
        return Recover(serving[0], None)
    if view.images.get(serving[0]) == image:
        return Released(serving[0])
    return Fresh(serving[0])
