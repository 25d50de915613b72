"""CPU load from the Docker stats API, as the Docker CLI computes it, over our own interval.

Stats are read one-shot (no two-second wait per container in the daemon); the load of a
container is the difference between two of our reads, so it is the mean over the whole
loop interval rather than a one-second glimpse.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from .document import field

NANOCPUS_PER_CORE = 1_000_000_000


@dataclass(frozen=True)
class CpuSample:
    """Cumulative CPU counters of one container, as one stats read reports them."""

    container_ns: int
    system_ns: int
    online_cpus: int


def sample_from_stats(stats: Mapping[str, Any]) -> CpuSample | None:
    """The counters of a `GET /containers/{id}/stats` answer; None when it carries none."""
    total = field(stats, "cpu_stats", "cpu_usage", "total_usage")
    system = field(stats, "cpu_stats", "system_cpu_usage")
    if not isinstance(total, int) or not isinstance(system, int) or system <= 0:
        return None
    online = field(stats, "cpu_stats", "online_cpus")
    if not isinstance(online, int) or online <= 0:
        # Older Engines leave it out; the per-CPU list has one entry per CPU.
        per_cpu = field(stats, "cpu_stats", "cpu_usage", "percpu_usage")
        online = max(1, len(cast(list[Any], per_cpu))) if isinstance(per_cpu, list) else 1
    return CpuSample(container_ns=total, system_ns=system, online_cpus=online)


def cores_used(previous: CpuSample, current: CpuSample) -> float | None:
    """Cores the container used between two samples; None if the counters went back (a restart)."""
    container = current.container_ns - previous.container_ns
    system = current.system_ns - previous.system_ns
    if container < 0 or system <= 0:
        return None
    # The system counter adds up every CPU's time; the container's is its own time.
    return container / system * current.online_cpus


def load_percent(cores: float, limit_nanocpus: int | None) -> float:
    """Cores used in percent of the task's CPU limit (of one core when it has none)."""
    limit_cores = limit_nanocpus / NANOCPUS_PER_CORE if limit_nanocpus else 1.0
    return cores / limit_cores * 100
