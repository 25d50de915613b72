"""Hostile input, case by case: each answers a 4xx problem, stores nothing, never a 5xx."""

import base64
import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from django.conf import settings
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from pytest_django import Settings

from app.core.problems import ProblemCode
from app.files.models import File
from app.files.storage.local import LocalStorage
from tests.support.api import PNG_1X1, generic, made_up_cursor, signed_put

pytestmark = pytest.mark.django_db

SMALL_LIMIT = 4096
# What no answer may name: clients get limits and reasons, not our configuration.
SETTING_NAMES = [name for name in dir(settings) if name.isupper() and "_" in name]


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


@dataclass(frozen=True)
class Case:
    id: str
    send: Callable[[Client], HttpResponse | httpx.Response]
    status: int | None = None
    code: str | None = None
    extra: dict[str, Any] = field(default_factory=dict[str, Any])


def start(
    filename: str = "a.txt", size: int = 6, content_type: str = "text/plain", **more: Any
) -> Callable[[Client], HttpResponse]:
    payload = {"filename": filename, "size": size, "content_type": content_type, **more}
    return lambda api: api.post("/api/v1/uploads", payload, content_type="application/json")


def start_raw(payload: object) -> Callable[[Client], HttpResponse]:
    return lambda api: api.post("/api/v1/uploads", payload, content_type="application/json")


def small(
    content: bytes, name: str = "a.txt", content_type: str = "application/octet-stream"
) -> Callable[[Client], HttpResponse]:
    return lambda api: api.post("/api/v1/files", {"file": SimpleUploadedFile(name, content, content_type)})


def complete_after_put(
    *,
    declared: bytes,
    sent: bytes,
    content_type: str = "text/plain",
    filename: str = "a.txt",
    checksum: bool = True,
) -> Callable[[Client], HttpResponse]:
    def send(api: Client) -> HttpResponse:
        payload: dict[str, Any] = {
            "filename": filename,
            "size": len(declared),
            "content_type": content_type,
        }
        if checksum:
            payload["checksum"] = md5_b64(declared)
        begun = api.post("/api/v1/uploads", payload, content_type="application/json")
        assert begun.status_code == 201, begun.content
        target = begun.json()
        put = signed_put(target["upload_url"], sent, headers=target["headers"])
        assert put.status_code in (200, 403), put.content
        return api.post(f"/api/v1/uploads/{target['id']}/complete")

    return send


def put_with(
    mutate: Callable[[str, dict[str, str]], tuple[str, dict[str, str], bytes]],
) -> Callable[[Client], httpx.Response]:
    def send(api: Client) -> httpx.Response:
        content = b"hello\n"
        target = start(size=len(content), checksum=md5_b64(content))(api).json()
        url, headers, body = mutate(_path(target["upload_url"]), dict(target["headers"]))
        return signed_put(url, body, headers=headers)

    return send


def _tamper(url: str, headers: dict[str, str]) -> tuple[str, dict[str, str], bytes]:
    head, _, signature = url.rpartition(":")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return f"{head}:{flipped}", headers, b"hello\n"


def _swap_payload(url: str, headers: dict[str, str]) -> tuple[str, dict[str, str], bytes]:
    # A valid signature over someone else's payload: re-encode with a larger size.
    token = url.rsplit("/", 1)[1]
    payload, _, _signature = token.partition(":")
    data = signing.b64_decode(payload.encode()).replace(b'"s":6', b'"s":7')
    return url.replace(payload, signing.b64_encode(data).decode()), headers, b"hello\n!"


def _wrong_type(url: str, headers: dict[str, str]) -> tuple[str, dict[str, str], bytes]:
    return url, {**headers, "Content-Type": "text/html"}, b"hello\n"


def _wrong_md5(url: str, headers: dict[str, str]) -> tuple[str, dict[str, str], bytes]:
    return url, {**headers, "Content-MD5": md5_b64(b"other")}, b"hello\n"


def _longer_body(url: str, headers: dict[str, str]) -> tuple[str, dict[str, str], bytes]:
    return url, headers, b"hello\n and more"


def _post_to_upload_url(api: Client) -> httpx.Response:
    target = start(size=6)(api).json()
    return signed_put(target["upload_url"], b"hello\n", headers=target["headers"], method="POST")


def _foreign_host(url: str, headers: dict[str, str]) -> tuple[str, dict[str, str], bytes]:
    return url, {**headers, "Host": "evil.example"}, b"hello\n"


def _put_chunked(api: Client) -> httpx.Response:
    target = start(size=6)(api).json()

    async def chunks() -> AsyncIterator[bytes]:
        yield b"hello\n"

    return signed_put(target["upload_url"], chunks(), headers=target["headers"])


def _put_after_delete(api: Client) -> httpx.Response:
    target = start(size=6)(api).json()
    assert api.delete(f"/api/v1/files/{target['id']}").status_code == 204
    return signed_put(target["upload_url"], b"hello\n", headers=target["headers"])


def _past() -> datetime:
    return datetime.now(UTC) - timedelta(seconds=5)


def _expired_put(api: Client) -> httpx.Response:
    target = start(size=6)(api).json()
    key = File.objects.get(id=target["id"]).storage_key
    expired = LocalStorage(root=settings.MEDIA_ROOT).upload_target(
        key=key, size=6, content_type="text/plain", md5_b64=None, expires_at=_past(), resumable=False
    )
    return signed_put(expired.url, b"hello\n", headers=expired.headers)


def _expired_download(api: Client) -> HttpResponse:
    created = small(b"hello\n")(api).json()
    key = File.objects.get(id=created["id"]).storage_key
    url = LocalStorage(root=settings.MEDIA_ROOT).download_url(
        key=key, filename="a.txt", content_type="text/plain", expires_at=_past()
    )
    api.delete(f"/api/v1/files/{created['id']}")  # only the URL is under test
    return Client().get(url)


def _tampered_download(api: Client) -> HttpResponse:
    created = small(b"hello\n")(api).json()
    location = api.get(f"/api/v1/files/{created['id']}/download").headers["Location"]
    api.delete(f"/api/v1/files/{created['id']}")  # only the URL is under test
    return Client().get(_path(location)[:-2] + "xx")


def _download_location(api: Client) -> str:
    created = small(b"hello\n")(api).json()
    location = _path(api.get(f"/api/v1/files/{created['id']}/download").headers["Location"])
    api.delete(f"/api/v1/files/{created['id']}")  # only the URL is under test
    return location


def _download_via_foreign_host(api: Client) -> HttpResponse:
    return Client().get(_download_location(api), headers={"host": "evil.example"})


def _download_with_trailing_slash(api: Client) -> HttpResponse:
    return Client().get(_download_location(api) + "/")


def _download_posted(api: Client) -> HttpResponse:
    return Client(enforce_csrf_checks=True).post(_download_location(api))


def _put_twice(api: Client) -> httpx.Response:
    target = start(size=6)(api).json()
    assert signed_put(target["upload_url"], b"hello\n", headers=target["headers"]).status_code == 200
    return signed_put(target["upload_url"], b"HELLO\n", headers=target["headers"])


def _expired_pending_upload(api: Client) -> HttpResponse:
    target = start(size=6)(api).json()
    signed_put(target["upload_url"], b"hello\n", headers=target["headers"])
    from datetime import timedelta

    from django.utils import timezone

    File.objects.filter(id=target["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    return api.post(f"/api/v1/uploads/{target['id']}/complete")


def listed_after(cursor: str) -> Callable[[Client], HttpResponse]:
    return lambda api: api.get("/api/v1/files", {"cursor": cursor})


HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'
LONG_NAME = "a" * 252 + ".txt"
LONG_UTF8_NAME = "\u00e9" * 126 + ".txt"  # 256 bytes in UTF-8, 130 characters

CASES = [
    # Names: path parts, absolute names, reserved, control, bidi, invisible, length.
    Case("traversal-unix", start("../../etc/passwd"), 400, ProblemCode.INVALID_FILENAME),
    Case("traversal-relative", start("../secret.txt"), 400, ProblemCode.INVALID_FILENAME),
    Case("absolute-unix", start("/etc/passwd"), 400, ProblemCode.INVALID_FILENAME),
    Case("absolute-unix-txt", start("/tmp/a.txt"), 400, ProblemCode.INVALID_FILENAME),
    Case("traversal-windows", start("..\\..\\boot.ini"), 400, ProblemCode.INVALID_FILENAME),
    Case("absolute-windows", start("C:\\Windows\\win.ini"), 400, ProblemCode.INVALID_FILENAME),
    Case("unc-path", start("\\\\server\\share\\a.txt"), 400, ProblemCode.INVALID_FILENAME),
    Case("subdirectory", start("dir/a.txt"), 400, ProblemCode.INVALID_FILENAME),
    Case("file-url", start("file:///etc/passwd"), 400, ProblemCode.INVALID_FILENAME),
    Case("dot", start("."), 400, ProblemCode.INVALID_FILENAME),
    Case("dot-dot", start(".."), 400, ProblemCode.INVALID_FILENAME),
    Case("blank", start("   "), 400, ProblemCode.INVALID_FILENAME),
    Case("nul", start("a\x00b.txt"), 400, ProblemCode.INVALID_FILENAME),
    Case(
        "nul-before-extension",
        start("evil.txt\x00.png", content_type="image/png"),
        400,
        ProblemCode.INVALID_FILENAME,
    ),
    Case("newline", start("line\nbreak.txt"), 400, ProblemCode.INVALID_FILENAME),
    Case("carriage-return", start("header\r\ninjection.txt"), 400, ProblemCode.INVALID_FILENAME),
    Case("tab", start("tab\tname.txt"), 400, ProblemCode.INVALID_FILENAME),
    Case("escape-sequence", start("esc\x1b[31mred.txt"), 400, ProblemCode.INVALID_FILENAME),
    Case("delete-character", start("del\x7f.txt"), 400, ProblemCode.INVALID_FILENAME),
    Case("bell", start("bell\x07.txt"), 400, ProblemCode.INVALID_FILENAME),
    Case("bidi-override", start("invoice\u202etxt.exe"), 400, ProblemCode.INVALID_FILENAME),
    Case("bidi-left-to-right-override", start("\u202da.txt"), 400, ProblemCode.INVALID_FILENAME),
    Case("bidi-isolate", start("\u2066a.txt\u2069"), 400, ProblemCode.INVALID_FILENAME),
    Case("zero-width-space", start("zero\u200bwidth.txt"), 400, ProblemCode.INVALID_FILENAME),
    Case("byte-order-mark", start("\ufeffa.txt"), 400, ProblemCode.INVALID_FILENAME),
    Case("line-separator", start("a\u2028b.txt"), 400, ProblemCode.INVALID_FILENAME),
    # Invisible and blank-looking characters (Default_Ignorable_Code_Point and the spoofing set).
    Case("hangul-filler", start("a\u3164b.txt"), 400, ProblemCode.INVALID_FILENAME),
    Case("halfwidth-hangul-filler", start("a\uffa0b.txt"), 400, ProblemCode.INVALID_FILENAME),
    Case("hangul-choseong-filler", start("\u115f.txt"), 400, ProblemCode.INVALID_FILENAME),
    Case("braille-blank", start("a\u2800b.txt"), 400, ProblemCode.INVALID_FILENAME),
    Case("braille-blank-only", small(b"hello\n", "\u2800.txt"), 400, ProblemCode.INVALID_FILENAME),
    Case("combining-grapheme-joiner", start("a\u034fb.txt"), 400, ProblemCode.INVALID_FILENAME),
    Case("variation-selector", start("a\ufe0fb.txt"), 400, ProblemCode.INVALID_FILENAME),
    Case("variation-selector-supplement", start("a\U000e0100b.txt"), 400, ProblemCode.INVALID_FILENAME),
    Case("khmer-inherent-vowel", start("a\u17b4b.txt"), 400, ProblemCode.INVALID_FILENAME),
    Case("tag-character", start("a\U000e0041b.txt"), 400, ProblemCode.INVALID_FILENAME),
    Case("soft-hyphen", start("a\u00adb.txt"), 400, ProblemCode.INVALID_FILENAME),
    Case("no-break-space", start("a\u00a0b.txt"), 400, ProblemCode.INVALID_FILENAME),
    Case("em-space", start("a\u2003b.txt"), 400, ProblemCode.INVALID_FILENAME),
    Case("ideographic-space", start("a\u3000b.txt"), 400, ProblemCode.INVALID_FILENAME),
    Case("invisible-before-extension", start("page.html\u3164", content_type="text/plain"), 400, None),
    Case("too-long-ascii", start(LONG_NAME), 400, ProblemCode.INVALID_FILENAME),
    Case("too-long-utf8", start(LONG_UTF8_NAME), 400, ProblemCode.INVALID_FILENAME),
    Case("overlong-json-name", start("a" * 2000), 422, ProblemCode.VALIDATION_FAILED),
    # Double extensions and names that disagree with the type.
    Case(
        "double-extension-html",
        start("photo.png.html", content_type="image/png"),
        422,
        ProblemCode.EXTENSION_MISMATCH,
    ),
    Case(
        "double-extension-exe",
        start("invoice.pdf.exe", content_type="application/pdf"),
        422,
        ProblemCode.EXTENSION_MISMATCH,
    ),
    Case(
        "double-extension-php",
        start("shell.jpg.php", content_type="image/jpeg"),
        422,
        ProblemCode.EXTENSION_MISMATCH,
    ),
    # Names as the user's machine saves them: Windows drops trailing dots and spaces, and
    # takes what follows the last dot of a dot-file as its extension.
    Case("trailing-dot-html", start("page.html.", content_type="text/plain"), 422, ProblemCode.EXTENSION_MISMATCH),
    Case("trailing-dot-exe", start("run.exe.", content_type="text/plain"), 422, ProblemCode.EXTENSION_MISMATCH),
    Case(
        "trailing-dot-space-dot", start("page.html. .", content_type="text/plain"), 422, ProblemCode.EXTENSION_MISMATCH
    ),
    Case("trailing-dots-svg", start("img.svg..", content_type="text/plain"), 422, ProblemCode.EXTENSION_MISMATCH),
    Case("trailing-space-bat", start("run.bat ", content_type="text/plain"), 422, ProblemCode.EXTENSION_MISMATCH),
    Case("dot-file-html", start(".html", content_type="text/plain"), 422, ProblemCode.EXTENSION_MISMATCH),
    Case("dot-file-exe-trailing-dot", start(".exe.", content_type="text/plain"), 422, ProblemCode.EXTENSION_MISMATCH),
    Case("only-dots", start("..."), 400, ProblemCode.INVALID_FILENAME),
    Case("only-dots-and-spaces", start(". . ."), 400, ProblemCode.INVALID_FILENAME),
    Case(
        "small-trailing-dot-html",
        small(b"hello <b>there</b><script>alert(1)</script>\n", "page.html.", "text/plain"),
        422,
        ProblemCode.EXTENSION_MISMATCH,
    ),
    Case("small-dot-file-html", small(b"hello\n", ".html", "text/plain"), 422, ProblemCode.EXTENSION_MISMATCH),
    Case("svg-named-png-content-html", small(HTML, "x.png.html"), 415, ProblemCode.TYPE_NOT_ALLOWED),
    Case("png-named-html", small(PNG_1X1, "pixel.html"), 422, ProblemCode.EXTENSION_MISMATCH),
    Case("png-double-extension-exe", small(PNG_1X1, "pixel.png.exe"), 422, ProblemCode.EXTENSION_MISMATCH),
    # Declared types outside the allow-list.
    Case("declared-html", start("a.html", content_type="text/html"), 415, ProblemCode.TYPE_NOT_ALLOWED),
    Case("declared-svg", start("a.svg", content_type="image/svg+xml"), 415, ProblemCode.TYPE_NOT_ALLOWED),
    Case(
        "declared-executable",
        start("a.exe", content_type="application/x-msdownload"),
        415,
        ProblemCode.TYPE_NOT_ALLOWED,
    ),
    Case(
        "declared-octet-stream",
        start("a.bin", content_type="application/octet-stream"),
        415,
        ProblemCode.TYPE_NOT_ALLOWED,
    ),
    # Sizes.
    Case("declared-empty", start(size=0), 422, ProblemCode.VALIDATION_FAILED),
    Case("declared-negative", start(size=-1), 422, ProblemCode.VALIDATION_FAILED),
    Case("declared-over-max", start(size=512 * 1024 * 1024 + 1), 413, ProblemCode.FILE_TOO_LARGE),
    Case(
        "declared-not-a-number",
        start_raw({"filename": "a.txt", "size": "six", "content_type": "text/plain"}),
        422,
        ProblemCode.VALIDATION_FAILED,
    ),
    Case("missing-fields", start_raw({"filename": "a.txt"}), 422, ProblemCode.VALIDATION_FAILED),
    Case(
        "not-json",
        lambda api: api.post("/api/v1/uploads", b"{nope", content_type="application/json"),
        400,
        None,
    ),
    Case("checksum-not-base64", start(checksum="not base64!"), 422, ProblemCode.INVALID_CHECKSUM),
    Case("checksum-hex-md5", start(checksum=hashlib.md5(b"x").hexdigest()), 422, ProblemCode.INVALID_CHECKSUM),
    Case("empty-small-file", small(b""), 422, ProblemCode.EMPTY_FILE),
    Case("small-file-over-limit", small(b"a" * (SMALL_LIMIT + 1)), 413, ProblemCode.FILE_TOO_LARGE),
    Case(
        "no-file-field",
        lambda api: api.post("/api/v1/files", {"other": "x"}),
        422,
        ProblemCode.VALIDATION_FAILED,
    ),
    # Content that is not what it claims.
    Case("text-declared-png", small(b"just text\n", "a.png", "image/png"), 422, ProblemCode.TYPE_MISMATCH),
    Case("html-posing-as-png", small(HTML, "a.png", "image/png"), 415, ProblemCode.TYPE_NOT_ALLOWED),
    Case("svg-posing-as-png", small(SVG, "a.png", "image/png"), 415, ProblemCode.TYPE_NOT_ALLOWED),
    Case("svg-as-text", small(SVG, "a.txt", "text/plain"), 415, ProblemCode.TYPE_NOT_ALLOWED),
    Case("html-as-text", small(HTML, "a.txt", "text/plain"), 415, ProblemCode.TYPE_NOT_ALLOWED),
    Case("xml-as-text", small(b"<?xml version='1.0'?><a/>", "a.txt"), 415, ProblemCode.TYPE_NOT_ALLOWED),
    Case("script-as-text", small(b"  <script>alert(1)</script>", "a.txt"), 415, ProblemCode.TYPE_NOT_ALLOWED),
    Case("elf-binary", small(b"\x7fELF\x02\x01\x01" + b"\x00" * 40, "a.txt"), 415, ProblemCode.TYPE_NOT_ALLOWED),
    Case("windows-executable", small(b"MZ\x90\x00\x03" + b"\x00" * 40), 415, ProblemCode.TYPE_NOT_ALLOWED),
    Case("zip-archive", small(b"PK\x03\x04" + b"\x00" * 40), 415, ProblemCode.TYPE_NOT_ALLOWED),
    # Markup behind the whitespace browsers skip when sniffing (WHATWG: tab, LF, FF, CR, space),
    # and the short tags of WHATWG's HTML table.
    Case(
        "html-after-form-feed",
        small(b"\x0c<html><script>alert(1)</script>", "a.txt"),
        415,
        ProblemCode.TYPE_NOT_ALLOWED,
    ),
    Case(
        "html-after-mixed-whitespace",
        small(b" \t\r\n\x0c<body onload=alert(1)>", "a.txt"),
        415,
        ProblemCode.TYPE_NOT_ALLOWED,
    ),
    Case("anchor-tag", small(b"<a>x</a><script>alert(1)</script>", "a.txt"), 415, ProblemCode.TYPE_NOT_ALLOWED),
    Case("bold-tag", small(b"<b>x</b><script>alert(1)</script>", "a.txt"), 415, ProblemCode.TYPE_NOT_ALLOWED),
    Case("paragraph-tag", small(b"<p>x<script>alert(1)</script>", "a.txt"), 415, ProblemCode.TYPE_NOT_ALLOWED),
    Case("heading-tag", small(b"<H1>x</H1><script>alert(1)</script>", "a.txt"), 415, ProblemCode.TYPE_NOT_ALLOWED),
    Case("table-tag", small(b"<table><tr><td>x", "a.txt"), 415, ProblemCode.TYPE_NOT_ALLOWED),
    Case("title-tag", small(b"<title>x</title>", "a.txt"), 415, ProblemCode.TYPE_NOT_ALLOWED),
    Case("font-tag", small(b"<font color=red>x", "a.txt"), 415, ProblemCode.TYPE_NOT_ALLOWED),
    Case("line-break-tag", small(b"<br>x<script>alert(1)</script>", "a.txt"), 415, ProblemCode.TYPE_NOT_ALLOWED),
    Case(
        "complete-html-after-form-feed",
        complete_after_put(declared=b"\x0c<html>x</html>", sent=b"\x0c<html>x</html>", checksum=False),
        415,
        ProblemCode.TYPE_NOT_ALLOWED,
    ),
    Case("utf16-text", small("hello".encode("utf-16"), "a.txt"), 415, ProblemCode.TYPE_NOT_ALLOWED),
    Case("text-with-nul", small(b"hello\x00world\n", "a.txt"), 415, ProblemCode.TYPE_NOT_ALLOWED),
    Case("invalid-utf8", small(b"caf\xe9 \xff\xfe\n", "a.txt"), 415, ProblemCode.TYPE_NOT_ALLOWED),
    Case("png-declared-pdf", small(PNG_1X1, "a.pdf", "application/pdf"), 422, ProblemCode.TYPE_MISMATCH),
    # Direct uploads whose bytes do not match the declaration.
    Case(
        "complete-checksum-mismatch",
        complete_after_put(declared=b"hello\n", sent=b"HELLO\n"),
        422,
        ProblemCode.CHECKSUM_MISMATCH,
    ),
    Case(
        "complete-png-declared-text",
        complete_after_put(declared=PNG_1X1, sent=PNG_1X1, checksum=False),
        422,
        ProblemCode.TYPE_MISMATCH,
    ),
    Case(
        "complete-html-declared-text",
        complete_after_put(declared=HTML, sent=HTML, filename="a.txt", checksum=False),
        415,
        ProblemCode.TYPE_NOT_ALLOWED,
    ),
    Case(
        "complete-before-put",
        lambda api: api.post(f"/api/v1/uploads/{start(size=6)(api).json()['id']}/complete"),
        409,
        ProblemCode.UPLOAD_MISSING,
    ),
    Case("complete-expired-upload", _expired_pending_upload, 410, ProblemCode.UPLOAD_EXPIRED),
    # Signed upload and download URLs.
    Case("upload-token-tampered", put_with(_tamper), 403, ProblemCode.SIGNED_URL_INVALID),
    Case("upload-token-payload-swapped", put_with(_swap_payload), 403, ProblemCode.SIGNED_URL_INVALID),
    Case("upload-token-expired", _expired_put, 403, ProblemCode.SIGNED_URL_EXPIRED),
    Case("upload-wrong-content-type", put_with(_wrong_type), 403, ProblemCode.SIGNED_HEADERS_MISMATCH),
    Case("upload-wrong-content-md5", put_with(_wrong_md5), 403, ProblemCode.SIGNED_HEADERS_MISMATCH),
    Case("upload-longer-body", put_with(_longer_body), 403, ProblemCode.SIGNED_HEADERS_MISMATCH),
    Case("upload-put-twice", _put_twice, 409, ProblemCode.ALREADY_UPLOADED),
    Case("upload-not-put", _post_to_upload_url, 405, ProblemCode.METHOD_NOT_ALLOWED),
    Case("upload-foreign-host", put_with(_foreign_host), 400, ProblemCode.BAD_REQUEST),
    Case(
        "upload-without-token",
        lambda api: signed_put("/files/local/upload/", b"x", headers={}),
        403,
        ProblemCode.SIGNED_URL_INVALID,
    ),
    Case("upload-chunked-without-length", _put_chunked, 403, ProblemCode.SIGNED_HEADERS_MISMATCH),
    Case("upload-after-delete", _put_after_delete, 410, ProblemCode.UPLOAD_GONE),
    Case("download-token-tampered", _tampered_download, 403, ProblemCode.SIGNED_URL_INVALID),
    Case("download-token-expired", _expired_download, 403, ProblemCode.SIGNED_URL_EXPIRED),
    # Pagination and identifiers.
    Case("cursor-garbage", lambda api: api.get("/api/v1/files?cursor=!!!"), 400, ProblemCode.INVALID_CURSOR),
    Case(
        "cursor-forged",
        lambda api: api.get("/api/v1/files?cursor=" + base64.urlsafe_b64encode(b"x|y").decode()),
        400,
        ProblemCode.INVALID_CURSOR,
    ),
    Case(
        "cursor-far-future", listed_after(made_up_cursor("9999-12-31T23:59:59-14:00")), 400, ProblemCode.INVALID_CURSOR
    ),
    Case("cursor-far-past", listed_after(made_up_cursor("0001-01-01T00:00:00+14:00")), 400, ProblemCode.INVALID_CURSOR),
    Case(
        "cursor-plausible-forgery",
        listed_after(made_up_cursor("2030-01-01T00:00:00+00:00")),
        400,
        ProblemCode.INVALID_CURSOR,
    ),
    Case("cursor-naive-datetime", listed_after(made_up_cursor("2030-01-01T00:00:00")), 400, ProblemCode.INVALID_CURSOR),
    Case(
        "cursor-overlong", lambda api: api.get("/api/v1/files?cursor=" + "A" * 5000), 422, ProblemCode.VALIDATION_FAILED
    ),
    Case("limit-zero", lambda api: api.get("/api/v1/files?limit=0"), 422, ProblemCode.VALIDATION_FAILED),
    Case("limit-huge", lambda api: api.get("/api/v1/files?limit=100000"), 422, ProblemCode.VALIDATION_FAILED),
    Case("file-id-not-uuid", lambda api: api.get("/api/v1/files/../../etc/passwd"), 404, None),
    Case(
        "unknown-file",
        lambda api: api.get("/api/v1/files/00000000-0000-0000-0000-000000000000"),
        404,
        ProblemCode.NOT_FOUND,
    ),
    # Paths, methods and hosts the API does not serve: problem details all the same.
    Case("unknown-api-path", lambda api: api.get("/api/v1/nope"), 404, ProblemCode.NOT_FOUND),
    Case("api-trailing-slash", lambda api: api.get("/api/v1/files/"), 404, ProblemCode.NOT_FOUND),
    Case("api-root", lambda api: api.get("/api/"), 404, ProblemCode.NOT_FOUND),
    Case("method-not-allowed", lambda api: generic(api, "PATCH", "/api/v1/me"), 405, ProblemCode.METHOD_NOT_ALLOWED),
    Case("put-on-collection", lambda api: generic(api, "PUT", "/api/v1/files"), 405, ProblemCode.METHOD_NOT_ALLOWED),
    Case(
        "foreign-host",
        lambda api: api.get("/api/v1/files", headers={"host": "evil.example"}),
        400,
        ProblemCode.BAD_REQUEST,
    ),
    Case("foreign-host-signed-download", _download_via_foreign_host, 400, ProblemCode.BAD_REQUEST),
    Case("signed-download-trailing-slash", _download_with_trailing_slash, 404, ProblemCode.NOT_FOUND),
    Case("signed-download-posted", _download_posted, 405, ProblemCode.METHOD_NOT_ALLOWED),
    Case("signed-upload-gone-path", lambda api: Client().get("/files/local/nope"), 404, ProblemCode.NOT_FOUND),
    # Bodies over the limit: the limit in bytes, never a setting's name.
    Case(
        "json-body-over-limit",
        lambda api: api.post(
            "/api/v1/uploads", b'{"filename": "' + b"a" * 2_000_000 + b'"}', content_type="application/json"
        ),
        413,
        ProblemCode.BODY_TOO_LARGE,
    ),
    # Authentication.
    Case(
        "bearer-garbage",
        lambda api: Client(headers={"Authorization": "Bearer nope"}).get("/api/v1/files"),
        401,
        ProblemCode.NOT_AUTHENTICATED,
    ),
    Case(
        "bearer-unknown-token",
        lambda api: Client(headers={"Authorization": "Bearer oeb_" + "x" * 43}).get("/api/v1/files"),
        401,
        ProblemCode.NOT_AUTHENTICATED,
    ),
    Case("no-credentials", lambda api: Client().get("/api/v1/files"), 401, ProblemCode.NOT_AUTHENTICATED),
]


def _key(path: Path, media_root: Path) -> str:
    """The key of the object a stored file belongs to (itself, or the object its digest describes)."""
    return path.relative_to(media_root).as_posix().removesuffix(".md5")


def _objects(media_root: Path) -> set[Path]:
    return {path for path in media_root.rglob("*") if path.is_file()} if media_root.exists() else set()


@pytest.fixture(autouse=True)
def small_limit(settings: Settings) -> None:
    settings.FILES_SMALL_UPLOAD_MAX_BYTES = SMALL_LIMIT


def test_corpus_has_at_least_fifty_cases() -> None:
    assert len(CASES) >= 50
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_abuse_case_answers_4xx_problem_and_stores_nothing(case: Case, alice_api: Client) -> None:
    media_root = Path(settings.MEDIA_ROOT)
    objects_before = _objects(media_root)
    ready_before = set(File.objects.filter(status=File.Status.READY).values_list("id", flat=True))

    response = case.send(alice_api)

    assert 400 <= response.status_code < 500, (
        response.status_code,
        getattr(response, "content", b""),
    )
    if case.status is not None:
        assert response.status_code == case.status, response.content
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    if case.code is not None:
        assert problem["code"] == case.code
    assert problem["code"] in set(ProblemCode)
    assert not [name for name in SETTING_NAMES if name in problem["detail"]], problem["detail"]
    new_ready = set(File.objects.filter(status=File.Status.READY).values_list("id", flat=True)) - ready_before
    assert not new_ready, "a rejected request left a ready file"
    # Objects written before the rejection (e.g. a verified-then-refused PUT) are gone.
    leftover = {
        path
        for path in _objects(media_root) - objects_before
        if not File.objects.filter(storage_key=_key(path, media_root), status=File.Status.PENDING).exists()
    }
    assert not leftover, f"objects left behind: {leftover}"
