"""One loop of the autoscaler: for each opted-in service, measure, decide, apply, report."""

import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Final

from docker.errors import APIError
from docker.models.services import Service

from .cpu import CpuSample, cores_used, load_percent
from .decision import Decision, decide
from .events import EventLog
from .metrics import Metrics
from .policy import Policy, PolicyError, policy_from_labels
from .swarm import ENGINE_ERRORS, RunningTask, ServiceState, Swarm, is_out_of_sequence, service_state

# A write refused as out of sequence is retried after re-reading the service; a service that
# keeps changing under us is left for the next loop.
MAX_ATTEMPTS: Final = 3
ERROR_NOT_REPLICATED: Final = "not a replicated service: only replicated services scale"


class Autoscaler:
    """Keeps each container's last CPU sample between loops; all else is read afresh."""

    def __init__(
        self,
        swarm: Swarm,
        *,
        dry_run: bool = False,
        metrics: Metrics | None = None,
        events: EventLog | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._swarm = swarm
        self._dry_run = dry_run
        self._metrics = metrics or Metrics()
        self._events = events or EventLog()
        self._clock = clock
        self._samples: dict[str, CpuSample] = {}

    def run_once(self) -> list[Decision]:
        """One pass; raises one of ENGINE_ERRORS only when the Engine cannot list the services."""
        node_id = self._swarm.node_id()
        decisions: list[Decision] = []
        seen: set[str] = set()
        for service in self._swarm.autoscaled():
            state = service_state(service.attrs)
            try:
                decision = self._scale(service, node_id, seen)
            except (PolicyError, *ENGINE_ERRORS) as error:
                self._metrics.inc("autoscaler_service_errors_total", service=state.name)
                self._events.write("service_skipped", level="error", service=state.name, error=str(error))
            else:
                decisions.append(decision)
        # Containers that are gone take their last sample with them.
        self._samples = {container: sample for container, sample in self._samples.items() if container in seen}
        self._metrics.inc("autoscaler_loops_total")
        self._metrics.set("autoscaler_last_loop_timestamp_seconds", self._clock())
        return decisions

    def _scale(self, service: Service, node_id: str, seen: set[str]) -> Decision:
        state = service_state(service.attrs)
        policy = policy_from_labels(state.labels)
        if state.replicas is None:
            raise PolicyError(ERROR_NOT_REPLICATED)
        tasks = self._swarm.running_tasks(state.id)
        seen.update(task.container_id for task in tasks)
        load, sampled = self._load(state, tasks, node_id)
        attempt = 1
        while True:
            decision = decide(
                current=state.replicas or 0,
                load_percent=load,
                policy=policy,
                seconds_since_change=self._seconds_since_change(state),
                updating=state.updating,
            )
            applied = False
            if decision.action != "hold" and not self._dry_run:
                try:
                    self._swarm.scale(service, decision.desired)
                except APIError as error:
                    if not is_out_of_sequence(error) or attempt == MAX_ATTEMPTS:
                        raise
                    self._metrics.inc("autoscaler_conflicts_total", service=state.name)
                    self._events.write(
                        "conflict", level="warning", service=state.name, attempt=attempt, error=str(error)
                    )
                    self._swarm.reread(service)
                    state = service_state(service.attrs)
                    if state.replicas is None:
                        raise PolicyError(ERROR_NOT_REPLICATED) from error
                    attempt += 1
                    continue
                applied = True
                self._metrics.inc("autoscaler_scaled_total", service=state.name, direction=decision.action)
            self._report(state, decision, policy, load=load, sampled=sampled, tasks=len(tasks), applied=applied)
            return decision

    def _load(self, state: ServiceState, tasks: list[RunningTask], node_id: str) -> tuple[float | None, int]:
        """Mean CPU of the service's tasks on this node, in percent of their limit.

        The Engine reports stats only for its own containers. Swarm's routing mesh spreads
        requests evenly over all tasks, so those on the manager stand for the service.
        """
        loads: list[float] = []
        for task in tasks:
            if task.node_id != node_id:
                continue
            sample = self._swarm.cpu_sample(task.container_id)
            if sample is None:
                continue
            previous = self._samples.get(task.container_id)
            self._samples[task.container_id] = sample
            cores = cores_used(previous, sample) if previous is not None else None
            if cores is not None:
                loads.append(load_percent(cores, state.cpu_limit_nanocpus))
        return (sum(loads) / len(loads) if loads else None), len(loads)

    def _seconds_since_change(self, state: ServiceState) -> float:
        if state.updated_at is None:
            return float("inf")
        return max(0.0, self._clock() - state.updated_at.timestamp())

    def _report(
        self,
        state: ServiceState,
        decision: Decision,
        policy: Policy,
        *,
        load: float | None,
        sampled: int,
        tasks: int,
        applied: bool,
    ) -> None:
        self._metrics.inc("autoscaler_decisions_total", service=state.name, action=decision.action)
        self._metrics.set("autoscaler_replicas", decision.current, service=state.name)
        self._metrics.set("autoscaler_desired_replicas", decision.desired, service=state.name)
        self._metrics.set("autoscaler_load_percent", float("nan") if load is None else load, service=state.name)
        self._metrics.set("autoscaler_tasks_sampled", sampled, service=state.name)
        self._events.write(
            "decision",
            service=state.name,
            action=decision.action,
            current=decision.current,
            desired=decision.desired,
            reason=decision.reason,
            load_percent=None if load is None else round(load, 2),
            tasks_running=tasks,
            tasks_sampled=sampled,
            updating=state.updating,
            seconds_since_change=round(self._seconds_since_change(state), 1),
            policy=asdict(policy),
            dry_run=self._dry_run,
            applied=applied,
        )
