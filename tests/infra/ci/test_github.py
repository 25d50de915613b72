"""What a pipeline reads from GitHub Actions and writes back to it."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ci import github

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def test_a_run_is_named_by_its_actions_run_and_attempt() -> None:
    assert github.run_id({"GITHUB_RUN_ID": "42", "GITHUB_RUN_ATTEMPT": "2"}, NOW) == "42.2"
    # A re-run is a new run: its scans are not served from the cache either.
    assert github.run_id({"GITHUB_RUN_ID": "42", "GITHUB_RUN_ATTEMPT": "3"}, NOW) != "42.2"


def test_outside_actions_a_run_is_named_by_the_time() -> None:
    assert github.run_id({}, NOW) == "2026-11-29T12:00:00+00:00"


def test_outputs_are_appended_to_the_actions_output_file(tmp_path: Path) -> None:
    outputs = tmp_path / "output"
    outputs.write_text("earlier=1\n")
    github.set_output({"GITHUB_OUTPUT": str(outputs)}, "digest", "sha256:" + "ab" * 32)
    assert outputs.read_text() == f"earlier=1\ndigest=sha256:{'ab' * 32}\n"


def test_outside_actions_outputs_go_nowhere(tmp_path: Path) -> None:
    github.set_output({}, "digest", "x")
    assert list(tmp_path.iterdir()) == []


def test_an_output_cannot_smuggle_another_line(tmp_path: Path) -> None:
    outputs = tmp_path / "output"
    with pytest.raises(ValueError, match="one line"):
        github.set_output({"GITHUB_OUTPUT": str(outputs)}, "digest", "x\nimage=evil")
    assert not outputs.exists()
