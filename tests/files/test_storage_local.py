"""Embedded mode's storage: objects written whole and durable, each with the MD5 computed on the way."""

import base64
import hashlib
import io
from pathlib import Path

import pytest

from app.files.storage.local import STREAM_ENDED_EARLY, LocalStorage

KEY = "uploads/owner/file"
CONTENT = b"the bytes of an upload\n"


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


@pytest.fixture
def local(tmp_path: Path) -> LocalStorage:
    return LocalStorage(root=tmp_path)


def _write(local: LocalStorage, content: bytes = CONTENT, *, size: int | None = None) -> None:
    size = len(content) if size is None else size
    local.write(KEY, io.BytesIO(content), size=size, content_type="text/plain", filename="a.txt")


def _md5(local: LocalStorage) -> str | None:
    found = local.info(KEY)
    assert found is not None
    return found.md5_b64


def test_the_md5_computed_while_writing_is_what_info_reports_without_reading_again(local: LocalStorage) -> None:
    _write(local)
    assert _md5(local) == md5_b64(CONTENT)
    # Changed behind storage's back, same size: info still answers what was written, so it did not read the bytes.
    local.path(KEY).write_bytes(CONTENT.upper())
    assert _md5(local) == md5_b64(CONTENT)


def test_an_object_without_its_digest_or_with_a_stale_one_is_read_once(local: LocalStorage) -> None:
    _write(local)
    digest = local.path(KEY).with_name("file.md5")
    digest.unlink()
    assert _md5(local) == md5_b64(CONTENT)
    digest.write_text(f"{len(CONTENT) + 1} {md5_b64(b'other')}\n")
    assert _md5(local) == md5_b64(CONTENT)
    digest.write_text("torn")
    assert _md5(local) == md5_b64(CONTENT)


def test_digests_are_not_objects_and_go_with_theirs(local: LocalStorage) -> None:
    _write(local)
    assert [key for key, _ in local.listing("uploads/")] == [KEY]
    local.delete(KEY)
    assert local.info(KEY) is None
    assert not [path for path in local.root.rglob("*") if path.is_file()]


def test_a_stream_that_ends_short_stores_nothing_and_keeps_what_was_there(local: LocalStorage) -> None:
    _write(local)
    with pytest.raises(ValueError, match=STREAM_ENDED_EARLY.format(missing=1, size=len(CONTENT) + 1)):
        _write(local, CONTENT.upper(), size=len(CONTENT) + 1)
    assert local.read_head(KEY, 100) == CONTENT
    assert _md5(local) == md5_b64(CONTENT)
    assert sorted(path.name for path in local.path(KEY).parent.iterdir()) == ["file", "file.md5"]
