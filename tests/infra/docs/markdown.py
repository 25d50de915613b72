"""The shell examples and code spans of the repository's Markdown, as the tests read them."""

import re
import shlex
import textwrap
from dataclasses import dataclass
from pathlib import Path

from tests.support.paths import REPO_ROOT

_SKIPPED_DIRS = {".git", ".venv", "var", "build", "node_modules"}
# Fences may be indented (inside a list item); their bodies are then dedented. After the
# language, an info string may follow (```sh serve): renderers show only the language.
_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<lang>\w*)(?:[ \t]+(?P<info>[^\n`]*?))?[ \t]*\n(?P<body>.*?)^[ \t]*```",
    re.MULTILINE | re.DOTALL,
)
_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def documents() -> list[Path]:
    """Every Markdown file of the repository: README.md and the guides it links to."""
    return sorted(
        path for path in REPO_ROOT.rglob("*.md") if not _SKIPPED_DIRS.intersection(path.relative_to(REPO_ROOT).parts)
    )


@dataclass(frozen=True)
class Fence:
    """One fenced block: its language, the words after it, its body, and where it ends."""

    lang: str
    info: tuple[str, ...]
    body: str
    end: int


def fences(path: Path) -> list[Fence]:
    """Every fenced block of the document, in order."""
    return [
        Fence(match["lang"], tuple((match["info"] or "").split()), textwrap.dedent(match["body"]), match.end())
        for match in _FENCE.finditer(path.read_text())
    ]


def shell_blocks(path: Path) -> list[str]:
    """The bodies of the document's ```sh blocks, whatever follows the language."""
    return [fence.body for fence in fences(path) if fence.lang == "sh"]


def shell_commands(block: str) -> list[list[str]]:
    """Each command of a block as words: continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", block)
    commands: list[list[str]] = []
    for line in joined.splitlines():
        for command in re.split(r"\s&&\s", line):
            words = shlex.split(command, comments=True)
            if words:
                commands.append(words)
    return commands


def documented_commands(program: tuple[str, ...]) -> list[tuple[Path, list[str]]]:
    """Every command of every document that starts with `program` (e.g. ("docker", "compose"))."""
    return [
        (path, words)
        for path in documents()
        for block in shell_blocks(path)
        for words in shell_commands(block)
        if tuple(words[: len(program)]) == program
    ]


def prose(path: Path) -> str:
    """The document without its fenced blocks."""
    return _FENCE.sub("", path.read_text())


def code_spans(path: Path) -> list[str]:
    """The document's inline `code`, fenced blocks left out."""
    return _CODE_SPAN.findall(prose(path))
