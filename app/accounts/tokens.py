"""The shape of an API token secret and how it is hashed."""

import hashlib
import secrets

TOKEN_PREFIX = "oeb_"
_SECRET_BYTES = 32
DISPLAY_PREFIX_LENGTH = 12


def token_generate() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(_SECRET_BYTES)


def token_digest(secret: str) -> str:
    # The secret has 256 bits of entropy, so a fast unsalted hash is enough.
    return hashlib.sha256(secret.encode()).hexdigest()


def is_token_shaped(secret: str) -> bool:
    return secret.startswith(TOKEN_PREFIX) and 20 <= len(secret) <= 100
