"""Every Mermaid diagram in the repository's Markdown renders, as GitHub would draw it.

The Mermaid CLI (docs/tools/package-lock.json, installed by `npm ci`) renders each one in
headless Chromium (Debian's): one browser for all of them, and, when that fails, one per
diagram to name the ones that do not parse.
"""

import json
import subprocess
from pathlib import Path

import pytest

from tests.infra.docs.markdown import documents, fences
from tests.infra.docs.tour import chapters
from tests.support.paths import REPO_ROOT
from tests.support.tools import system_tool

Diagram = tuple[str, str]


def diagrams() -> list[Diagram]:
    """(where, source) of every ```mermaid block."""
    found: list[Diagram] = []
    for document in documents():
        blocks = [fence.body for fence in fences(document) if fence.lang == "mermaid"]
        found += [(f"{document.relative_to(REPO_ROOT)} #{index}", body) for index, body in enumerate(blocks, 1)]
    return found


def _render(mmdc: str, config: Path, sources: list[str], directory: Path) -> subprocess.CompletedProcess[str]:
    directory.mkdir()
    page = directory / "diagrams.md"
    page.write_text("".join(f"```mermaid\n{source}```\n\n" for source in sources))
    return subprocess.run(
        [
            mmdc,
            "--puppeteerConfigFile",
            str(config),
            "--input",
            str(page),
            "--output",
            str(directory / "out.md"),
            "--outputFormat",
            "svg",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_readme_and_every_chapter_have_a_picture() -> None:
    where = {name.split(" #")[0] for name, _ in diagrams()}
    assert {"README.md", *(str(chapter.relative_to(REPO_ROOT)) for chapter in chapters())} <= where


def test_every_diagram_renders(tmp_path: Path) -> None:
    mmdc = system_tool("mmdc", "npm ci --prefix docs/tools --ignore-scripts")
    chromium = system_tool("chromium", "apt-get install chromium")
    config = tmp_path / "puppeteer.json"
    # Root in a container has no user namespace for Chromium's sandbox.
    config.write_text(json.dumps({"executablePath": chromium, "args": ["--no-sandbox"]}))
    found = diagrams()

    rendered = _render(mmdc, config, [source for _, source in found], tmp_path / "all")
    if rendered.returncode != 0:
        broken = {
            name: failed.stderr.strip().splitlines()[:4]
            for index, (name, source) in enumerate(found)
            if (failed := _render(mmdc, config, [source], tmp_path / f"one-{index}")).returncode != 0
        }
        pytest.fail(f"diagrams that do not render: {broken or rendered.stderr}")

    svgs = sorted((tmp_path / "all").glob("out-*.svg"))
    assert len(svgs) == len(found)
    for svg in svgs:
        text = svg.read_text()
        assert text.startswith("<svg") and "Syntax error" not in text, svg.name
