"""Where embedded mode's signed URLs live, and how a path is shown without its secret part.

Every path under `SIGNED_URL_PREFIX` reads `<prefix><kind>/<token>`, and the
token is a capability: whoever holds it may upload or download. Logs, spans
and problem details show `<prefix><kind>/{token}` instead, whether or not the
path matched a route.
"""

import re

SIGNED_URL_PREFIX = "/files/local/"
TOKEN_PLACEHOLDER = "{token}"  # noqa: S105 - what stands in for a token, not one

# A signed path anywhere in a text (a log message, a request's repr, a traceback):
# the prefix, the kind, then the secret up to whitespace, a quote or an angle bracket.
_SIGNED_PATH = re.compile(re.escape(SIGNED_URL_PREFIX) + r"""([^/\s"'<>]+/)[^\s"'<>]+""")


def without_secrets(text: str) -> str:
    """`text` with the token of every signed path in it replaced by `{token}`."""
    if SIGNED_URL_PREFIX not in text:
        return text
    return _SIGNED_PATH.sub(lambda match: f"{SIGNED_URL_PREFIX}{match[1]}{TOKEN_PLACEHOLDER}", text)
