"""Cold start: `app serve` spawn to first 200 next to a bare uvicorn hello-world, alternating.

    uv run python -m tests.benchmarks.cold_start [--rounds 5]

Compiles the app's and the environment's bytecode first (as the image does),
then in each round spawns `app serve` (embedded mode, migrations skipped as in
production) and `uvicorn tests.benchmarks.hello:app`, polls each for its first
200, and stops it. Prints both times per round, the ratio, and the medians.
"""

import argparse
import compileall
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Sequence

import httpx

from tests.support.paths import REPO_ROOT
from tests.support.ports import free_port


def spawn_to_first_200(argv: Sequence[str], port: int, env: dict[str, str] | None = None) -> float:
    started = time.monotonic()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    return time.monotonic() - started
            except httpx.TransportError:
                if process.poll() is not None:
                    raise RuntimeError(f"{argv} exited with {process.returncode}") from None
                time.sleep(0.01)
    finally:
        process.terminate()
        process.wait(timeout=10)


def app_serve(port: int) -> list[str]:
    return [sys.executable, "-m", "app", "serve", "--port", str(port), "--no-migrate"]


def bare_hello(port: int) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", "tests.benchmarks.hello:app", "--port", str(port),
        "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--lifespan", "off", "--log-level", "warning",
    ]  # fmt: skip


def compare(rounds: int) -> list[tuple[float, float]]:
    compileall.compile_dir(REPO_ROOT / "app", quiet=1)
    compileall.compile_dir(sysconfig.get_paths()["purelib"], quiet=1)
    env = {"APP_VAR_DIR": tempfile.mkdtemp(prefix="cold-start-"), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-m", "app", "migrate", "-v", "0"], env=env, check=True)
    pairs: list[tuple[float, float]] = []
    for _ in range(rounds):
        app_port, bare_port = free_port(), free_port()
        pairs.append(
            (
                spawn_to_first_200(app_serve(app_port), app_port, env),
                spawn_to_first_200(bare_hello(bare_port), bare_port),
            )
        )
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    pairs = compare(parser.parse_args(argv).rounds)
    print("round  app serve s  bare uvicorn s  ratio")
    for number, (app, bare) in enumerate(pairs, 1):
        print(f"{number:5d} {app:12.2f} {bare:15.2f} {app / bare:6.2f}")
    apps, bares = [a for a, _ in pairs], [b for _, b in pairs]
    print(
        f"median: app serve {statistics.median(apps):.2f} s, bare uvicorn {statistics.median(bares):.2f} s, "
        f"ratio {statistics.median(a / b for a, b in pairs):.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
