import httpx

from tests.support.live_app import LiveApp


def test_served_app_authenticates_bearer_token_over_real_http(served_app: LiveApp) -> None:
    response = httpx.get(f"{served_app.base_url}/api/v1/me", headers={"Authorization": f"Bearer {served_app.token}"})
    assert response.status_code == 200, response.text
    assert response.json()["email"] == "live@example.com"
    assert response.headers["x-request-id"]
