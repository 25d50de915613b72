"""`python -m autoscaler [--interval S] [--dry-run] [--metrics-port N]`: the loop until SIGTERM."""

import argparse
import signal
import sys
import threading
import time
from collections.abc import Sequence
from types import FrameType
from typing import Final

from .controller import Autoscaler
from .events import EventLog
from .metrics import Metrics, metrics_server
from .swarm import ENGINE_ERRORS, Swarm

DEFAULT_INTERVAL_SECONDS: Final = 15.0
DEFAULT_METRICS_PORT: Final = 9464
# /healthz turns unhealthy once no loop has completed for this many intervals.
STALE_AFTER_INTERVALS: Final = 3


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 3600 seconds, got {value}")
    return value


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="python -m autoscaler",
        description="Scale Swarm services that opt in with autoscale.* labels, from their tasks' CPU.",
    )
    cli.add_argument("--interval", type=_positive_seconds, default=DEFAULT_INTERVAL_SECONDS, help="seconds per loop")
    cli.add_argument("--dry-run", action="store_true", help="decide and log, change nothing")
    cli.add_argument("--metrics-host", default="127.0.0.1", help="address for /metrics and /healthz")
    cli.add_argument("--metrics-port", type=int, default=DEFAULT_METRICS_PORT, help="port for /metrics and /healthz")
    return cli


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parser().parse_args(argv)
    events = EventLog()
    metrics = Metrics()
    autoscaler = Autoscaler(Swarm.from_environment(), dry_run=arguments.dry_run, metrics=metrics, events=events)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    events.write("started", interval_seconds=arguments.interval, dry_run=arguments.dry_run)
    with metrics_server(
        metrics,
        host=arguments.metrics_host,
        port=arguments.metrics_port,
        max_loop_age_seconds=arguments.interval * STALE_AFTER_INTERVALS,
    ):
        while not stop.is_set():
            started = time.monotonic()
            try:
                autoscaler.run_once()
            except ENGINE_ERRORS as error:
                # The Engine is away (restarting, or a manager without quorum): try again next loop.
                metrics.inc("autoscaler_loop_errors_total")
                events.write("loop_failed", level="error", error=str(error))
            stop.wait(max(0.0, arguments.interval - (time.monotonic() - started)))
    events.write("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
