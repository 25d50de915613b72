"""How a pipeline reports its steps: every step runs, every failure is named."""

from typing import Any

import anyio
import dagger
import gql
import pytest
from dagger._exceptions import QueryErrorValue

from ci import pipelines


def _exec_error(command: list[str], exit_code: int, stderr: str) -> dagger.ExecError:
    """The error the engine raises for a failed exec, as the SDK builds it."""
    value = QueryErrorValue(
        message="process did not complete successfully",
        extensions={
            "_type": "EXEC_ERROR",
            "cmd": command,
            "exitCode": exit_code,
            "stdout": "",
            "stderr": stderr,
        },
    )
    error = dagger.QueryError([value], gql.GraphQLRequest("{ container { id } }"))
    assert isinstance(error, dagger.ExecError)
    return error


class FakeStep:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.synced = False

    async def sync(self) -> "FakeStep":
        self.synced = True
        if self.error is not None:
            raise self.error
        return self


def _run(steps: dict[str, Any]) -> None:
    anyio.run(pipelines.run_steps, steps)


def test_passing_steps_are_each_reported(capsys: pytest.CaptureFixture[str]) -> None:
    steps = {"lint": FakeStep(), "test": FakeStep()}
    _run(steps)
    assert all(step.synced for step in steps.values())
    out = capsys.readouterr().out
    assert "--- lint ok" in out
    assert "--- test ok" in out


def test_a_failing_step_does_not_stop_the_others_and_is_named(
    capsys: pytest.CaptureFixture[str],
) -> None:
    steps = {
        "zizmor": FakeStep(_exec_error(["uv", "run", "zizmor"], 14, "unpinned-uses")),
        "bandit": FakeStep(),
        "trivy": FakeStep(_exec_error(["trivy", "image"], 1, "CVE-2026-0001 HIGH")),
    }
    with pytest.raises(pipelines.PipelineError, match=r"failed: trivy, zizmor"):
        _run(steps)
    assert steps["bandit"].synced
    captured = capsys.readouterr()
    assert "--- zizmor FAILED (exit 14): uv run zizmor" in captured.out
    assert "--- bandit ok" in captured.out
    assert "CVE-2026-0001 HIGH" in captured.err
