"""One JSON object per line on stdout: every decision with its inputs, and every error."""

import json
import sys
from datetime import UTC, datetime
from typing import Any, TextIO


class EventLog:
    """Writes events as JSON lines, flushed at once (the Engine's log driver reads stdout)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def write(self, event: str, *, level: str = "info", **fields: Any) -> None:
        record = {"time": datetime.now(UTC).isoformat(timespec="milliseconds"), "level": level, "event": event}
        stream = self._stream or sys.stdout
        stream.write(json.dumps(record | fields, default=str) + "\n")
        stream.flush()
