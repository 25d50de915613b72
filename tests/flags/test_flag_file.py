"""The flag file while the app runs: edits come into force, bad ones change nothing and are logged once."""

import logging
import threading
import time
from pathlib import Path

import pytest

from app import flags
from app.accounts.models import User
from app.flags.catalog import CDN_DOWNLOADS, UPLOADS_ENABLED
from app.flags.flag_file import GONE, LOADED, MISSING_AT_START, REFUSED, THREAD_NAME, UNREADABLE, FlagFile
from app.flags.validation import NOT_JSON, UNKNOWN_DEFAULT_VARIANT
from tests.support.flags import TEST_POLL_INTERVAL_MS, flag_file_write, flags_running, repo_flags, with_flag

SOMEONE = User(email="someone@example.com", is_staff=False)


def _messages(caplog: pytest.LogCaptureFixture, message: str) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.getMessage() == message]


def test_a_missing_file_at_start_up_leaves_the_in_code_defaults_and_says_so_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "flags.json"
    with caplog.at_level(logging.INFO, logger="app.flags"), flags_running(path) as flag_file:
        for _ in range(3):
            flag_file.load()
        answer = flags.evaluation(UPLOADS_ENABLED, SOMEONE)
        assert (answer.value, answer.variant, answer.reason) == (True, None, "default")
        assert [vars(r)["flags_file"] for r in _messages(caplog, MISSING_AT_START)] == [str(path)]
        # The file appears later: it is loaded.
        flag_file_write(path, with_flag(repo_flags(), "uploads-enabled", defaultVariant="off"))
        flag_file.load()
        assert flags.is_on(UPLOADS_ENABLED, SOMEONE) is False
        assert len(_messages(caplog, LOADED)) == 1


def test_bad_files_keep_the_last_good_flags_and_each_is_logged_once_with_its_reason(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "flags.json"
    flag_file_write(path, with_flag(repo_flags(), "uploads-enabled", defaultVariant="off"))
    with caplog.at_level(logging.INFO, logger="app.flags"), flags_running(path) as flag_file:
        assert flags.is_on(UPLOADS_ENABLED, SOMEONE) is False

        flag_file_write(path, b'{"flags": ')
        for _ in range(3):
            flag_file.load()
        assert flags.is_on(UPLOADS_ENABLED, SOMEONE) is False
        refused = _messages(caplog, REFUSED)
        assert len(refused) == 1
        assert refused[0].levelno == logging.ERROR
        assert vars(refused[0])["reason"].startswith(NOT_JSON.split("{")[0])

        flag_file_write(path, with_flag(repo_flags(), "uploads-enabled", defaultVariant="of"))
        for _ in range(3):
            flag_file.load()
        assert flags.is_on(UPLOADS_ENABLED, SOMEONE) is False
        refused = _messages(caplog, REFUSED)
        assert len(refused) == 2
        assert vars(refused[1])["reason"] == UNKNOWN_DEFAULT_VARIANT.format(key="uploads-enabled", variant="of")

        path.unlink()
        for _ in range(3):
            flag_file.load()
        assert flags.is_on(UPLOADS_ENABLED, SOMEONE) is False
        assert len(_messages(caplog, GONE)) == 1

        flag_file_write(path, repo_flags())
        flag_file.load()
        assert flags.is_on(UPLOADS_ENABLED, SOMEONE) is True
        assert len(_messages(caplog, LOADED)) == 2


def test_an_unreadable_file_keeps_the_last_good_flags(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "flags.json"
    flag_file_write(path, with_flag(repo_flags(), "cdn-downloads", defaultVariant="off"))
    with caplog.at_level(logging.INFO, logger="app.flags"), flags_running(path) as flag_file:
        path.unlink()
        path.mkdir()  # reading a directory fails, as a file without read permission does (root reads those)
        flag_file.load()
        flag_file.load()
        assert flags.is_on(CDN_DOWNLOADS, SOMEONE) is False
        assert len(_messages(caplog, UNREADABLE)) == 1


def test_the_watch_puts_an_edit_in_force_within_the_poll_interval(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    flag_file_write(path, repo_flags())
    with flags_running(path):
        assert flags.is_on(UPLOADS_ENABLED, SOMEONE) is True
        written = time.monotonic()
        flag_file_write(path, with_flag(repo_flags(), "uploads-enabled", defaultVariant="off"))
        # Nothing here calls load(): the watch thread does.
        while flags.is_on(UPLOADS_ENABLED, SOMEONE):
            assert time.monotonic() - written < 10, "the edit never came into force"
            time.sleep(TEST_POLL_INTERVAL_MS / 10_000)


def test_starting_twice_in_one_process_is_refused(tmp_path: Path) -> None:
    with flags_running(tmp_path / "flags.json"), pytest.raises(RuntimeError):
        flags.start(tmp_path / "flags.json")


def test_the_watch_thread_stops(tmp_path: Path) -> None:
    flag_file = FlagFile(tmp_path / "flags.json", interval_seconds=0.01, apply=lambda flag_set: None)
    flag_file.watch()
    flag_file.stop()
    assert THREAD_NAME not in {thread.name for thread in threading.enumerate()}
