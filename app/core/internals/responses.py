"""Telling Django a response has been logged already."""

from django.http.response import HttpResponseBase


def mark_logged(response: HttpResponseBase) -> None:
    """Spares `response` Django's own `log_response`, which runs in a thread for every status >= 400.

    Django skips responses flagged `_has_been_logged` (django.utils.log). The
    app's problem responses are in its access log already, and an unexpected
    error is logged with its traceback where it is caught; Django's copy cost
    each 4xx/5xx a hop to the loop's default executor (shared with storage
    calls), and each shed 503 an ERROR line.
    """
    response._has_been_logged = True  # pyright: ignore[reportAttributeAccessIssue]
