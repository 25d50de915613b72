"""The autoscaler's own metrics in Prometheus' text format, and its health, over HTTP.

`GET /metrics` for a scraper; `GET /healthz` answers 200 while loops keep completing
(the stack's healthcheck), 503 once the last one is older than three intervals.
"""

import json
import math
import threading
import time
from collections.abc import Callable, Generator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Final

Labels = tuple[tuple[str, str], ...]

CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"
# name: (type, help)
FAMILIES: Final[dict[str, tuple[str, str]]] = {
    "autoscaler_loops_total": ("counter", "Loops over the opted-in services."),
    "autoscaler_loop_errors_total": ("counter", "Loops that failed (the Engine did not answer)."),
    "autoscaler_last_loop_timestamp_seconds": ("gauge", "When the last loop finished (Unix time)."),
    "autoscaler_decisions_total": ("counter", "Decisions by service and action (up, down, hold)."),
    "autoscaler_scaled_total": ("counter", "Replica changes applied, by service and direction."),
    "autoscaler_conflicts_total": ("counter", "Updates refused as out of sequence, then retried."),
    "autoscaler_service_errors_total": ("counter", "Services skipped: a bad label or an Engine error."),
    "autoscaler_replicas": ("gauge", "Replicas the service has."),
    "autoscaler_desired_replicas": ("gauge", "Replicas the last decision asked for."),
    "autoscaler_load_percent": ("gauge", "Mean CPU of the service's tasks, percent of their limit (NaN: unknown)."),
    "autoscaler_tasks_sampled": ("gauge", "Tasks whose CPU made the last load figure."),
}


class Metrics:
    """Counters and gauges by name and labels; thread-safe, rendered on each scrape."""

    def __init__(self) -> None:
        self._values: dict[str, dict[Labels, float]] = {name: {} for name in FAMILIES}
        self._lock = threading.Lock()

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        key = _labels(labels)
        with self._lock:
            family = self._values[name]
            family[key] = family.get(key, 0.0) + amount

    def set(self, name: str, value: float, **labels: str) -> None:
        with self._lock:
            self._values[name][_labels(labels)] = value

    def value(self, name: str, **labels: str) -> float | None:
        with self._lock:
            return self._values[name].get(_labels(labels))

    def render(self) -> str:
        lines: list[str] = []
        with self._lock:
            for name, (kind, help_text) in FAMILIES.items():
                lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
                for labels, value in sorted(self._values[name].items()):
                    lines.append(f"{name}{_format_labels(labels)} {_format_value(value)}")
        return "\n".join(lines) + "\n"


def _labels(labels: dict[str, str]) -> Labels:
    return tuple(sorted(labels.items()))


def _format_labels(labels: Labels) -> str:
    if not labels:
        return ""
    escaped = (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") for _, value in labels)
    return "{" + ",".join(f'{name}="{value}"' for (name, _), value in zip(labels, escaped, strict=True)) + "}"


def _format_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return repr(float(value)) if not value.is_integer() else str(int(value))


@contextmanager
def metrics_server(
    metrics: Metrics, *, host: str, port: int, max_loop_age_seconds: float, clock: Callable[[], float] = time.time
) -> Generator[ThreadingHTTPServer]:
    """Serves /metrics and /healthz on a daemon thread until the block ends."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/metrics":
                self._answer(200, CONTENT_TYPE, metrics.render())
            elif self.path == "/healthz":
                last = metrics.value("autoscaler_last_loop_timestamp_seconds")
                age = None if last is None else clock() - last
                healthy = age is not None and age <= max_loop_age_seconds
                body = json.dumps({"status": "ok" if healthy else "stale", "last_loop_age_seconds": age})
                self._answer(200 if healthy else 503, "application/json", body)
            else:
                self._answer(404, "text/plain", "not found\n")

        def _answer(self, status: int, content_type: str, body: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            """Scrapes are not news: keep stdout for decisions."""

    server = ThreadingHTTPServer((host, port), Handler)
    thread = threading.Thread(target=server.serve_forever, name="metrics", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
