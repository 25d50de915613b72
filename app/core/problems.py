"""RFC 9457 problem details: the one error shape of the API."""

from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, JsonResponse

PROBLEM_CONTENT_TYPE = "application/problem+json"


class Problem(Exception):
    """A client error that becomes a problem-details response.

    `code` is a stable machine-readable reason (also the `type` suffix);
    `detail` is for humans.
    """

    status: int = HTTPStatus.BAD_REQUEST

    def __init__(
        self,
        detail: str,
        *,
        code: str,
        status: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code
        if status is not None:
            self.status = status
        self.extra = extra or {}


class NotFound(Problem):
    status = HTTPStatus.NOT_FOUND

    def __init__(self, detail: str = "Not found.", *, code: str = "not_found") -> None:
        super().__init__(detail, code=code)


def problem_response(
    request: HttpRequest,
    *,
    status: int,
    detail: str,
    code: str,
    extra: dict[str, Any] | None = None,
) -> JsonResponse:
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.path,
        "code": code,
        **(extra or {}),
    }
    return JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)
