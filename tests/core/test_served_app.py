import json

import httpx

from tests.support.live_app import LiveApp


def test_served_app_authenticates_bearer_token_over_real_http(served_app: LiveApp) -> None:
    response = httpx.get(f"{served_app.base_url}/api/v1/me", headers={"Authorization": f"Bearer {served_app.token}"})
    assert response.status_code == 200, response.text
    assert response.json()["email"] == "live@example.com"
    assert response.headers["x-request-id"]


def test_served_app_logs_one_plain_json_object_per_line(served_app: LiveApp) -> None:
    httpx.get(f"{served_app.base_url}/healthz").raise_for_status()

    entries = [json.loads(line) for line in served_app.log_lines()]

    assert {"uvicorn.error", "app.access"} <= {entry["logger"] for entry in entries}
    for entry in entries:
        assert {"time", "level", "logger", "message", "request_id"} <= entry.keys()
        # uvicorn adds an ANSI-coloured copy of its messages; a log pipeline wants one plain message.
        assert "color_message" not in entry, entry
