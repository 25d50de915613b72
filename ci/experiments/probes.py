"""The experiments' probes (Chaos Toolkit's Python provider): the steady state, what a client
must see while a fault is on, and the verdict on the load. A probe that finds the service
wrong raises `ActivityFailed` naming what, so the journal says it in words.

Functions take `secrets` (the API token, from `secrets.app`) and plain arguments, which the
experiment files fill from their configuration.
"""

import json
import logging
import os
import subprocess
import tempfile
import time
import uuid
from typing import Any, Final

import requests
from chaoslib.exceptions import ActivityFailed

from ci import loadtest
from ci.experiments.api import Api, ApiError, RunFiles, expect, md5_b64, unique_text
from ci.experiments.timeline import Expectation, Request, judge

logger = logging.getLogger("chaostoolkit")

# The k6 burst's own bound, beside its duration.
K6_GRACE_SECONDS: Final = 60
POLL_SECONDS: Final = 0.1

ERROR_ROUND_TRIP: Final = "the bytes read back are not the bytes uploaded"
ERROR_K6: Final = "k6 stopped before a verdict (exit {code}): {output}"
ERROR_LOST: Final = "{lost} of {total} acknowledged uploads are not listed or not intact: {which}"
ERROR_ANSWER: Final = "{method} {path} answered {status} {code} in {ms:.0f} ms; expected {want_status} {want_code}"
ERROR_SLOW: Final = "{method} {path} answered in {ms:.0f} ms; expected within {limit} ms"
ERROR_READINESS: Final = (
    "/readyz answered {status} {body} in {seconds:.2f} s; expected 503 naming {failed} within {limit} s"
)
ERROR_NOT_BACK: Final = "not serving normally {limit} s after the fault was removed: {last}"
ERROR_NO_LOAD: Final = "the load wrote no record within {seconds} s"
ERROR_BREACHES: Final = "the fault did what it must not: {breaches} (figures: {figures})"


def _api(base_url: str, secrets: dict[str, str]) -> Api:
    return Api(base_url, secrets["api_token"])


def round_trip(base_url: str, secrets: dict[str, str]) -> bool:
    """Uploads a small file, reads it back through its signed URL, byte for byte, and deletes it."""
    api = _api(base_url, secrets)
    data = unique_text()
    try:
        file_id = expect(api.upload(data), 201).json()["id"]
        if api.download(file_id) != data:
            raise ActivityFailed(ERROR_ROUND_TRIP)
        api.delete(file_id)
    except (ApiError, requests.RequestException) as error:
        raise ActivityFailed(str(error)) from error
    return True


def k6_burst(
    base_url: str, secrets: dict[str, str], work_dir: str, experiment: str, seconds: int, rate: int, k6: str = "k6"
) -> float:
    """The share of requests that failed in a short burst of ci/k6/probe.js (round trips: who am
    I, a page, upload, read, link, delete); its summary stays in the run's directory."""
    files = RunFiles.of(work_dir, experiment)
    summary_path = files.directory / f"k6-{uuid.uuid4().hex[:8]}.json"
    command = loadtest.run_command(
        str(loadtest.K6_DIR / loadtest.script("probe")), summary_path=str(summary_path), k6=k6
    )
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": tempfile.gettempdir(),
        "BASE_URL": base_url,
        "API_TOKEN": secrets["api_token"],
        "PROBE_DURATION": f"{seconds}s",
        "PROBE_RATE": str(rate),
        "MAX_ERROR_RATE": "0",
    }
    result = subprocess.run(  # noqa: S603 - k6 with arguments built here
        list(command),
        env=environment,
        capture_output=True,
        text=True,
        timeout=seconds + K6_GRACE_SECONDS,
        check=False,
    )
    if result.returncode not in (loadtest.EXIT_PASSED, loadtest.EXIT_THRESHOLDS_FAILED) or not summary_path.exists():
        raise ActivityFailed(ERROR_K6.format(code=result.returncode, output=(result.stdout + result.stderr)[-1500:]))
    return loadtest.error_rate(json.loads(summary_path.read_text()))


def acknowledged_uploads_intact(base_url: str, secrets: dict[str, str], work_dir: str, experiment: str) -> int:
    """How many uploads the API acknowledged in this run (the ledger) are not listed, or do not
    read back as the bytes sent: 0 when none was lost."""
    files = RunFiles.of(work_dir, experiment)
    if not files.ledger.exists():
        return 0
    ledger = [json.loads(line) for line in files.ledger.read_text().splitlines()]
    api = _api(base_url, secrets)
    try:
        listed = {file["id"]: file for file in api.ready_files()}
    except (ApiError, requests.RequestException) as error:
        raise ActivityFailed(str(error)) from error
    lost: list[str] = []
    for entry in ledger:
        try:
            if entry["id"] not in listed or md5_b64(api.download(entry["id"])) != entry["md5"]:
                lost.append(entry["id"])
        except (ApiError, requests.RequestException):
            lost.append(entry["id"])
    if lost:
        logger.error(ERROR_LOST.format(lost=len(lost), total=len(ledger), which=", ".join(lost[:10])))
    return len(lost)


def answers_problem(
    base_url: str,
    secrets: dict[str, str],
    path: str,
    status: int,
    code: str,
    within_ms: int,
    method: str = "GET",
) -> dict[str, Any]:
    """One request answers `status` with the problem `code` (and Retry-After for a 503), within `within_ms`."""
    api = _api(base_url, secrets)
    started = time.monotonic()
    response = api.upload(unique_text()) if method == "UPLOAD" else api.get(path)
    ms = (time.monotonic() - started) * 1000
    got_code = response.json().get("code") if "json" in response.headers.get("content-type", "") else None
    if response.status_code != status or got_code != code or (status == 503 and "Retry-After" not in response.headers):
        raise ActivityFailed(
            ERROR_ANSWER.format(
                method=method,
                path=path,
                status=response.status_code,
                code=got_code,
                ms=ms,
                want_status=status,
                want_code=code,
            )
        )
    if ms > within_ms:
        raise ActivityFailed(ERROR_SLOW.format(method=method, path=path, ms=ms, limit=within_ms))
    return {"status": response.status_code, "code": got_code, "ms": round(ms, 1)}


def readiness_names(base_url: str, failed: list[str], within_s: float) -> dict[str, Any]:
    """`/readyz` answers 503 naming exactly `failed`, within `within_s`."""
    started = time.monotonic()
    response = requests.get(f"{base_url}/readyz", timeout=within_s + 5)
    seconds = time.monotonic() - started
    body: Any = response.json() if "json" in response.headers.get("content-type", "") else {}
    if response.status_code != 503 or seconds > within_s or body.get("failed") != failed:
        raise ActivityFailed(
            ERROR_READINESS.format(
                status=response.status_code, body=body, seconds=seconds, failed=failed, limit=within_s
            )
        )
    return {"failed": body["failed"], "seconds": round(seconds, 2)}


def service_back(base_url: str, secrets: dict[str, str], work_dir: str, experiment: str, within_s: float) -> float:
    """Seconds from the fault's removal until the app serves normally again (ready, a page, an
    upload); fails past `within_s`."""
    api = _api(base_url, secrets)
    removed_at = RunFiles.of(work_dir, experiment).marks().get("fault-removed", time.time())
    last = "nothing tried"
    while time.time() - removed_at <= within_s:
        try:
            expect(requests.get(f"{base_url}/readyz", timeout=5), 200)
            expect(api.get("/api/v1/files", params={"limit": "1"}), 200)
            file_id = expect(api.upload(unique_text()), 201).json()["id"]
            api.delete(file_id)
        except (ApiError, requests.RequestException) as error:
            last = str(error)[:300]
            time.sleep(POLL_SECONDS)
            continue
        return round(time.time() - removed_at, 2)
    raise ActivityFailed(ERROR_NOT_BACK.format(limit=within_s, last=last))


def load_verdict(
    work_dir: str,
    experiment: str,
    codes: list[str] | None = None,
    transport: str = "never",
    max_failed_ms: float | None = None,
    max_p99_ms: float | None = None,
    recovery_within_s: float | None = None,
    wait_s: float = 120,
) -> dict[str, Any]:
    """Waits for the load to end, then judges it (ci/experiments/timeline.py): the figures, or
    `ActivityFailed` naming each breach."""
    files = RunFiles.of(work_dir, experiment)
    deadline = time.monotonic() + wait_s
    while not files.requests.exists():
        if time.monotonic() > deadline:
            raise ActivityFailed(ERROR_NO_LOAD.format(seconds=wait_s))
        time.sleep(POLL_SECONDS)
    records = [Request.from_json(entry) for entry in json.loads(files.requests.read_text())]
    expectation = Expectation(
        codes=frozenset(codes or ()),
        transport=transport,
        max_failed_ms=max_failed_ms,
        max_p99_ms=max_p99_ms,
        recovery_within_s=recovery_within_s,
    )
    figures = judge(records, files.marks(), expectation)
    if figures.breaches:
        raise ActivityFailed(
            ERROR_BREACHES.format(breaches="; ".join(figures.breaches), figures=json.dumps(figures.as_json()))
        )
    return figures.as_json()
