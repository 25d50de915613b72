"""The files and settings the guides name exist: a moved file or a renamed variable fails here, by name."""

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.infra.docs.markdown import code_spans, documents, prose, shell_blocks, shell_commands
from tests.support.paths import REPO_ROOT

# Where deploy/vm/README.md has the repository cloned.
CHECKOUT = "/opt/overengineered-backend/"
# Local state and tool output: named in the guides, never in a checkout.
UNTRACKED = {"var", "build", ".venv", ".env"}
# `nginx/render.sh`, `deploy/vm/systemd/`, `certbot-renew.{service,timer}`, `bootstrap.sh`.
_PATH = re.compile(
    r"^[\w.{},-]+(/[\w.{},*-]+)*/?$",
)
_FILE_SUFFIX = re.compile(r"\.(sh|ya?ml|conf|template|alloy|json|toml|lock|service|timer|example|md|py|tf|nix)$")
_LINK = re.compile(r"\]\(([^)#\s]+)")


def _candidates(document: Path) -> Iterator[str]:
    for span in code_spans(document):
        yield from span.split()
    yield from _LINK.findall(document.read_text())
    for block in shell_blocks(document):
        for words in shell_commands(block):
            yield from (word for word in words if word.startswith(CHECKOUT))


def _expand(pattern: str) -> list[str]:
    """Brace alternatives, as the shell expands them: `a.{service,timer}`."""
    found = re.search(r"\{([^{}]*)\}", pattern)
    if not found:
        return [pattern]
    return [
        path
        for choice in found[1].split(",")
        for path in _expand(pattern[: found.start()] + choice + pattern[found.end() :])
    ]


def _repository_paths(document: Path) -> Iterator[tuple[str, list[Path]]]:
    """Each repository path the document names, with the directories it may be relative to."""
    for candidate in _candidates(document):
        token = candidate.strip()
        roots = [REPO_ROOT, document.parent]
        if token.startswith(CHECKOUT):
            token, roots = token.removeprefix(CHECKOUT), [REPO_ROOT]
        if "://" in token or token.startswith(("/", "~", "$")) or not _PATH.match(token):
            continue
        if "/" not in token.rstrip("/") and not _FILE_SUFFIX.search(token):
            continue
        first = token.split("/")[0]
        if first in UNTRACKED:
            continue
        # A path whose first part is nowhere in the repository (`media/`, `uploads/...`) is not one of its files.
        roots = [root for root in roots if any((root / part).exists() for part in _expand(first))]
        if roots:
            yield token, roots


@pytest.mark.parametrize("document", documents(), ids=lambda path: str(path.relative_to(REPO_ROOT)))
def test_every_repository_path_a_guide_names_exists(document: Path) -> None:
    missing = sorted(
        token
        for token, roots in _repository_paths(document)
        if not any((root / path).exists() for root in roots for path in _expand(token))
    )

    assert not missing, f"{document.relative_to(REPO_ROOT)} names paths the repository lacks: {missing}"


def test_the_guides_name_paths_at_all() -> None:
    named = {token for document in documents() for token, _ in _repository_paths(document)}

    assert {"nginx/render.sh", "deploy/vm/app.env.example", "alloy/config.alloy"} <= named


def _render_inputs() -> set[str]:
    """The variables render.sh reads from its environment (those it defaults or requires)."""
    return set(re.findall(r"\$\{(\w+):[=?-]", (REPO_ROOT / "nginx" / "render.sh").read_text()))


def _alloy_inputs() -> set[str]:
    return set(re.findall(r'sys\.env\("(\w+)"\)', (REPO_ROOT / "alloy" / "config.alloy").read_text()))


@pytest.mark.parametrize(
    ("guide", "prefixes", "inputs"),
    [
        ("nginx/README.md", ("EDGE_", "APP_", "FILES_"), _render_inputs),
        ("alloy/README.md", ("GRAFANA_CLOUD_",), _alloy_inputs),
    ],
)
def test_a_component_guide_names_exactly_the_settings_its_configuration_reads(
    guide: str, prefixes: tuple[str, ...], inputs: Callable[[], set[str]]
) -> None:
    named = {
        name
        for span in code_spans(REPO_ROOT / guide)
        for name in re.findall(r"\b[A-Z][A-Z0-9_]*[A-Z0-9]\b", span)
        if name.startswith(prefixes)
    }
    read = {name for name in inputs() if name.startswith(prefixes)}

    assert named - read == set(), "named in the guide, read by nothing"
    assert read - named == set(), "read, but the guide never says so"


# A Markdown link to a file of the repository, with its #anchor if any; web links aside.
_RELATIVE_LINK = re.compile(r"\]\((?![a-z]+:)([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*#*$", re.MULTILINE)


def _github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(document: Path) -> set[str]:
    found: set[str] = set()
    for heading in _HEADING.findall(prose(document)):
        anchor, count = _github_anchor(heading), 1
        while anchor in found:  # a repeated heading gets -1, -2, ...
            anchor, count = f"{_github_anchor(heading)}-{count}", count + 1
        found.add(anchor)
    return found


@pytest.mark.parametrize("document", documents(), ids=lambda path: str(path.relative_to(REPO_ROOT)))
def test_every_link_resolves_from_its_own_document(document: Path) -> None:
    """As GitHub follows it: relative to the document, to a heading that exists."""
    broken = []
    for target in _RELATIVE_LINK.findall(prose(document)):
        path, _, anchor = target.partition("#")
        resolved = (document.parent / path).resolve() if path else document
        if not resolved.exists() or (anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved)):
            broken.append(target)

    assert not broken, f"{document.relative_to(REPO_ROOT)} links to what is not there: {broken}"
