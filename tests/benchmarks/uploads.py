"""Uploads in embedded mode next to a plain copy of the same file on the same disk.

    uv run python -m tests.benchmarks.uploads [--mib 256] [--small-mib 10] [--rounds 3]

Starts the app (`app serve`, one worker, embedded mode: SQLite, files under
its var/media) and, in alternating rounds on the same disk:

- the floor: `cp` of the file and `sync` of the copy (the bytes written durably);
- the direct upload: `POST /api/v1/uploads`, `curl -T` of the file to the
  signed URL, `POST .../complete`;
- the small upload: `curl -F` of a smaller file to `POST /api/v1/files`,
  next to `cp` + `sync` of that file.

Prints each one's MB/s, the uploads' ratio to their floor (median of the
rounds), and how much the worker's peak RSS grew over the run. The machine is
shared: only ratios from one run mean anything.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.live_app import LiveApp, live_app, live_app_env

MIB = 1024 * 1024
# The aim the hardening issue sets for the direct upload: at least half of cp + sync.
AIM_DIRECT_RATIO = 0.5
# Letters only, so that completion sniffs the content as the text/plain it is declared.
_LETTERS = bytes((ord("a") + byte % 26) for byte in range(256))


class MissingTool(Exception):
    """A benchmark prerequisite is not installed."""


@dataclass(frozen=True)
class Round:
    floor_seconds: float
    direct_seconds: float
    small_floor_seconds: float
    small_seconds: float


@dataclass(frozen=True)
class Result:
    mib: int
    small_mib: int
    rounds: list[Round]
    rss_growth_mib: float

    def _ratio(self, floor: Callable[[Round], float], upload: Callable[[Round], float]) -> float:
        return statistics.median(floor(r) / upload(r) for r in self.rounds)

    @property
    def direct_ratio(self) -> float:
        return self._ratio(lambda r: r.floor_seconds, lambda r: r.direct_seconds)

    @property
    def small_ratio(self) -> float:
        return self._ratio(lambda r: r.small_floor_seconds, lambda r: r.small_seconds)

    def report(self) -> str:
        def rate(mib: int, seconds: float) -> str:
            return f"{mib * MIB / seconds / 1e6:9.1f}"

        lines = [f"MB/s per round: {self.mib} MiB direct, {self.small_mib} MiB small (each next to cp + sync)"]
        lines.append("round   cp+sync    direct   cp+sync     small")
        for number, r in enumerate(self.rounds, 1):
            lines.append(
                f"{number:5d} {rate(self.mib, r.floor_seconds)} {rate(self.mib, r.direct_seconds)} "
                f"{rate(self.small_mib, r.small_floor_seconds)} {rate(self.small_mib, r.small_seconds)}"
            )
        lines.append(
            f"direct upload / cp+sync, median of {len(self.rounds)} rounds: {self.direct_ratio:.2f} "
            f"(aim >= {AIM_DIRECT_RATIO}); small upload / cp+sync: {self.small_ratio:.2f}"
        )
        lines.append(f"worker peak RSS grew by {self.rss_growth_mib:.1f} MiB over the run")
        return "\n".join(lines)


def _text_file(path: Path, mib: int) -> Path:
    with path.open("wb") as out:
        for _ in range(mib):
            out.write(os.urandom(MIB).translate(_LETTERS))
    return path


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _copy_and_sync(source: Path, target: Path) -> None:
    subprocess.run(["cp", str(source), str(target)], check=True)
    subprocess.run(["sync", str(target)], check=True)
    target.unlink()


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


class _Uploads:
    def __init__(self, app: LiveApp) -> None:
        self.app = app
        self.auth = {"Authorization": f"Bearer {app.token}"}

    def direct(self, path: Path) -> None:
        started = httpx.post(
            f"{self.app.base_url}/api/v1/uploads",
            json={"filename": "bench.txt", "size": path.stat().st_size, "content_type": "text/plain"},
            headers=self.auth,
        )
        started.raise_for_status()
        target = started.json()
        put = ("curl", "-sS", "-f", "-o", "/dev/null", "-T", str(path), "-H", "Content-Type: text/plain")
        subprocess.run([*put, target["upload_url"]], check=True)
        completed = httpx.post(f"{self.app.base_url}/api/v1/uploads/{target['id']}/complete", headers=self.auth)
        completed.raise_for_status()
        self._delete(target["id"])

    def small(self, path: Path) -> None:
        post = ("curl", "-sS", "-f", "-H", f"Authorization: Bearer {self.app.token}")
        out = subprocess.run(
            [*post, "-F", f"file=@{path};type=text/plain", f"{self.app.base_url}/api/v1/files"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        self._delete(httpx.Response(201, content=out).json()["id"])

    def _delete(self, file_id: str) -> None:
        httpx.delete(f"{self.app.base_url}/api/v1/files/{file_id}", headers=self.auth).raise_for_status()


@contextmanager
def _served(mib: int) -> Iterator[LiveApp]:
    env = live_app_env(
        None, {"ACCESS_LOG": "0", "FILES_MAX_BYTES": str(max(mib, 1) * MIB), "FILES_QUOTA_BYTES": str(4 * mib * MIB)}
    )
    with live_app(env) as app:
        yield app


def measure(*, mib: int, small_mib: int, rounds: int) -> Result:
    """Alternating rounds of copy and upload, on the served app's own disk."""
    for tool in ("curl", "cp", "sync"):
        if shutil.which(tool) is None:
            raise MissingTool(f"{tool} is not installed")
    with _served(max(mib, small_mib)) as app:
        work = Path(tempfile.mkdtemp(prefix="bench-", dir=Path(app.log_path).parent))
        big, little = _text_file(work / "big.txt", mib), _text_file(work / "small.txt", small_mib)
        uploads = _Uploads(app)
        uploads.direct(little)  # warm: first request, first file, tables in the page cache
        rss_before = _peak_rss_mib(app.process.pid)
        measured = [
            Round(
                floor_seconds=_timed(lambda: _copy_and_sync(big, work / "copy")),
                direct_seconds=_timed(lambda: uploads.direct(big)),
                small_floor_seconds=_timed(lambda: _copy_and_sync(little, work / "copy")),
                small_seconds=_timed(lambda: uploads.small(little)),
            )
            for _ in range(rounds)
        ]
        rss_growth = _peak_rss_mib(app.process.pid) - rss_before
        shutil.rmtree(work)
    return Result(mib=mib, small_mib=small_mib, rounds=measured, rss_growth_mib=rss_growth)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mib", type=int, default=256, help="size of the direct upload")
    parser.add_argument("--small-mib", type=int, default=10, help="size of the small upload (at most 10 by default)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    try:
        result = measure(mib=args.mib, small_mib=args.small_mib, rounds=args.rounds)
    except MissingTool as missing:
        print(missing, file=sys.stderr)
        return 2
    print(result.report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
