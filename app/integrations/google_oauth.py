"""Google sign-in: allauth's Google provider and adapter, with endpoints read
from settings at request time and the ID token's signature always verified.

allauth skips the signature check when the token came straight from Google's
token endpoint; we keep it as defence in depth, and so that tests can point
the whole flow at a local fake. allauth's own adapter reads Google's URLs once,
at import, from module constants; `GoogleProvider` makes both the redirect and
the callback use `GoogleAdapter` instead.
"""

from typing import Any

import jwt
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.providers.google.provider import (
    GoogleProvider as AllauthGoogleProvider,
)
from allauth.socialaccount.providers.google.views import GoogleOAuth2Adapter
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.x509 import load_pem_x509_certificate
from django.conf import settings
from django.http import HttpRequest

ID_TOKEN_ALGORITHMS = ["RS256"]
CERTS_TIMEOUT_SECONDS = 5
INVALID_ID_TOKEN = "Invalid id_token"  # noqa: S105 (a message, not a secret)


def _endpoint(name: str) -> str:
    return settings.GOOGLE_OAUTH_ENDPOINTS[name]


def _signing_key(id_token: str) -> RSAPublicKey:
    kid = jwt.get_unverified_header(id_token).get("kid")
    with get_adapter().get_requests_session() as session:  # pyright: ignore[reportUnknownMemberType]
        response = session.get(_endpoint("certs"), timeout=CERTS_TIMEOUT_SECONDS)  # pyright: ignore[reportUnknownMemberType]
        response.raise_for_status()  # pyright: ignore[reportUnknownMemberType]
        certificates: object = response.json()  # pyright: ignore[reportUnknownMemberType]
    pem = certificates.get(kid) if isinstance(certificates, dict) and isinstance(kid, str) else None  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
    if not isinstance(pem, str):
        raise OAuth2Error(INVALID_ID_TOKEN)
    try:
        public_key = load_pem_x509_certificate(pem.encode()).public_key()
    except ValueError as error:
        raise OAuth2Error(INVALID_ID_TOKEN) from error
    if not isinstance(public_key, RSAPublicKey):
        raise OAuth2Error(INVALID_ID_TOKEN)
    return public_key


def id_token_verify(id_token: str, *, audience: str) -> dict[str, Any]:
    """The ID token's claims once signature, issuer, audience and expiry check out."""
    try:
        return jwt.decode(
            id_token,
            key=_signing_key(id_token),
            algorithms=ID_TOKEN_ALGORITHMS,
            audience=audience,
            issuer=_endpoint("issuer"),
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as error:
        raise OAuth2Error(INVALID_ID_TOKEN) from error


class GoogleAdapter(GoogleOAuth2Adapter):
    """allauth's Google OAuth2 adapter with endpoints from settings."""

    @property
    def authorize_url(self) -> str:
        return _endpoint("authorize")

    @property
    def access_token_url(self) -> str:
        return _endpoint("token")

    def _decode_id_token(self, app: Any, id_token: str) -> dict[str, Any]:
        return id_token_verify(id_token, audience=app.client_id)

    def complete_login(self, request: HttpRequest, app: Any, token: Any, **kwargs: Any) -> Any:
        if not kwargs["response"].get("id_token"):
            # We ask for the openid scope, so a missing ID token is an error.
            raise OAuth2Error(INVALID_ID_TOKEN)
        return super().complete_login(request, app, token, **kwargs)  # pyright: ignore[reportUnknownMemberType]


class GoogleProvider(AllauthGoogleProvider):
    """allauth's Google provider, redirecting through `GoogleAdapter`.

    Sign-in by a bare ID token (Google One Tap, `/accounts/google/login/token/`)
    is off: it bypasses state and PKCE, and a leaked ID token would sign its
    owner in until it expires. Only the authorization-code flow signs in.
    """

    oauth2_adapter_class = GoogleAdapter  # pyright: ignore[reportIncompatibleVariableOverride]
    supports_token_authentication = False

    def verify_token(self, request: HttpRequest, token: Any) -> Any:
        raise get_adapter().validation_error("invalid_token")  # pyright: ignore[reportUnknownMemberType]


oauth2_login = OAuth2LoginView.adapter_view(GoogleAdapter)  # pyright: ignore[reportUnknownMemberType]
oauth2_callback = OAuth2CallbackView.adapter_view(GoogleAdapter)  # pyright: ignore[reportUnknownMemberType]
