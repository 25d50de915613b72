"""The Content-Security-Policy: same origin only, plus Google's sign-in redirect and storage's signed URLs."""

from django.test import Client

from app.config.csp import content_security_policy


def _directives(header: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for directive in header.split(";"):
        name, *values = directive.split()
        parsed[name] = values
    return parsed


def test_policy_lets_forms_redirect_to_the_sign_in_origin_only() -> None:
    policy = content_security_policy(sign_in_url="https://accounts.example/o/oauth2/v2/auth?x=1", storage_url=None)

    assert [str(source) for source in policy["form-action"]] == ["'self'", "https://accounts.example"]


def test_policy_lets_pages_connect_to_the_storage_origin_when_uploads_go_there() -> None:
    to_storage = content_security_policy(sign_in_url="https://a.example/", storage_url="http://127.0.0.1:9023/storage")
    to_the_app = content_security_policy(sign_in_url="https://a.example/", storage_url=None)

    assert [str(source) for source in to_storage["connect-src"]] == ["'self'", "http://127.0.0.1:9023"]
    assert [str(source) for source in to_the_app["connect-src"]] == ["'self'"]


def test_embedded_mode_pages_carry_the_policy_with_no_inline_script_or_style(client: Client) -> None:
    response = client.get("/")

    directives = _directives(response.headers["Content-Security-Policy"])
    assert directives["default-src"] == ["'self'"]
    assert "script-src" not in directives  # falls back to default-src: no 'unsafe-inline'
    assert "style-src" not in directives
    # Embedded mode's uploads go to the app itself.
    assert directives["connect-src"] == ["'self'"]
    assert directives["form-action"] == ["'self'", "https://accounts.google.com"]
