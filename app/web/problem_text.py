"""What the pages say for each problem `code` the API answers: words for people, not for API clients."""

from collections.abc import Mapping
from typing import Final

from app.core.problems import ProblemCode

# One sentence per code; the page shows it, followed by the server's own `detail`
# (which carries the figures: sizes, limits, types). A test keeps it complete.
PROBLEM_TEXT: Final[Mapping[ProblemCode, str]] = {
    ProblemCode.BAD_REQUEST: "The server refused the request.",
    ProblemCode.BODY_TOO_LARGE: "The file is larger than this way of uploading accepts.",
    ProblemCode.MALFORMED_BODY: "The upload arrived garbled. Try again.",
    ProblemCode.VALIDATION_FAILED: "Something in the request is not valid.",
    ProblemCode.NOT_AUTHENTICATED: "You are signed out. Reload the page to sign in again.",
    ProblemCode.FORBIDDEN: "That is not allowed. Reload the page and try again.",
    ProblemCode.METHOD_NOT_ALLOWED: "The page asked for something the server does not do. Reload the page.",
    ProblemCode.NOT_FOUND: "It is not there any more (deleted in another tab, perhaps).",
    ProblemCode.INTERNAL_ERROR: "Something went wrong on our side. Try again in a moment.",
    ProblemCode.INVALID_TOKEN_TTL: "A token cannot live that long.",
    ProblemCode.INVALID_TOKEN_NAME: "That name cannot be used: it is blank or holds invisible characters.",
    ProblemCode.INVALID_FILENAME: "That file name cannot be used. Rename the file and try again.",
    ProblemCode.INVALID_CHECKSUM: "The file's checksum is not in the expected form.",
    ProblemCode.INVALID_CURSOR: "That page of the list no longer exists. Reload the page.",
    ProblemCode.EMPTY_FILE: "The file is empty.",
    ProblemCode.FILE_TOO_LARGE: "The file is too large.",
    ProblemCode.QUOTA_EXCEEDED: "Not enough room: this file would take you over your quota.",
    ProblemCode.TYPE_NOT_ALLOWED: "Files of this type are not accepted.",
    ProblemCode.TYPE_MISMATCH: "The file's content is not of the type it claims to be.",
    ProblemCode.EXTENSION_MISMATCH: "The file's extension does not match its content.",
    ProblemCode.UPLOAD_MISSING: "The file's bytes did not reach storage. Try again.",
    ProblemCode.UPLOAD_EXPIRED: "The upload took too long and expired. Try again.",
    ProblemCode.UPLOAD_GONE: "This upload no longer exists. Try again.",
    ProblemCode.ALREADY_UPLOADED: "This upload had already been sent.",
    ProblemCode.SIZE_MISMATCH: "Storage received a different number of bytes than the file has. Try again.",
    ProblemCode.CHECKSUM_MISMATCH: "The bytes were damaged on the way (checksum mismatch). Try again.",
    ProblemCode.SIGNED_URL_INVALID: "The upload link is not valid. Try again.",
    ProblemCode.SIGNED_URL_EXPIRED: "The upload link expired. Try again.",
    ProblemCode.SIGNED_HEADERS_MISMATCH: "The upload was sent with the wrong headers.",
    ProblemCode.DATABASE_UNAVAILABLE: "The service cannot reach its database right now. Try again in a moment.",
    ProblemCode.OVERLOADED: "The service is busy right now. Try again in a moment.",
    ProblemCode.STORAGE_UNAVAILABLE: "The service cannot reach file storage right now. Try again in a moment.",
    ProblemCode.UPLOADS_DISABLED: "Uploads are paused for maintenance. Try again in a few minutes.",
    ProblemCode.DIRECT_UPLOADS_DISABLED: "Direct uploads are off for you; the page sends small files another way.",
}

# Codes with which `POST /api/v1/uploads` tells a client to send the file to
# `POST /api/v1/files` instead (the `direct-uploads` feature flag, off for this user).
# The page also falls back when the route is not there (404, 405, 501).
SMALL_UPLOAD_INSTEAD: Final[frozenset[str]] = frozenset({ProblemCode.DIRECT_UPLOADS_DISABLED})
