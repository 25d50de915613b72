"""Cursors are the API's own: signed when issued, anything else refused with 400 on every database."""

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from app.core.problems import Problem, ProblemCode
from app.files.selectors import FileRow, cursor_decode, cursor_encode
from tests.support.api import made_up_cursor
from tests.support.live_app import LiveApp


def test_an_issued_cursor_comes_back_as_its_position_and_a_changed_one_is_refused() -> None:
    created_at = datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    file = FileRow(uuid.uuid4(), "a.txt", "text/plain", 1, "", "ready", created_at, created_at)
    cursor = cursor_encode(file)
    assert cursor_decode(cursor) == (file.created_at, file.id)
    assert len(cursor) <= 200  # the query parameter's bound
    for changed in (cursor[:-1] + ("A" if cursor[-1] != "A" else "B"), "A" + cursor[1:], cursor + "x"):
        with pytest.raises(Problem) as raised:
            cursor_decode(changed)
        assert raised.value.code == ProblemCode.INVALID_CURSOR


@pytest.mark.parametrize("created_at", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
def test_a_made_up_cursor_answers_400_on_sqlite_too(embedded_pair: tuple[LiveApp, LiveApp], created_at: str) -> None:
    app = embedded_pair[0]
    answer = httpx.get(
        f"{app.base_url}/api/v1/files",
        params={"cursor": made_up_cursor(created_at)},
        headers={"Authorization": f"Bearer {app.token}"},
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == ProblemCode.INVALID_CURSOR
