"""RFC 9457 problem details: the one error shape of the API."""

from enum import StrEnum
from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, JsonResponse

from app.core.internals.responses import mark_logged
from app.core.signed_urls import without_secrets

PROBLEM_CONTENT_TYPE = "application/problem+json"


class ProblemCode(StrEnum):
    """Every stable `code` the API answers with: the contract clients switch on."""

    # Requests in general
    BAD_REQUEST = "bad_request"
    BODY_TOO_LARGE = "body_too_large"
    MALFORMED_BODY = "malformed_body"
    VALIDATION_FAILED = "validation_failed"
    NOT_AUTHENTICATED = "not_authenticated"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    INTERNAL_ERROR = "internal_error"
    # Dependencies (503, with Retry-After)
    DATABASE_UNAVAILABLE = "database_unavailable"
    STORAGE_UNAVAILABLE = "storage_unavailable"
    OVERLOADED = "overloaded"
    # Accounts
    INVALID_TOKEN_TTL = "invalid_token_ttl"
    INVALID_TOKEN_NAME = "invalid_token_name"
    # Files: what is uploaded
    INVALID_FILENAME = "invalid_filename"
    INVALID_CHECKSUM = "invalid_checksum"
    INVALID_CURSOR = "invalid_cursor"
    EMPTY_FILE = "empty_file"
    FILE_TOO_LARGE = "file_too_large"
    QUOTA_EXCEEDED = "quota_exceeded"
    TYPE_NOT_ALLOWED = "type_not_allowed"
    TYPE_MISMATCH = "type_mismatch"
    EXTENSION_MISMATCH = "extension_mismatch"
    # Files: completing a direct upload
    UPLOAD_MISSING = "upload_missing"
    UPLOAD_EXPIRED = "upload_expired"
    UPLOAD_GONE = "upload_gone"
    ALREADY_UPLOADED = "already_uploaded"
    SIZE_MISMATCH = "size_mismatch"
    CHECKSUM_MISMATCH = "checksum_mismatch"
    # Signed URLs (embedded mode's own)
    SIGNED_URL_INVALID = "signed_url_invalid"
    SIGNED_URL_EXPIRED = "signed_url_expired"
    SIGNED_HEADERS_MISMATCH = "signed_headers_mismatch"
    # Feature flags (app/flags): uploads paused, or the direct path not offered to this user
    UPLOADS_DISABLED = "uploads_disabled"
    DIRECT_UPLOADS_DISABLED = "direct_uploads_disabled"


class Problem(Exception):
    """A client error that becomes a problem-details response.

    `code` is a stable machine-readable reason (also the `type` suffix);
    `detail` is for humans; `retry_after` (seconds) becomes a Retry-After header.
    """

    status: int = HTTPStatus.BAD_REQUEST

    def __init__(
        self,
        detail: str,
        *,
        code: str,
        status: int | None = None,
        extra: dict[str, Any] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code
        if status is not None:
            self.status = status
        self.extra = extra or {}
        self.retry_after = retry_after


NOT_FOUND = "Not found."
METHOD_NOT_ALLOWED = "{method} is not allowed here; allowed: {allowed}."
REQUEST_REFUSED = "The request was refused."
INTERNAL_ERROR = "Something went wrong on our side; it has been logged."

# The code of an error answer that carries no reason of its own (a framework's 404 or 405).
_CODE_FOR_STATUS = {
    HTTPStatus.BAD_REQUEST: ProblemCode.BAD_REQUEST,
    HTTPStatus.UNAUTHORIZED: ProblemCode.NOT_AUTHENTICATED,
    HTTPStatus.FORBIDDEN: ProblemCode.FORBIDDEN,
    HTTPStatus.NOT_FOUND: ProblemCode.NOT_FOUND,
    HTTPStatus.METHOD_NOT_ALLOWED: ProblemCode.METHOD_NOT_ALLOWED,
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: ProblemCode.BODY_TOO_LARGE,
}


def problem_code_for(status: int) -> ProblemCode:
    """The stable code for an error status that came with no reason of its own."""
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        return ProblemCode.INTERNAL_ERROR
    return _CODE_FOR_STATUS.get(HTTPStatus(status), ProblemCode.BAD_REQUEST)


class NotFound(Problem):
    status = HTTPStatus.NOT_FOUND

    def __init__(self, detail: str = NOT_FOUND, *, code: str = ProblemCode.NOT_FOUND) -> None:
        super().__init__(detail, code=code)


def problem_response(
    request: HttpRequest,
    *,
    status: int,
    detail: str,
    code: str,
    extra: dict[str, Any] | None = None,
    retry_after: int | None = None,
) -> JsonResponse:
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": without_secrets(request.path),
        "code": code,
        **(extra or {}),
    }
    response = JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)
    mark_logged(response)  # the access log has it
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def problem_answer(request: HttpRequest, problem: Problem) -> JsonResponse:
    """The response a raised `Problem` becomes."""
    return problem_response(
        request,
        status=problem.status,
        detail=problem.detail,
        code=problem.code,
        extra=problem.extra,
        retry_after=problem.retry_after,
    )
