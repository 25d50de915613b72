"""The load an experiment keeps on the app while its fault is on: a steady arrival rate of who
am I, the newest page, a small upload (each acknowledged one written to the ledger at once) and
the download of an acknowledged upload, byte for byte. Every request is recorded with its
start, end and outcome, so that `timeline.judge` can say what the fault did and for how long.

Bounded in count and time: `seconds` times `rate` requests, each within api.TIMEOUT_SECONDS.
"""

import json
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import cycle
from typing import Any, Final

import requests

from ci.experiments.api import Api, ApiError, RunFiles, md5_b64, unique_text
from ci.experiments.timeline import Request

FLOWS: Final = ("me", "list", "upload", "download")
MAX_IN_FLIGHT: Final = 64
REFUSED: Final = "refused"


def _failure_kind(error: Exception) -> str:
    if isinstance(error, requests.ConnectionError) and "refused" in str(error).lower():
        return REFUSED
    if isinstance(error, requests.Timeout):
        return "timeout"
    if isinstance(error, requests.ConnectionError):
        return "connection lost"
    return type(error).__name__


class _Load:
    def __init__(self, api: Api, files: RunFiles) -> None:
        self.api = api
        self.files = files
        self.records: list[Request] = []
        self.acknowledged: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def _acknowledge(self, file_id: str, data: bytes) -> None:
        entry = {"id": file_id, "md5": md5_b64(data), "size": len(data)}
        with self.lock:
            self.acknowledged.append(entry)
            with self.files.ledger.open("a") as ledger:
                ledger.write(json.dumps(entry) + "\n")

    def _call(self, flow: str) -> requests.Response | None:
        if flow == "me":
            return self.api.get("/api/v1/me")
        if flow == "list":
            return self.api.get("/api/v1/files", params={"limit": "5"})
        if flow == "upload":
            data = unique_text()
            response = self.api.upload(data)
            if response.status_code == 201:
                self._acknowledge(response.json()["id"], data)
            return response
        with self.lock:
            chosen = random.choice(self.acknowledged) if self.acknowledged else None  # noqa: S311
        if chosen is None:
            return self.api.get("/api/v1/me")
        link = self.api.get(f"/api/v1/files/{chosen['id']}/download", allow_redirects=False)
        if link.status_code != 302:
            return link
        served = requests.get(link.headers["Location"], headers={"Connection": "close"}, timeout=15)
        if served.status_code == 200 and md5_b64(served.content) != chosen["md5"]:
            raise ApiError(f"{chosen['id']}: the bytes changed")
        return served

    def one(self, flow: str) -> None:
        start = time.time()
        try:
            response = self._call(flow)
        except (requests.RequestException, ApiError) as error:
            record = Request(flow=flow, start=start, end=time.time(), error=_failure_kind(error))
        else:
            assert response is not None  # noqa: S101 - every flow answers
            code = None
            if response.status_code >= 400 and "json" in response.headers.get("content-type", ""):
                code = response.json().get("code")
            record = Request(flow=flow, start=start, end=time.time(), status=response.status_code, code=code)
        with self.lock:
            self.records.append(record)


def run(
    base_url: str, secrets: dict[str, str], work_dir: str, experiment: str, seconds: float, rate: float
) -> dict[str, Any]:
    """Keeps `rate` requests a second on the app for `seconds`, then writes what happened."""
    files = RunFiles.of(work_dir, experiment)
    files.requests.unlink(missing_ok=True)
    load = _Load(Api(base_url, secrets["api_token"]), files)
    flows = cycle(FLOWS)
    started = time.monotonic()
    with ThreadPoolExecutor(MAX_IN_FLIGHT, thread_name_prefix="load") as pool:
        sent = 0
        while (elapsed := time.monotonic() - started) < seconds:
            due = int(elapsed * rate) + 1
            while sent < due:
                pool.submit(load.one, next(flows))
                sent += 1
            time.sleep(min(1 / rate, 0.05))
    records = sorted(load.records, key=lambda record: record.start)
    payload = [record.__dict__ for record in records]
    files.requests.write_text(json.dumps(payload))
    return {"requests": len(records), "acknowledged_uploads": len(load.acknowledged)}
