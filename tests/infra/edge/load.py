"""wrk, the real load generator, and what it reports."""

import re
import signal
import subprocess
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadResult:
    requests: int
    socket_errors: int
    non_2xx_3xx: int
    output: str


def _count(pattern: str, output: str) -> int:
    found = re.search(pattern, output)
    return int(found.group(1)) if found else 0


def load_start(url: str, *, connections: int, seconds: int, headers: tuple[str, ...] = ()) -> subprocess.Popen[str]:
    """Starts wrk; `load_stop` ends it early (SIGINT makes wrk print its summary)."""
    header_args = [arg for header in headers for arg in ("-H", header)]
    return subprocess.Popen(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--timeout",
            "5s",
            *header_args,
            url,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def load_stop(process: subprocess.Popen[str]) -> LoadResult:
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=15)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return LoadResult(
        requests=_count(r"(\d+) requests in", output),
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
        non_2xx_3xx=_count(r"Non-2xx or 3xx responses: (\d+)", output),
        output=output,
    )
