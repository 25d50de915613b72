"""No log line, at any level, carries a signed URL's token: provoked against the real server, read whole."""

from urllib.parse import urlsplit

import httpx

from app.core.signed_urls import TOKEN_PLACEHOLDER
from tests.support.live_app import LiveApp

FOREIGN_HOST = {"Host": "evil.example"}


def _token(url: str) -> str:
    return urlsplit(url).path.rsplit("/", 1)[1]


def test_no_log_line_carries_a_signed_token(embedded_pair: tuple[LiveApp, LiveApp]) -> None:
    app = embedded_pair[0]
    auth = {"Authorization": f"Bearer {app.token}"}
    content = b"a file whose URLs are secrets\n"
    started = httpx.post(
        f"{app.base_url}/api/v1/uploads",
        json={"filename": "secret.txt", "size": len(content), "content_type": "text/plain"},
        headers=auth,
    ).json()
    upload = f"{app.base_url}{urlsplit(started['upload_url']).path}"
    answers = {
        "upload, foreign Host": httpx.put(upload, content=content, headers={**started["headers"], **FOREIGN_HOST}),
        "upload, under the URL": httpx.put(upload + "/x", content=content, headers=started["headers"]),
        "upload, wrong method": httpx.get(upload),
        "upload, wrong type": httpx.put(upload, content=content, headers={"Content-Type": "text/html"}),
        "upload": httpx.put(upload, content=content, headers=started["headers"]),
    }
    assert httpx.post(f"{app.base_url}/api/v1/uploads/{started['id']}/complete", headers=auth).status_code == 200
    location = httpx.get(f"{app.base_url}/api/v1/files/{started['id']}/download", headers=auth).headers["Location"]
    download = f"{app.base_url}{urlsplit(location).path}"
    answers |= {
        "download, posted": httpx.post(download, data={"a": "b"}),
        "download, under the URL": httpx.get(download + "/"),
        "download, deeper": httpx.get(download + "/more/path"),
        "download, foreign Host": httpx.get(download, headers=FOREIGN_HOST),
        "download, tampered": httpx.get(download[:-2] + "xx"),
        "download": httpx.get(download),
    }
    assert answers["upload"].status_code == 200
    assert answers["download"].content == content
    for case, answer in answers.items():
        if case not in ("upload", "download"):
            assert 400 <= answer.status_code < 500, (case, answer.status_code)
            assert answer.headers["Content-Type"] == "application/problem+json", case
            assert TOKEN_PLACEHOLDER in answer.json()["instance"] or case.endswith("Host"), case

    log = "\n".join(line for served in embedded_pair for line in served.log_lines())
    # The provocations were logged (Django's own lines at DEBUG among them), only without their tokens.
    assert f"/files/local/upload/{TOKEN_PLACEHOLDER}" in log
    assert f"/files/local/download/{TOKEN_PLACEHOLDER}" in log
    assert "Invalid HTTP_HOST header" in log
    for token in (_token(upload), _token(download)):
        payload, _, signature = token.rpartition(":")
        for secret in (token, payload, signature):
            assert secret not in log, f"a log line holds part of a signed token: {secret}"
