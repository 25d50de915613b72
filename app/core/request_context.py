"""The request id of the request being served, for log records and responses."""

import re
import secrets
from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# What we accept from a proxy: short, printable, no separators that could
# split a log line or a header.
_ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id_from_header(value: str | None) -> str:
    """The proxy's request id when it is well formed, else a fresh one."""
    if value and _ACCEPTABLE_REQUEST_ID.fullmatch(value):
        return value
    return secrets.token_hex(16)
