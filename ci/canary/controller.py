"""One rollout, start to finish: migrations, a tagged revision, smoke, the traffic ladder, then
promotion or rollback. Every exit leaves all traffic on one revision and no canary tag."""

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Final

from ci.canary import ladder, lease
from ci.canary.cloud import Cloud, Conflict, JobFailed, Snapshot
from ci.canary.ladder import CANARY_TAG, DEFAULT_LADDER, Target
from ci.canary.lease import Held, Lease, Recover, Refuse, Released, Resume
from ci.canary.smoke import SmokeFailed, smoke
from ci.canary.verdict import Thresholds, Verdict, judge

OUTCOME_RELEASED: Final = "released"
OUTCOME_ALREADY_RELEASED: Final = "already-released"
OUTCOME_ROLLED_BACK: Final = "rolled-back"
OUTCOME_REFUSED: Final = "refused"
OUTCOME_MIGRATIONS_FAILED: Final = "migrations-failed"
OUTCOME_LEASE_LOST: Final = "lease-lost"
OUTCOME_ROLLBACK_FAILED: Final = "rollback-failed"
EXIT_CODES: Final = {
    OUTCOME_RELEASED: 0,
    OUTCOME_ALREADY_RELEASED: 0,
    OUTCOME_ROLLED_BACK: 1,
    OUTCOME_MIGRATIONS_FAILED: 1,
    OUTCOME_LEASE_LOST: 1,
    OUTCOME_ROLLBACK_FAILED: 4,
    OUTCOME_REFUSED: 3,
}

RULE_SMOKE: Final = "smoke"
RULE_INTERRUPTED: Final = "interrupted"
RULE_ERROR: Final = "error"
RULE_LEASE_HELD: Final = "lease-held"

DETAIL_HELD: Final = "rollout {run_id} of {image} holds the service (phase {phase}, renewed {age:.0f} s ago)"
DETAIL_HELD_LONG: Final = DETAIL_HELD + ", and may stay silent {remaining:.0f} s more: try again later"
DETAIL_KEPT_CHANGING: Final = "the service kept changing while this run tried to take its lease"
DETAIL_LEASE_LOST: Final = "another run took the lease over: this run leaves the service to it"
DETAIL_RECOVERED: Final = "put all traffic back on {stable} and dropped the tag an abandoned rollout left"
DETAIL_ROLLBACK_FAILED: Final = (
    "rolling back to {stable} failed ({error}): put 100% on {stable} and remove tag {tag} by hand"
)
MAX_DISCOVERIES: Final = 5


class LeaseLost(Exception):
    """Another run holds the lease now: this one must not touch traffic any more."""


@dataclass(frozen=True)
class Rollout:
    """What to roll out and how carefully. Times in seconds."""

    image: str
    expected_version: str
    run_id: str
    ladder: tuple[int, ...] = DEFAULT_LADDER
    bake_seconds: float = 300.0
    metrics_delay_seconds: float = 180.0
    thresholds: Thresholds = field(default_factory=Thresholds)
    lease_ttl_seconds: float = 120.0
    migrations_timeout_seconds: float = 1800.0
    revision_timeout_seconds: float = 900.0
    smoke_timeout_seconds: float = 10.0
    tag: str = CANARY_TAG


@dataclass
class Report:
    """What happened, for people (the lines) and machines (the JSON summary)."""

    outcome: str = ""
    rule: str = ""
    detail: str = ""
    image: str = ""
    stable: str = ""
    canary: str = ""
    steps: list[str] = field(default_factory=list[str])
    timings: dict[str, float] = field(default_factory=dict[str, float])

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.outcome]

    def summary(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


class Controller:
    """Runs one rollout of `rollout.image` on the service `cloud` points at."""

    def __init__(
        self,
        cloud: Cloud,
        rollout: Rollout,
        *,
        smoke_token: Callable[[], str],
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        log: Callable[[str], None] = print,
    ) -> None:
        self.cloud = cloud
        self.rollout = rollout
        self._smoke_token = smoke_token
        self._clock = clock
        self._sleep = sleep
        self._log = log
        self._snapshot: Snapshot | None = None
        self._lease: Lease | None = None
        self.report = Report(image=rollout.image)

    # --- the run

    def run(self) -> Report:
        started = self._clock()
        try:
            self._run()
        finally:
            self.report.timings["total_seconds"] = round(self._clock() - started, 3)
            self._log(f"{self.report.outcome}: {self.report.detail}")
            self._log(self.report.summary())
        return self.report

    def _run(self) -> None:
        for _ in range(MAX_DISCOVERIES):
            snapshot = self._read()
            situation = lease.discover(snapshot.view, image=self.rollout.image, now=self._clock(), tag=self.rollout.tag)
            self._log(f"found: {situation}")
            match situation:
                case Held(held):
                    if self._outlasts(held):
                        return
                    continue
                case Refuse(reason):
                    self._finish(OUTCOME_REFUSED, RULE_LEASE_HELD, reason)
                    return
                case Released(revision):
                    self.report.canary = revision
                    detail = f"{self.rollout.image} already serves 100% on {revision}"
                    self._finish(OUTCOME_ALREADY_RELEASED, "", detail)
                    return
                case Resume(found, percent):
                    stable, canary, recovering = found.stable, found.canary, False
                case Recover(stable, found):
                    canary, percent, recovering = "", 0, True
                case lease.Fresh(stable):
                    canary, percent, recovering = "", 0, False
            self.report.stable = stable
            try:
                self._take_lease(stable=stable, canary=canary)
            except Conflict:
                continue
            self._roll(stable=stable, canary=canary, percent=percent, recovering=recovering)
            return
        self._finish(OUTCOME_REFUSED, RULE_LEASE_HELD, DETAIL_KEPT_CHANGING)

    def _roll(self, *, stable: str, canary: str, percent: int, recovering: bool) -> None:
        try:
            if recovering:
                self._write(ladder.stable_only(stable), phase=lease.PHASE_MIGRATING)
                self._step(DETAIL_RECOVERED.format(stable=stable))
            if not canary:
                canary = self._create_canary(stable)
            self.report.canary = canary
            self._smoke(canary)
            verdict = self._walk(stable=stable, canary=canary, percent=percent)
        except JobFailed as error:
            self._release(traffic=None)
            self._finish(OUTCOME_MIGRATIONS_FAILED, "migrations", str(error))
            return
        except LeaseLost:
            self._finish(OUTCOME_LEASE_LOST, RULE_LEASE_HELD, DETAIL_LEASE_LOST)
            return
        except SmokeFailed as error:
            self._roll_back(stable, Verdict(False, RULE_SMOKE, str(error)))
            return
        except KeyboardInterrupt:
            self._roll_back(stable, Verdict(False, RULE_INTERRUPTED, "the run was interrupted"))
            return
        except Exception as error:
            self._roll_back(stable, Verdict(False, RULE_ERROR, f"{type(error).__name__}: {error}"))
            return
        if not verdict.passed:
            self._roll_back(stable, verdict)
            return
        released = json.dumps({"image": self.rollout.image, "revision": canary, "run_id": self.rollout.run_id})
        self._release(traffic=ladder.stable_only(canary), released=released)
        self._finish(OUTCOME_RELEASED, "", f"{self.rollout.image} serves 100% on {canary}")

    def _create_canary(self, stable: str) -> str:
        self._phase(lease.PHASE_MIGRATING, silent_for=self.rollout.migrations_timeout_seconds)
        execution = self.cloud.run_migrations(self.rollout.image)
        self._step(f"migrations: {execution} succeeded")
        service, image = self.cloud.location.service, self.rollout.image
        name = ladder.revision_name(service=service, image=image, stamp=int(self._clock()))
        traffic = (Target(stable, 100), Target(name, 0, self.rollout.tag))
        self._lease = replace(self._held(), canary=name)
        self.report.canary = name
        self._write(
            traffic,
            phase=lease.PHASE_CREATING,
            silent_for=self.rollout.revision_timeout_seconds,
            new_revision=(name, self.rollout.image),
        )
        self._step(f"revision {name} created with 0% and tag {self.rollout.tag}; {stable} pinned at 100%")
        return name

    def _smoke(self, canary: str) -> None:
        self._phase(lease.PHASE_SMOKING, silent_for=self.rollout.smoke_timeout_seconds * 6)
        url = self.cloud.tag_url(self._current(), self.rollout.tag)
        for line in smoke(
            url,
            expected_version=self.rollout.expected_version,
            token=self._smoke_token(),
            timeout_seconds=self.rollout.smoke_timeout_seconds,
        ):
            self._step(f"smoke {canary} at {url}: {line}")

    def _walk(self, *, stable: str, canary: str, percent: int) -> Verdict:
        """Each remaining step: move traffic, bake, judge. The step a crashed run left is judged again."""
        steps = ladder.remaining_steps(self.rollout.ladder, percent - 1 if percent else 0)
        stable_p95: float | None = None
        verdict = Verdict(True, "", "")
        for step in steps:
            self._write(ladder.canary_split(stable=stable, canary=canary, percent=step, tag=self.rollout.tag))
            start = self._clock()
            self._bake_until(start + self.rollout.bake_seconds + self.rollout.metrics_delay_seconds)
            end = start + self.rollout.bake_seconds
            canary_stats = self.cloud.revision_stats(canary, start=start, end=end)
            if step < 100:
                stable_stats = self.cloud.revision_stats(stable, start=start, end=end)
                stable_p95 = stable_stats.p95_ms if stable_stats is not None else None
            verdict = judge(canary_stats, stable_p95_ms=stable_p95, thresholds=self.rollout.thresholds)
            self.report.timings[f"step_{step}_judged_at"] = round(self._clock(), 3)
            self._step(f"step {step}%: {'passed' if verdict.passed else 'BREACHED ' + verdict.rule}: {verdict.detail}")
            if not verdict.passed:
                return replace(verdict, detail=f"at {step}%: {verdict.detail}")
        return verdict

    def _bake_until(self, deadline: float) -> None:
        """Wait, renewing the lease often enough that a waiting run sees this one alive."""
        interval = self.rollout.lease_ttl_seconds / 3
        while (remaining := deadline - self._clock()) > 0:
            self._sleep(min(remaining, interval))
            if self._clock() - self._held().renewed_at >= interval:
                self._phase(lease.PHASE_BAKING)

    def _roll_back(self, stable: str, verdict: Verdict) -> None:
        breached = self._clock()
        self._log(f"rolling back to {stable}: {verdict.rule}: {verdict.detail}")
        try:
            self._release(traffic=ladder.stable_only(stable))
        except Exception as error:
            detail = DETAIL_ROLLBACK_FAILED.format(stable=stable, error=error, tag=self.rollout.tag)
            self._finish(OUTCOME_ROLLBACK_FAILED, verdict.rule, f"{verdict.detail}; {detail}")
            return
        self.report.timings["rollback_seconds"] = round(self._clock() - breached, 3)
        self._finish(OUTCOME_ROLLED_BACK, verdict.rule, verdict.detail)

    # --- the lease and every write to the service

    def _outlasts(self, held: Lease) -> bool:
        """Wait for a lease that may belong to a crashed run. True when this run gave up (refused)."""
        now = self._clock()
        remaining = held.renewed_at + held.ttl_seconds - now
        age = now - held.renewed_at
        if remaining > self.rollout.lease_ttl_seconds:
            self._finish(
                OUTCOME_REFUSED,
                RULE_LEASE_HELD,
                DETAIL_HELD_LONG.format(
                    run_id=held.run_id, image=held.image, phase=held.phase, age=age, remaining=remaining
                ),
            )
            return True
        self._log(f"waiting up to {remaining:.0f} s for rollout {held.run_id} to renew its lease or lapse")
        while self._clock() <= held.renewed_at + held.ttl_seconds:
            self._sleep(min(max(held.ttl_seconds / 12, 0.05), 5.0))
            current = self._read().view.lease
            if current != held:
                if current is not None and current.run_id == held.run_id:
                    age = self._clock() - current.renewed_at
                    self._finish(
                        OUTCOME_REFUSED,
                        RULE_LEASE_HELD,
                        DETAIL_HELD.format(run_id=held.run_id, image=held.image, phase=current.phase, age=age),
                    )
                    return True
                return False
        return False

    def _take_lease(self, *, stable: str, canary: str) -> None:
        self._lease = Lease(
            run_id=self.rollout.run_id,
            image=self.rollout.image,
            stable=stable,
            canary=canary,
            phase=lease.PHASE_MIGRATING,
            renewed_at=self._clock(),
            ttl_seconds=self.rollout.lease_ttl_seconds,
        )
        snapshot = self._current()
        self._snapshot = self.cloud.update(
            snapshot, traffic=snapshot.view.traffic, annotations=self._annotations(snapshot, self._lease)
        )
        self._log(f"took the lease as run {self.rollout.run_id}")

    def _held(self) -> Lease:
        if self._lease is None:
            raise LeaseLost
        return self._lease

    def _phase(self, phase: str, *, silent_for: float = 0.0) -> None:
        """Renew the lease for a phase that may stay silent (no renewal) for `silent_for` seconds."""
        self._write(self._current().view.traffic, phase=phase, silent_for=silent_for)

    def _write(
        self,
        traffic: tuple[Target, ...],
        *,
        phase: str = lease.PHASE_BAKING,
        silent_for: float = 0.0,
        new_revision: tuple[str, str] | None = None,
    ) -> None:
        held = replace(
            self._held(),
            phase=phase,
            renewed_at=self._clock(),
            ttl_seconds=self.rollout.lease_ttl_seconds + silent_for,
        )
        self._update(traffic, lease_to_keep=held, new_revision=new_revision)
        self._lease = held

    def _release(self, *, traffic: tuple[Target, ...] | None, released: str = "") -> None:
        """The run's last write: drop the lease (and the canary tag, with `traffic`)."""
        self._update(traffic, lease_to_keep=None, released=released)
        self._lease = None

    def _update(
        self,
        traffic: tuple[Target, ...] | None,
        *,
        lease_to_keep: Lease | None,
        new_revision: tuple[str, str] | None = None,
        released: str = "",
    ) -> None:
        """One etag-guarded write; on a conflict, read again and write again while the lease is ours."""
        for _ in range(MAX_DISCOVERIES):
            snapshot = self._current()
            annotations = self._annotations(snapshot, lease_to_keep)
            if released:
                annotations[lease.RELEASED_ANNOTATION] = released
            try:
                self._snapshot = self.cloud.update(
                    snapshot,
                    traffic=traffic if traffic is not None else snapshot.view.traffic,
                    annotations=annotations,
                    new_revision=new_revision,
                )
            except Conflict:
                found = self._read().view.lease
                if found is None or found.run_id != self.rollout.run_id:
                    self._lease = None
                    raise LeaseLost from None
            else:
                return
        raise Conflict(DETAIL_KEPT_CHANGING)

    @staticmethod
    def _annotations(snapshot: Snapshot, held: Lease | None) -> dict[str, str]:
        annotations = dict(snapshot.view.annotations)
        annotations.pop(lease.LEASE_ANNOTATION, None)
        if held is not None:
            annotations[lease.LEASE_ANNOTATION] = held.to_annotation()
        return annotations

    def _read(self) -> Snapshot:
        self._snapshot = self.cloud.snapshot()
        return self._snapshot

    def _current(self) -> Snapshot:
        return self._snapshot if self._snapshot is not None else self._read()

    # --- reporting

    def _step(self, line: str) -> None:
        self.report.steps.append(line)
        self._log(line)

    def _finish(self, outcome: str, rule: str, detail: str) -> None:
        self.report.outcome, self.report.rule, self.report.detail = outcome, rule, detail
