"""The guided tour (docs/) as the tests read and run it: chapters, their steps, one shell session.

docs/README.md states the conventions to authors; in short, a chapter's ```sh blocks are
run in order, in one shell session shared by the whole tour (`set -e`), in a
directory laid out like a checkout; ```sh serve is a server the reader leaves running in a
terminal of its own; ```sh checked is not run here, each of its commands is checked by its
CLI's own parser (tests/infra/docs/checkers.py); a ```text block right after a run block is
what the reader should see.
"""

import os
import queue
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.infra.docs.markdown import fences
from tests.support.paths import REPO_ROOT
from tests.support.ports import free_port

TOUR_DIR = REPO_ROOT / "docs"
RUN, SERVE, CHECKED = "run", "serve", "checked"
KINDS = (RUN, SERVE, CHECKED)
# In expected output, `...` stands for any text.
WILDCARD = "..."
# Local state and tool output: never laid into the sandbox (the tour makes its own var/).
NOT_IN_A_CHECKOUT = {".git", ".venv", "var", "build", "node_modules", ".pytest_cache", ".ruff_cache"}
STEP_TIMEOUT_SECONDS = 120
SERVE_TIMEOUT_SECONDS = 60
# The addresses the tour names; each gets a free port in the test.
_DOCUMENTED_PORT = re.compile(r"(?:127\.0\.0\.1|localhost):(\d{4,5})\b|--port[ =](\d{4,5})\b|_PORT=(\d{4,5})\b")
# A serve block names its address in a comment: `# http://127.0.0.1:8000`.
_SERVED_URL = re.compile(r"#.*?(https?://127\.0\.0\.1:\d+)")
_MARKER = "@@tour-step-done@@"


@dataclass(frozen=True)
class Step:
    """One ```sh block of a chapter: how it is taken, its commands, and the output it promises."""

    chapter: Path
    kind: str
    body: str
    expected: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        first = next((line for line in self.body.splitlines() if line.strip()), "")
        return f"{self.chapter.name}: {first.strip()}"


def chapters() -> list[Path]:
    """The tour's chapters in reading order: docs/NN-name.md."""
    return sorted(TOUR_DIR.glob("[0-9][0-9]-*.md"))


def steps(chapter: Path) -> list[Step]:
    """The chapter's ```sh blocks, each with the ```text block that follows it, if any."""
    blocks = fences(chapter)
    found: list[Step] = []
    for index, block in enumerate(blocks):
        if block.lang != "sh":
            continue
        kind = block.info[0] if block.info else RUN
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        expected = ()
        if kind == RUN and following is not None and following.lang == "text":
            expected = tuple(line for line in following.body.splitlines() if line.strip())
        found.append(Step(chapter, kind, block.body, expected))
    return found


def all_steps(kinds: Iterable[str] = KINDS) -> list[Step]:
    wanted = set(kinds)
    return [step for chapter in chapters() for step in steps(chapter) if step.kind in wanted]


def documented_ports(texts: Iterable[str]) -> set[int]:
    return {
        int(next(group for group in match.groups() if group))
        for text in texts
        for match in _DOCUMENTED_PORT.finditer(text)
    }


def with_ports(text: str, ports: dict[int, int]) -> str:
    """The text with each documented port replaced by the test's own."""
    if not ports:
        return text
    alternatives = "|".join(str(port) for port in ports)
    return re.sub(rf"(?<!\d)({alternatives})(?!\d)", lambda match: str(ports[int(match[1])]), text)


def unmatched(expected: Iterable[str], output: str) -> list[str]:
    """The expected lines not found in the output, in order (`...` matches any text)."""
    lines = output.splitlines()
    position = 0
    for index, pattern in enumerate(expected := list(expected)):
        regex = re.compile(".*".join(re.escape(part) for part in pattern.strip().split(WILDCARD)))
        while position < len(lines) and not regex.search(lines[position]):
            position += 1
        if position == len(lines):
            return expected[index:]
        position += 1
    return []


def lay_out_checkout(directory: Path) -> None:
    """A directory that looks like a fresh clone: the repository's files, linked; an empty var/."""
    for entry in REPO_ROOT.iterdir():
        if entry.name not in NOT_IN_A_CHECKOUT:
            (directory / entry.name).symlink_to(entry)
    (directory / "var").mkdir()


class Session:
    """A reader's terminals: one shell for the commands, and the servers left running beside it."""

    def __init__(self, directory: Path, env: dict[str, str], ports: dict[int, int]) -> None:
        self.directory = directory
        self.env = env
        self.ports = ports
        self._servers: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
        self._count = 0
        self._shell = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            cwd=directory,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self._send("set -e\ntrap 'echo \"tour: exit $? from: $BASH_COMMAND\" >&2' ERR\n")

    def _read(self) -> None:
        assert self._shell.stdout is not None
        for line in self._shell.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def _send(self, text: str) -> None:
        assert self._shell.stdin is not None
        self._shell.stdin.write(text)
        self._shell.stdin.flush()

    def _script(self, step: Step) -> Path:
        self._count += 1
        script = self.directory / "var" / f".tour-step-{self._count}.sh"
        script.write_text(with_ports(step.body, self.ports))
        return script

    def run(self, step: Step) -> str:
        """Runs a ```sh block in the shell; its output, or AssertionError with it."""
        script = self._script(step)
        # The block's own stdin is nothing: a command that prompts fails instead of eating the session.
        self._send(f". {script} </dev/null\nprintf '\\n%s\\n' '{_MARKER}'\n")
        output: list[str] = []
        deadline = time.monotonic() + STEP_TIMEOUT_SECONDS
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(
                    f"{step.name}: no end after {STEP_TIMEOUT_SECONDS} s:\n" + "\n".join(output)
                ) from None
            if line is None:
                raise AssertionError(f"{step.name} failed:\n" + "\n".join(output))
            if line == _MARKER:
                return "\n".join(output)
            output.append(line)

    def serve(self, step: Step) -> str:
        """Starts a ```sh serve block as the reader's other terminal; waits for the address it names."""
        body = with_ports(step.body, self.ports)
        found = _SERVED_URL.search(body)
        assert found, f"{step.name}: a serve block names the address it serves (# http://127.0.0.1:PORT)"
        url = found[1]
        if "app serve" in body and "--port" not in body:
            body = body.replace("app serve", f"app serve --port {url.rsplit(':', 1)[1]}", 1)
        self.stop(url)  # the reader stops the old one (Ctrl-C) before starting it again
        self._count += 1
        log = self.directory / "var" / f".tour-server-{self._count}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                ["bash", "-c", body],
                cwd=self.directory,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._servers[url] = (process, log)
        deadline = time.monotonic() + SERVE_TIMEOUT_SECONDS
        while not _answers(f"{url}/healthz"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{step.name} did not serve {url}:\n{log.read_text()}")
            time.sleep(0.2)
        return url

    def stop(self, url: str) -> None:
        if url in self._servers:
            _terminate(self._servers.pop(url)[0])
            _wait_until_closed(url)

    def close(self) -> None:
        for url in list(self._servers):
            self.stop(url)
        if self._shell.stdin is not None:
            self._shell.stdin.close()
        _terminate(self._shell)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1, verify=False).status_code == 200  # noqa: S501 - the tour's own self-signed edge
    except httpx.TransportError:
        return False


def _terminate(process: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_until_closed(url: str) -> None:
    """`uv run` exits before the server it started has let go of its port: wait for the port."""
    address = httpx.URL(url)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex((address.host, address.port or 80)) != 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"{url} still answers after its server was stopped")


def tour_ports(step_list: Iterable[Step]) -> dict[int, int]:
    """A free port for each port the tour's run and serve blocks name."""
    texts = [step.body for step in step_list if step.kind != CHECKED]
    ports: dict[int, int] = {}
    for documented in sorted(documented_ports(texts)):
        # Two ports must never coincide: the app would export its telemetry to itself.
        while (port := free_port()) in ports.values():
            pass
        ports[documented] = port
    return ports


def run_in_order(session: Session, step_list: Iterable[Step]) -> Iterator[tuple[Step, str]]:
    """Each run or serve step taken in turn, with what it printed (the address, for a server)."""
    for step in step_list:
        if step.kind == SERVE:
            yield step, session.serve(step)
        elif step.kind == RUN:
            yield step, session.run(step)
