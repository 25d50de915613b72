"""A local stand-in for Google's OAuth 2.0 / OpenID Connect endpoints.

It answers at the HTTP boundary, on loopback, what allauth and our adapter ask
Google for: the token endpoint (authorization code + PKCE in, access token and
a signed ID token out) and the certs endpoint (`{kid: PEM certificate}`). The
authorize page is `authorize()`, which reads the app's redirect like Google
would and hands out a one-time code: tests with Django's test client call it
directly; a real browser visits it at `/o/oauth2/v2/auth` and is sent back to
the app's callback with the code, signed in as `browser_account`.
"""

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

CLIENT_ID = "test-client.apps.googleusercontent.com"
CLIENT_SECRET = "test-client-secret"
KID = "fake-google-key-1"


@cache
def signing_key(name: str = "google") -> rsa.RSAPrivateKey:
    """An RSA key made at test time (one per name, reused across the run)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def certificate_pem(key: rsa.RSAPrivateKey) -> str:
    """A self-signed X.509 certificate for `key`, as Google publishes its keys."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-google")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def code_challenge_of(verifier: str) -> str:
    """RFC 7636 S256: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class Grant:
    """What Google remembers between the authorize page and the token request."""

    client_id: str
    redirect_uri: str
    code_challenge: str
    claims: dict[str, Any]
    key: rsa.RSAPrivateKey
    kid: str


@dataclass
class FakeGoogle:
    base_url: str
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    grants: dict[str, Grant] = field(default_factory=dict[str, Grant])
    # Every token request's form, and why each refused one was refused.
    token_requests: list[dict[str, str]] = field(default_factory=list[dict[str, str]])
    refusals: list[str] = field(default_factory=list[str])
    certs_requests: int = 0
    # The Google account a browser visiting the authorize page is signed in to:
    # ID token claims over the defaults (set `email` and `sub` to switch people).
    browser_account: dict[str, Any] = field(default_factory=dict[str, Any])

    # Google's own issuer, so a check that skipped the signature would pass the rest.
    issuer: str = "https://accounts.google.com"

    @property
    def endpoints(self) -> dict[str, str]:
        """The value for settings.GOOGLE_OAUTH_ENDPOINTS."""
        return {
            "authorize": f"{self.base_url}/o/oauth2/v2/auth",
            "token": f"{self.base_url}/token",
            "certs": f"{self.base_url}/oauth2/v1/certs",
            "issuer": self.issuer,
        }

    def served_app_env(self) -> dict[str, str]:
        """Environment for a served app (tests/support/live_app.py) that signs in with this fake."""
        return {
            "DJANGO_SETTINGS_MODULE": "tests.support.fake_google_settings",
            "FAKE_GOOGLE_ENDPOINTS": json.dumps(self.endpoints),
            "GOOGLE_OAUTH_CLIENT_ID": self.client_id,
            "GOOGLE_OAUTH_CLIENT_SECRET": self.client_secret,
        }

    def authorize(
        self,
        location: str,
        *,
        claims: Mapping[str, Any] | None = None,
        key: rsa.RSAPrivateKey | None = None,
        kid: str = KID,
    ) -> str:
        """Google's consent page: checks the app's redirect, returns a one-time code.

        `claims` go into the ID token over the defaults (iss, aud, sub, email,
        email_verified, iat, exp; None leaves one out); `key` and `kid` sign it
        (Google's key by default).
        """
        parts = urlsplit(location)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == self.endpoints["authorize"]
        query = {name: values[0] for name, values in parse_qs(parts.query).items()}
        assert query["client_id"] == self.client_id
        assert query["response_type"] == "code"
        assert {"openid", "email"} <= set(query["scope"].split())
        assert query["state"]
        assert query.get("code_challenge_method") == "S256", "PKCE (S256) is required"
        now = int(time.time())
        defaults: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "azp": self.client_id,
            "sub": "108000000000000000001",
            "email": "someone@example.com",
            "email_verified": True,
            "name": "Some One",
            "iat": now,
            "exp": now + 3600,
        }
        code = "4/" + secrets.token_urlsafe(24)
        self.grants[code] = Grant(
            client_id=query["client_id"],
            redirect_uri=query["redirect_uri"],
            code_challenge=query["code_challenge"],
            # A claim given as None is left out.
            claims={name: value for name, value in {**defaults, **(claims or {})}.items() if value is not None},
            key=key or signing_key(),
            kid=kid,
        )
        return code

    def authorize_redirect(self, url: str) -> str:
        """A browser's visit to the authorize page at `url`: where Google sends it back, with a code."""
        code = self.authorize(url, claims=self.browser_account)
        query = {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
        separator = "&" if "?" in query["redirect_uri"] else "?"
        return query["redirect_uri"] + separator + urlencode({"code": code, "state": query["state"]})

    def _refuse(self, reason: str) -> tuple[int, dict[str, Any]]:
        self.refusals.append(reason)
        return 400, {"error": "invalid_grant", "error_description": reason}

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """The token endpoint: the code, its redirect URI, the client, and PKCE."""
        self.token_requests.append(form)
        if form.get("grant_type") != "authorization_code":
            return self._refuse("unsupported grant_type")
        # A code works once, whatever happens next.
        grant = self.grants.pop(form.get("code", ""), None)
        if grant is None:
            return self._refuse("unknown or used code")
        if form.get("redirect_uri") != grant.redirect_uri:
            return self._refuse("redirect_uri mismatch")
        if (form.get("client_id"), form.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            return self._refuse("bad client credentials")
        verifier = form.get("code_verifier")
        if not verifier or code_challenge_of(verifier) != grant.code_challenge:
            return self._refuse("PKCE code_verifier does not match code_challenge")
        id_token = jwt.encode(grant.claims, grant.key, algorithm="RS256", headers={"kid": grant.kid})
        return 200, {
            "access_token": "ya29." + secrets.token_urlsafe(24),
            "expires_in": 3599,
            "token_type": "Bearer",
            "scope": "openid https://www.googleapis.com/auth/userinfo.email",
            "id_token": id_token,
        }

    def certs(self) -> dict[str, str]:
        self.certs_requests += 1
        return {KID: certificate_pem(signing_key())}


def _handler(fake: FakeGoogle) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _reply(self, status: int, body: Mapping[str, Any]) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path == urlsplit(fake.endpoints["certs"]).path:
                self._reply(200, fake.certs())
            elif path == urlsplit(fake.endpoints["authorize"]).path:
                self._authorize()
            else:
                self._reply(404, {"error": "not_found"})

        def _authorize(self) -> None:
            try:
                location = fake.authorize_redirect(fake.base_url + self.path)
            except (AssertionError, KeyError) as refused:
                fake.refusals.append(f"authorize: {refused!r}")
                self._reply(400, {"error": "invalid_request"})
                return
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self) -> None:
            if urlsplit(self.path).path != urlsplit(fake.endpoints["token"]).path:
                self._reply(404, {"error": "not_found"})
                return
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode()
            form = {name: values[0] for name, values in parse_qs(body).items()}
            self._reply(*fake.token(form))

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def fake_google_running() -> Iterator[FakeGoogle]:
    """A FakeGoogle serving on a free loopback port until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    host, port = server.server_address[:2]
    fake = FakeGoogle(base_url=f"http://{host!s}:{port}")
    server.RequestHandlerClass = _handler(fake)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-google", daemon=True
    )
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
