"""The Content-Security-Policy: everything from the app's own origin, with two exceptions a page needs.

- `form-action` also allows Google's authorize page: the "Sign in with Google"
  form POSTs to the app, which answers with a redirect there, and browsers
  apply `form-action` to that redirect too (Chromium blocks the sign-in
  otherwise).
- `connect-src` also allows the storage origin in signed upload URLs: the
  files page PUTs a direct upload's bytes there with XMLHttpRequest.

No inline script or style anywhere: pages load their JavaScript and CSS from
the app's static files.
"""

from typing import Any, cast
from urllib.parse import urlsplit

# django-types lags Django 6.1: it has no django.utils.csp, so CSP is used as Any below.
from django.utils.csp import CSP as _UntypedCSP  # noqa: N811  # pyright: ignore[reportMissingImports, reportUnknownVariableType]

CSP = cast(Any, _UntypedCSP)


def origin(url: str) -> str:
    """`https://host:port` of an absolute URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(*, sign_in_url: str, storage_url: str | None) -> dict[str, list[str]]:
    """The policy for SECURE_CSP; `storage_url` is None when uploads go to the app itself."""
    connect = [CSP.SELF] if storage_url is None else [CSP.SELF, origin(storage_url)]
    return {
        "default-src": [CSP.SELF],
        "connect-src": connect,
        "img-src": [CSP.SELF, "data:"],
        "object-src": [CSP.NONE],
        "base-uri": [CSP.NONE],
        "frame-ancestors": [CSP.NONE],
        "form-action": [CSP.SELF, origin(sign_in_url)],
    }
