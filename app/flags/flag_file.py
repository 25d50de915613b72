"""The flag file, kept in force: read at start-up, then looked at again every interval by a thread.

What is in force changes only when the file's content changes into a valid flag set. Anything
else leaves it as it is and is logged once, with the reason, until the content changes again:
a file that cannot be read or used (the last good flags stay), and a file that is not there
(at start-up the in-code defaults are in force; later the last good flags stay). The content
itself is compared, not the modification time, so a file replaced with an older one, or a
mounted secret whose new version keeps the old time, is seen too.
"""

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from app.flags.validation import FlagFileRefused, flag_set_from
from app.integrations.openfeature import FlagSet

logger = logging.getLogger(__name__)

LOADED = "flags loaded"
REFUSED = "flag file refused; the flags in force stay"
MISSING_AT_START = "flag file not found; the in-code defaults are in force"
GONE = "flag file is gone; the flags in force stay"
UNREADABLE = "flag file cannot be read; the flags in force stay"

_MISSING = b"\x00missing"
THREAD_NAME = "flag-file"


class FlagFile:
    """Puts the file's flags in force through `apply`, now and on every change seen by `watch`."""

    def __init__(self, path: Path, *, interval_seconds: float, apply: Callable[[FlagSet], None]) -> None:
        self.path = path
        self.interval_seconds = interval_seconds
        self._apply = apply
        self._seen: bytes | None = None
        self._has_loaded = False
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        # One look at a time: a look that finds the content another is still checking
        # returns only once that one has put it in force (or refused it).
        self._looking = threading.Lock()

    def _read(self) -> tuple[bytes, str | None]:
        """The file's content, or a stand-in for it (`_MISSING`, or one naming why it cannot be read) and why."""
        try:
            return self.path.read_bytes(), None
        except FileNotFoundError:
            return _MISSING, None
        except OSError as error:
            return b"\x00unreadable " + str(error).encode(), str(error)

    def load(self) -> None:
        """Looks at the file once and acts on what changed since the last look."""
        with self._looking:
            self._load()

    def _load(self) -> None:
        content, unreadable = self._read()
        if content == self._seen:
            return
        self._seen = content
        if unreadable is not None:
            logger.error(UNREADABLE, extra={"flags_file": str(self.path), "reason": unreadable})
            return
        if content == _MISSING:
            message = GONE if self._has_loaded else MISSING_AT_START
            logger.warning(message, extra={"flags_file": str(self.path)})
            return
        try:
            flag_set = flag_set_from(content)
        except FlagFileRefused as refused:
            reason = str(refused)
        else:
            self._put_in_force(flag_set)
            return
        logger.error(REFUSED, extra={"flags_file": str(self.path), "reason": reason})

    def _put_in_force(self, flag_set: FlagSet) -> None:
        self._apply(flag_set)
        self._has_loaded = True
        logger.info(
            LOADED,
            extra={"flags_file": str(self.path), "flags": list(flag_set.keys), "flag_set": dict(flag_set.metadata)},
        )

    def _watch(self) -> None:
        while not self._stopping.wait(self.interval_seconds):
            try:
                self.load()
            except Exception:
                # Whatever went wrong, the thread goes on: the next edit may fix it.
                logger.exception(REFUSED, extra={"flags_file": str(self.path)})

    def watch(self) -> None:
        """Starts the thread that looks at the file every interval (a daemon: it never holds up an exit)."""
        self._thread = threading.Thread(target=self._watch, name=THREAD_NAME, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
