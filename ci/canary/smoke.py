"""The smoke test of a tagged revision, before it gets any traffic: version, readiness, and a
round trip through the real API (upload, list, download link, delete) with a smoke user's token."""

from typing import Any, Final

import requests

SMOKE_FILENAME: Final = "canary-smoke.txt"
ERROR_STEP: Final = "smoke {step} failed: {detail}"


class SmokeFailed(Exception):
    """A smoke step answered something else than the release promises."""


def _expect(step: str, response: requests.Response, status: int) -> requests.Response:
    if response.status_code != status:
        detail = f"{response.request.method} {response.url} answered {response.status_code}, not {status}: "
        raise SmokeFailed(ERROR_STEP.format(step=step, detail=detail + response.text[:300]))
    return response


def smoke(base_url: str, *, expected_version: str, token: str, timeout_seconds: float = 10.0) -> list[str]:
    """Each step's summary, in order; raises SmokeFailed at the first step that fails."""
    url = base_url.rstrip("/")
    done: list[str] = []
    with requests.Session() as session:
        health: dict[str, Any] = _expect("healthz", session.get(f"{url}/healthz", timeout=timeout_seconds), 200).json()
        if health.get("version") != expected_version:
            detail = f"/healthz reports version {health.get('version')!r}, not {expected_version!r}"
            raise SmokeFailed(ERROR_STEP.format(step="version", detail=detail))
        done.append(f"/healthz reports version {expected_version}")
        _expect("readyz", session.get(f"{url}/readyz", timeout=timeout_seconds), 200)
        done.append("/readyz is 200")

        session.headers["Authorization"] = f"Bearer {token}"
        upload = session.post(
            f"{url}/api/v1/files",
            files={"file": (SMOKE_FILENAME, f"canary smoke of {expected_version}\n".encode(), "text/plain")},
            timeout=timeout_seconds,
        )
        file_id = _expect("upload", upload, 201).json()["id"]
        try:
            listed = _expect("list", session.get(f"{url}/api/v1/files", timeout=timeout_seconds), 200).json()
            if file_id not in {item["id"] for item in listed["items"]}:
                raise SmokeFailed(ERROR_STEP.format(step="list", detail=f"the uploaded file {file_id} is not listed"))
            download = session.get(
                f"{url}/api/v1/files/{file_id}/download", allow_redirects=False, timeout=timeout_seconds
            )
            if not _expect("download", download, 302).headers.get("Location"):
                raise SmokeFailed(ERROR_STEP.format(step="download", detail="the 302 has no Location"))
        finally:
            _expect("delete", session.delete(f"{url}/api/v1/files/{file_id}", timeout=timeout_seconds), 204)
        done.append(f"upload, list, download (302), delete of {file_id} as the smoke user")
    return done
