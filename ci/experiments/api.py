"""The few API calls the probes and the load make, with `requests` (Chaos Toolkit's own HTTP
client, so the runner's environment needs nothing more), and where a run keeps its files."""

import base64
import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import requests

# Every call is bounded: a probe or the load never hangs on a hung service.
TIMEOUT_SECONDS: Final = 15.0
UPLOAD_PREFIX: Final = "chaos-"

ERROR_ANSWER: Final = "{method} {path}: {status} {body}"
ERROR_BYTES: Final = "{file_id}: the download is not the bytes uploaded (MD5 {got}, uploaded {want})"


class ApiError(Exception):
    """An answer other than the one expected; the message says which."""


@dataclass(frozen=True)
class RunFiles:
    """Where one experiment's run keeps its files, under the work directory."""

    directory: Path

    @classmethod
    def of(cls, work_dir: str, experiment: str) -> "RunFiles":
        directory = Path(work_dir) / experiment
        directory.mkdir(parents=True, exist_ok=True)
        return cls(directory)

    @property
    def requests(self) -> Path:
        """What the load did, written once it is over."""
        return self.directory / "requests.json"

    @property
    def events(self) -> Path:
        """When the fault started and ended, one JSON object a line."""
        return self.directory / "events.jsonl"

    @property
    def ledger(self) -> Path:
        """Every upload the API acknowledged, one JSON object a line, as it was acknowledged."""
        return self.directory / "ledger.jsonl"

    def mark(self, event: str) -> None:
        with self.events.open("a") as out:
            out.write(json.dumps({"event": event, "at": time.time()}) + "\n")

    def marks(self) -> dict[str, float]:
        if not self.events.exists():
            return {}
        lines = self.events.read_text().splitlines()
        return {entry["event"]: entry["at"] for entry in map(json.loads, lines)}


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()


def unique_text() -> bytes:
    return f"chaos {uuid.uuid4()}\n".encode()


def expect(response: requests.Response, *statuses: int) -> requests.Response:
    if response.status_code not in statuses:
        request = response.request
        path = (request.path_url if request else "?").split("?")[0]
        raise ApiError(
            ERROR_ANSWER.format(
                method=request.method if request else "?",
                path=path,
                status=response.status_code,
                body=response.text[:300],
            )
        )
    return response


class Api:
    """A signed-in client of one app; no connection is kept between calls, so each request
    stands alone (a killed worker can fail only what it was serving)."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {token}", "Connection": "close"}

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(f"{self.base_url}{path}", headers=self.headers, timeout=TIMEOUT_SECONDS, **kwargs)

    def upload(self, data: bytes) -> requests.Response:
        name = f"{UPLOAD_PREFIX}{uuid.uuid4().hex[:12]}.txt"
        return requests.post(
            f"{self.base_url}/api/v1/files",
            headers=self.headers,
            files={"file": (name, data, "text/plain")},
            timeout=TIMEOUT_SECONDS,
        )

    def download(self, file_id: str) -> bytes:
        """The file's bytes, through the signed URL the API redirects to."""
        link = expect(self.get(f"/api/v1/files/{file_id}/download", allow_redirects=False), 302)
        served = requests.get(link.headers["Location"], headers={"Connection": "close"}, timeout=TIMEOUT_SECONDS)
        return expect(served, 200).content

    def delete(self, file_id: str) -> None:
        requests.delete(f"{self.base_url}/api/v1/files/{file_id}", headers=self.headers, timeout=TIMEOUT_SECONDS)

    def ready_files(self) -> list[dict[str, Any]]:
        """Every file listed, page by page."""
        files: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params = {"limit": "100", **({"cursor": cursor} if cursor else {})}
            page = expect(self.get("/api/v1/files", params=params), 200).json()
            files += page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return files
