"""Flags switched on the running app by editing its flag file: each flag both ways, bad files, telemetry.

One app serves the whole module (on the GCS emulator, with a Cloud CDN key and telemetry
exported to a test receiver); each test leaves the repo's flags in force again.
"""

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from app.core.problems import ProblemCode
from app.flags.flag_file import GONE, LOADED, REFUSED
from tests.infra.observability.conftest import otel_env
from tests.infra.observability.receiver import OtlpReceiver, otlp_receiver
from tests.plugin import postgres_cluster
from tests.support.flags import flag_file_write, repo_flags, served_flags_edit, with_flag
from tests.support.gcs import TEST_BUCKET, Emulator
from tests.support.live_app import LiveApp, live_app, live_app_env

CDN_BASE_URL = "https://cdn.example.com"
POLL_INTERVAL_MS = 100
CONTENT = b"hello, served flags\n"
# A wait for the app to act on an edit; it normally takes about one poll interval.
EDIT_TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class Served:
    app: LiveApp
    flag_file: Path
    receiver: OtlpReceiver

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.app.token}"}

    def log_count(self, message: str) -> int:
        return sum(
            1 for line in self.app.log_lines() if line.startswith("{") and json.loads(line)["message"] == message
        )

    def edit(self, content: dict[str, Any] | bytes, *, expect: str = LOADED) -> float:
        """Writes the flag file and waits until the app logs `expect` for it; returns how long that took."""
        return served_flags_edit(self.app, self.flag_file, content, expect=expect, timeout=EDIT_TIMEOUT_SECONDS)

    def upload(self) -> httpx.Response:
        files = {"file": ("notes.txt", CONTENT, "text/plain")}
        return httpx.post(f"{self.app.base_url}/api/v1/files", headers=self.auth(), files=files, timeout=10)

    def start(self) -> httpx.Response:
        body = {"filename": "notes.txt", "size": len(CONTENT), "content_type": "text/plain"}
        return httpx.post(f"{self.app.base_url}/api/v1/uploads", headers=self.auth(), json=body, timeout=10)

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.app.base_url}{path}", headers=self.auth(), timeout=10)


@pytest.fixture(scope="module")
def served(gcs_emulator: Emulator, gcs_signing_key: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    flag_file = tmp_path_factory.mktemp("flags") / "flags.json"
    flag_file_write(flag_file, repo_flags())
    with otlp_receiver() as receiver:
        environment = otel_env(
            receiver.url,
            FLAGS_FILE=str(flag_file),
            FLAGS_POLL_INTERVAL_MS=str(POLL_INTERVAL_MS),
            GCS_BUCKET=TEST_BUCKET,
            STORAGE_EMULATOR_HOST=gcs_emulator.url,
            GCS_SIGNING_KEY_FILE=str(gcs_signing_key),
            CDN_BASE_URL=CDN_BASE_URL,
            CDN_SIGNING_KEY_NAME="test-key",
            CDN_SIGNING_KEY="nZtRohdNF9m3cKM24IcK4w==",
            ACCESS_LOG="0",
        )
        with live_app(live_app_env(postgres_cluster(), environment)) as app:
            yield Served(app, flag_file, receiver)


@pytest.fixture
def flags(served: Served) -> Iterator[Served]:
    yield served
    if json.loads(served.flag_file.read_bytes()) != repo_flags():
        served.edit(repo_flags())


def test_uploads_enabled_pauses_uploads_and_resumes_them(flags: Served) -> None:
    kept = flags.upload().json()
    flags.edit(with_flag(repo_flags(), "uploads-enabled", defaultVariant="off"))
    for refused in (flags.upload(), flags.start()):
        assert refused.status_code == 503
        assert refused.headers["Content-Type"] == "application/problem+json"
        assert refused.headers["Retry-After"] == "300"
        assert refused.json()["code"] == ProblemCode.UPLOADS_DISABLED
    assert flags.get("/api/v1/files").status_code == 200
    assert flags.get(f"/api/v1/files/{kept['id']}/download").status_code == 302

    flags.edit(repo_flags())
    assert flags.upload().status_code == 201


def test_direct_uploads_off_points_at_post_files_and_on_goes_straight_to_storage(flags: Served) -> None:
    nobody_but_staff = {"if": [{"$ref": "is-staff"}, "on", {"fractional": [["on", 0], ["off", 100]]}]}
    flags.edit(with_flag(repo_flags(), "direct-uploads", targeting=nobody_but_staff))
    refused = flags.start()
    assert refused.status_code == 403
    assert refused.json()["code"] == ProblemCode.DIRECT_UPLOADS_DISABLED
    assert refused.json()["instead"] == "POST /api/v1/files"

    flags.edit(repo_flags())
    start = flags.start().json()
    put = httpx.put(start["upload_url"], content=CONTENT, headers=start["headers"], timeout=10)
    assert put.status_code == 200, put.text
    completed = httpx.post(f"{flags.app.base_url}/api/v1/uploads/{start['id']}/complete", headers=flags.auth())
    assert completed.json()["status"] == "ready"


def test_cdn_downloads_choose_between_cdn_and_gcs_signed_urls(flags: Served) -> None:
    file_id = flags.upload().json()["id"]
    assert flags.get(f"/api/v1/files/{file_id}/download").headers["Location"].startswith(CDN_BASE_URL)

    flags.edit(with_flag(repo_flags(), "cdn-downloads", defaultVariant="off"))
    location = flags.get(f"/api/v1/files/{file_id}/download").headers["Location"]
    assert parse_qs(urlsplit(location).query)["X-Goog-Algorithm"] == ["GOOG4-RSA-SHA256"]
    assert httpx.get(location, timeout=10).content == CONTENT

    flags.edit(repo_flags())
    assert flags.get(f"/api/v1/files/{file_id}/download").headers["Location"].startswith(CDN_BASE_URL)


def test_storage_quota_gives_a_listed_user_another_quota(flags: Served) -> None:
    flags.edit(
        with_flag(
            repo_flags(),
            "storage-quota",
            variants={"standard": {}, "tiny": {"bytes": 1, "files": 1}},
            targeting={"if": [{"in": [{"var": "email"}, ["live@example.com"]]}, "tiny"]},
        )
    )
    assert flags.get("/api/v1/me").json()["quota"]["bytes_limit"] == 1
    assert flags.upload().json()["code"] == ProblemCode.QUOTA_EXCEEDED

    flags.edit(repo_flags())
    assert flags.upload().status_code == 201


def test_bad_files_change_nothing_and_are_logged_once(flags: Served) -> None:
    flags.edit(with_flag(repo_flags(), "uploads-enabled", defaultVariant="off"))
    flags.edit(b'{"flags": {', expect=REFUSED)
    flags.edit(with_flag(repo_flags(), "uploads-enabled", defaultVariant="of"), expect=REFUSED)
    flags.flag_file.unlink()
    while flags.log_count(GONE) == 0:
        time.sleep(POLL_INTERVAL_MS / 1000)
    # Several more looks at the same state: nothing more is logged, nothing changes.
    time.sleep(5 * POLL_INTERVAL_MS / 1000)
    assert (flags.log_count(REFUSED), flags.log_count(GONE)) == (2, 1)
    assert flags.upload().status_code == 503

    flags.edit(repo_flags())
    assert flags.upload().status_code == 201


def test_every_evaluation_is_a_span_event_and_a_count(flags: Served) -> None:
    assert flags.upload().status_code == 201
    receiver = flags.receiver
    span = receiver.wait_for(lambda: next((s for s in receiver.spans if s.name == "upload.small" and s.events), None))
    events = {event.attributes["feature_flag.key"]: event for event in span.events}
    assert set(events) == {"uploads-enabled", "storage-quota"}
    uploads = events["uploads-enabled"]
    assert uploads.name == "feature_flag.evaluation"
    assert uploads.attributes["feature_flag.result.variant"] == "on"
    assert uploads.attributes["feature_flag.provider.name"] == "flagd-file"
    assert uploads.attributes["feature_flag.context.id"]  # the user's id, never their email
    point = receiver.wait_for(
        lambda: next(
            (
                p
                for p in receiver.points
                if p.metric == "app.feature_flag.evaluations"
                and p.attributes.get("feature_flag.key") == "uploads-enabled"
                and p.attributes.get("feature_flag.result.variant") == "on"
            ),
            None,
        )
    )
    assert point.kind == "counter"
    assert point.value is not None and point.value >= 1
