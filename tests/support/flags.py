"""Flag files for tests: the repo's own, changed a flag at a time, written the way an operator's tools do."""

import copy
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app import flags
from app.flags.flag_file import LOADED, FlagFile
from tests.support.live_app import LiveApp
from tests.support.paths import REPO_ROOT

REPO_FLAG_FILE = REPO_ROOT / "deploy" / "flags" / "flags.json"
# Short, so a test waits a fraction of a second for an edit to be in force.
TEST_POLL_INTERVAL_MS = 50


def repo_flags() -> dict[str, Any]:
    """The repo's flag file, parsed: a fresh copy each call."""
    return json.loads(REPO_FLAG_FILE.read_text())


def with_flag(document: dict[str, Any], key: str, **changes: Any) -> dict[str, Any]:
    """A copy of `document` with flag `key`'s fields changed (a value of None removes the field)."""
    changed = copy.deepcopy(document)
    flag = changed["flags"][key]
    for field, value in changes.items():
        if value is None:
            flag.pop(field, None)
        else:
            flag[field] = value
    return changed


def flag_file_write(path: Path, content: dict[str, Any] | bytes) -> None:
    """Replaces the file in one step (a new file renamed over it), as editors and config tools do."""
    data = content if isinstance(content, bytes) else json.dumps(content, indent=2).encode()
    scratch = path.with_name(f".{path.name}.tmp")
    scratch.write_bytes(data)
    scratch.replace(path)


def served_flags_edit(
    app: LiveApp, path: Path, content: dict[str, Any] | bytes, *, expect: str = LOADED, timeout: float = 15
) -> float:
    """Writes a served app's flag file and waits until the app logs `expect` for it; returns how long that took."""

    def logged() -> int:
        return sum(1 for line in app.log_lines() if line.startswith("{") and json.loads(line)["message"] == expect)

    before = logged()
    written = time.monotonic()
    flag_file_write(path, content)
    while logged() == before:
        assert time.monotonic() - written < timeout, f"the app never logged {expect!r}"
        time.sleep(0.01)
    return time.monotonic() - written


@contextmanager
def flags_running(path: Path) -> Iterator[FlagFile]:
    """The app's flags started in this process on `path`; the in-code defaults again afterwards."""
    flag_file = flags.start(path, poll_interval_ms=TEST_POLL_INTERVAL_MS)
    try:
        yield flag_file
    finally:
        flags.stop()


@dataclass(frozen=True)
class FlagSwitch:
    """The flags of this process, on a file a test rewrites."""

    flag_file: FlagFile

    def put(self, document: dict[str, Any]) -> None:
        """Writes `document` and puts it in force now (without waiting for the watch)."""
        flag_file_write(self.flag_file.path, document)
        self.flag_file.load()

    def change(self, key: str, **changes: Any) -> None:
        """The repo's flags with one flag changed, in force now."""
        self.put(with_flag(repo_flags(), key, **changes))
