"""The k6 scenarios as plain data: which exist, the command that runs one, what its exit status
and its summary say, and the settings of the app it runs against.

No Dagger here: the `perf` pipeline (ci/perf.py), the test suite and a chaos experiment's probe
share it.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

K6_DIR: Final = Path(__file__).resolve().parent / "k6"
# Each is ci/k6/<name>.js; `probe` is the short burst a chaos experiment runs as its probe.
SCENARIOS: Final = ("smoke", "load", "stress", "spike", "soak", "probe")
# The per-request tag the scripts set; its values are the flows of ci/k6/slo.js.
FLOW_TAG: Final = "flow"

# k6's exit statuses: every threshold held; a threshold was crossed (with or without abortOnFail).
EXIT_PASSED: Final = 0
EXIT_THRESHOLDS_FAILED: Final = 99

ERROR_THRESHOLDS: Final = "k6 {scenario}: thresholds crossed (exit 99): {names}"
ERROR_K6: Final = "k6 {scenario} stopped before a verdict (exit {code}): its output is above"
ERROR_TARGET: Final = "--target must be an http(s) URL with a host, not {target!r}"
ERROR_SCENARIO: Final = "unknown scenario {scenario!r}; one of {names}"


def script(scenario: str) -> str:
    """The script of a scenario, relative to ci/k6/."""
    if scenario not in SCENARIOS:
        raise ValueError(ERROR_SCENARIO.format(scenario=scenario, names=", ".join(SCENARIOS)))
    return f"{scenario}.js"


def run_command(script_path: str, *, summary_path: str, k6: str = "k6") -> tuple[str, ...]:
    """`k6 run`: no progress lines, no usage report sent, the end-of-test summary also as JSON."""
    return (k6, "run", "--quiet", "--no-usage-report", "--summary-export", summary_path, script_path)


def target_check(target: str) -> str:
    """The target URL without a trailing slash; raises ValueError unless it is http(s) with a host."""
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(ERROR_TARGET.format(target=target))
    return target.rstrip("/")


def crossed_thresholds(summary: Mapping[str, Any]) -> list[str]:
    """`metric: expression` for every threshold the run crossed, from a `--summary-export` file.

    In that format each threshold maps to whether it failed.
    """
    crossed: list[str] = []
    for name, metric in sorted(summary.get("metrics", {}).items()):
        for expression, failed in sorted(metric.get("thresholds", {}).items()):
            if failed:
                crossed.append(f"{name}: {expression}")
    return crossed


def verdict(scenario: str, exit_code: int, summary: Mapping[str, Any] | None) -> str | None:
    """None when the run passed, else why it failed."""
    if exit_code == EXIT_PASSED:
        return None
    if exit_code == EXIT_THRESHOLDS_FAILED and summary is not None:
        return ERROR_THRESHOLDS.format(scenario=scenario, names="; ".join(crossed_thresholds(summary)))
    return ERROR_K6.format(scenario=scenario, code=exit_code)


def error_rate(summary: Mapping[str, Any]) -> float:
    """The share of requests that failed (k6's `http_req_failed`), 0 when none were made."""
    failed = summary.get("metrics", {}).get("http_req_failed")
    return float(failed["value"]) if failed else 0.0


@dataclass(frozen=True)
class FlowFigures:
    """One flow's requests and latency percentiles (milliseconds) in a run."""

    flow: str
    requests: int
    p95_ms: float
    p99_ms: float


def flow_figures(summary: Mapping[str, Any]) -> list[FlowFigures]:
    """Per flow, from the `http_req_duration{flow:...}` submetrics the thresholds name."""
    prefix = f"http_req_duration{{{FLOW_TAG}:"
    figures: list[FlowFigures] = []
    for name, metric in sorted(summary.get("metrics", {}).items()):
        if name.startswith(prefix) and name.endswith("}") and "," not in name:
            figures.append(
                FlowFigures(
                    flow=name.removeprefix(prefix).removesuffix("}"),
                    requests=int(metric["count"]),
                    p95_ms=float(metric["p(95)"]),
                    p99_ms=float(metric["p(99)"]),
                )
            )
    return figures


def report(summary: Mapping[str, Any]) -> str:
    """A short table: requests/s, failures, checks, then p95 and p99 per flow."""
    metrics = summary.get("metrics", {})
    requests = metrics.get("http_reqs", {})
    checks = metrics.get("checks", {})
    lines = [
        f"requests: {int(requests.get('count', 0))} ({float(requests.get('rate', 0)):.1f}/s), "
        f"failed: {error_rate(summary):.2%}, checks passed: {float(checks.get('value', 0)):.2%}",
        f"{'flow':<16} {'requests':>8} {'p95 ms':>8} {'p99 ms':>8}",
    ]
    lines += [
        f"{row.flow:<16} {row.requests:>8} {row.p95_ms:>8.1f} {row.p99_ms:>8.1f}" for row in flow_figures(summary)
    ]
    return "\n".join(lines)


def app_environment(
    *, database_url: str, storage_emulator_host: str, bucket: str, signing_key_file: str, allowed_host: str
) -> dict[str, str]:
    """The production image's settings against Postgres and the GCS emulator, without TLS.

    DJANGO_SECRET_KEY is not here: it is a secret of its own.
    """
    return {
        "DJANGO_ENV": "production",
        "DJANGO_ALLOWED_HOSTS": allowed_host,
        # k6 speaks plain HTTP to the app, as a TLS-terminating proxy would.
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url,
        "GCS_BUCKET": bucket,
        "GCS_PROJECT": "perf",
        "STORAGE_EMULATOR_HOST": storage_emulator_host,
        "GCS_SIGNING_KEY_FILE": signing_key_file,
        # Production needs one way to sign in; nobody signs in during a load test.
        "ALLOW_PASSWORD_LOGIN": "true",
    }
