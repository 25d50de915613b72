"""What the autoscaler reads: policies from labels, CPU from stats, state from services."""

import pytest
from autoscaler.cpu import CpuSample, cores_used, load_percent, sample_from_stats
from autoscaler.policy import (
    ERROR_BOUNDS,
    ERROR_MISSING,
    ERROR_NOT_INTEGER,
    ERROR_NOT_NUMBER,
    ERROR_OUT_OF_RANGE,
    MAX_LABEL,
    MIN_LABEL,
    TARGET_LABEL,
    TOLERANCE_LABEL,
    Policy,
    PolicyError,
    is_enabled,
    policy_from_labels,
)
from autoscaler.swarm import running_tasks, service_state

LABELS = {"autoscale.enable": "true", MIN_LABEL: "2", MAX_LABEL: "6", TARGET_LABEL: "60"}


def test_labels_give_the_policy_with_defaults_for_the_optional_ones() -> None:
    assert is_enabled(LABELS)
    assert not is_enabled({**LABELS, "autoscale.enable": "yes please"})
    assert policy_from_labels(LABELS) == Policy(minimum=2, maximum=6, target_percent=60)
    tuned = policy_from_labels({**LABELS, TOLERANCE_LABEL: "0.2", "autoscale.down_cooldown_seconds": "600"})
    assert (tuned.tolerance, tuned.down_cooldown_seconds) == (0.2, 600)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({MIN_LABEL: ""}, ERROR_MISSING.format(label=MIN_LABEL)),
        ({MAX_LABEL: "six"}, ERROR_NOT_INTEGER.format(label=MAX_LABEL, value="six")),
        ({TARGET_LABEL: "sixty"}, ERROR_NOT_NUMBER.format(label=TARGET_LABEL, value="sixty")),
        ({MIN_LABEL: "0"}, ERROR_OUT_OF_RANGE.format(label=MIN_LABEL, low=1, high=100, value=0)),
        ({TOLERANCE_LABEL: "nan"}, ERROR_OUT_OF_RANGE.format(label=TOLERANCE_LABEL, low=0, high=0.9, value="nan")),
        ({MIN_LABEL: "7"}, ERROR_BOUNDS.format(minimum=7, maximum=6)),
    ],
)
def test_a_bad_label_is_refused_naming_it(change: dict[str, str], message: str) -> None:
    with pytest.raises(PolicyError) as refused:
        policy_from_labels({**LABELS, **change})
    assert str(refused.value) == message


def _stats(container_ns: int, system_ns: int, online: int | None = 2) -> dict[str, object]:
    cpu: dict[str, object] = {"cpu_usage": {"total_usage": container_ns}, "system_cpu_usage": system_ns}
    if online is not None:
        cpu["online_cpus"] = online
    return {"cpu_stats": cpu}


def test_cpu_is_the_containers_share_of_the_hosts_time_times_its_cpus() -> None:
    before = sample_from_stats(_stats(1_000, 10_000))
    after = sample_from_stats(_stats(1_000 + 500, 10_000 + 2_000))
    assert before is not None and after is not None
    assert cores_used(before, after) == 0.5  # a quarter of 2 CPUs' time: half a core
    assert load_percent(0.5, 500_000_000) == 100  # half a core of a half-core limit
    assert load_percent(0.5, None) == 50  # no limit: percent of one core


def test_cpu_counters_that_went_back_or_stats_without_them_give_no_figure() -> None:
    assert cores_used(CpuSample(900, 10_000, 2), CpuSample(100, 12_000, 2)) is None  # restarted
    assert sample_from_stats({"cpu_stats": {}}) is None
    older_engine = sample_from_stats(
        {"cpu_stats": {"cpu_usage": {"total_usage": 5, "percpu_usage": [1, 2, 3, 4]}, "system_cpu_usage": 9}}
    )
    assert older_engine == CpuSample(5, 9, 4)


def test_service_state_reads_replicas_update_state_and_cpu_limit() -> None:
    state = service_state(
        {
            "ID": "abc",
            "Version": {"Index": 42},
            "UpdatedAt": "2026-01-02T03:04:05.123456789Z",
            "Spec": {
                "Name": "app_app",
                "Labels": LABELS,
                "Mode": {"Replicated": {"Replicas": 3}},
                "TaskTemplate": {"Resources": {"Limits": {"NanoCPUs": 1_000_000_000}}},
            },
            "UpdateStatus": {"State": "rollback_started"},
        }
    )
    assert (state.name, state.version, state.replicas, state.updating) == ("app_app", 42, 3, True)
    assert state.cpu_limit_nanocpus == 1_000_000_000
    assert state.updated_at is not None and state.updated_at.microsecond == 123456
    job = service_state({"ID": "j", "Spec": {"Name": "app_migrate", "Mode": {"ReplicatedJob": {}}}})
    assert job.replicas is None
    assert not job.updating


def test_only_running_tasks_meant_to_run_are_sampled() -> None:
    def task(state: str, desired: str, container: str) -> dict[str, object]:
        return {
            "NodeID": "n1",
            "DesiredState": desired,
            "Status": {"State": state, "ContainerStatus": {"ContainerID": container}},
        }

    tasks = [task("running", "running", "a"), task("starting", "running", "b"), task("running", "shutdown", "c")]
    assert [found.container_id for found in running_tasks(tasks)] == ["a"]
