"""One JSON object per log line, carrying the request id and the trace context."""

import json
import logging
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace

from app.core.request_context import request_id_var
from app.core.signed_urls import without_secrets

# Attributes every LogRecord has; anything else was passed in `extra=`.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"})
# Extras that only repeat the message: uvicorn's ANSI-coloured copy for terminals.
_REDUNDANT_EXTRAS = frozenset({"color_message"})


class RequestContextFilter(logging.Filter):
    """Adds the current request id, and the trace and span ids inside a sampled trace.

    Only a sampled trace reaches the collector, so a line's `trace_id` always leads to one.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        if not hasattr(record, "trace_id"):
            # Never while telemetry is off: no span is sampled then.
            context = trace.get_current_span().get_span_context()
            if context.trace_flags.sampled:
                record.trace_id = format(context.trace_id, "032x")
                record.span_id = format(context.span_id, "016x")
        return True


class SecretsFilter(logging.Filter):
    """Takes signed URLs' tokens out of a record: its message, its extras and its traceback.

    Django and uvicorn log request paths in many places (a CSRF failure, a 404,
    a refused Host header with the request attached); each handler that writes
    or exports records carries this filter, so none of them ever holds a token.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg, record.args = without_secrets(message), None
        for key, value in list(vars(record).items()):
            if key in _STANDARD_ATTRIBUTES or value is None or isinstance(value, bool | int | float):
                continue
            text = value if isinstance(value, str) else str(value)
            if (scrubbed := without_secrets(text)) != text:
                setattr(record, key, scrubbed)
        if record.exc_info and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            if (scrubbed := without_secrets(text)) != text:
                # The scrubbed text stands in for the exception, which no handler may render again.
                record.exc_text, record.exc_info = scrubbed, None
        return True


class JsonFormatter(logging.Formatter):
    """Formats a record as a single line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and key not in _REDUNDANT_EXTRAS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, default=str, ensure_ascii=False)
