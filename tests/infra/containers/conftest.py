"""The Dockerfile parsed into stages, and compose.yaml as the real Compose binary reads it."""

import json
import os
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import REPO_ROOT
from tests.support.tools import venv_tool

ROOT = REPO_ROOT
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE_FILE = ROOT / "compose.yaml"
ENV_EXAMPLE = ROOT / ".env.example"

# `image:tag@sha256:<64 hex>`; the tag may not be `latest`.
PINNED_IMAGE = re.compile(r"^(?P<name>[\w./-]+):(?P<tag>[\w][\w.-]*)@sha256:[0-9a-f]{64}$")


@dataclass
class Instruction:
    keyword: str
    arguments: str
    line: int

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form CMD/HEALTHCHECK/ENTRYPOINT, if it is one."""
        text = self.arguments
        if self.keyword == "HEALTHCHECK":
            text = text.split(" CMD ", 1)[1] if " CMD " in f" {text}" else ""
        text = text.strip()
        if not text.startswith("["):
            return None
        return json.loads(text)

    def options(self) -> dict[str, str]:
        """Leading `--name=value` options (FROM, COPY, RUN, HEALTHCHECK)."""
        found: dict[str, str] = {}
        for word in shlex.split(self.arguments):
            if not word.startswith("--"):
                break
            name, _, value = word[2:].partition("=")
            found[name] = value
        return found


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        found = self.all(keyword)
        return found[-1] if found else None


def dockerfile_parse(text: str) -> list[Stage]:
    """Splits a Dockerfile into stages of instructions (continuations joined, comments dropped)."""
    logical: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        logical.append((start, " ".join(part for part in pending if part)))
        pending = []
    stages: list[Stage] = []
    for line, statement in logical:
        keyword, _, arguments = statement.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = [w for w in arguments.split() if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=words[0], name=name))
        elif not stages:
            continue  # a global ARG before the first FROM
        stages[-1].instructions.append(Instruction(keyword, arguments.strip(), line))
    return stages


def clean_env(**extra: str) -> dict[str, str]:
    """A minimal environment, so no variable of the caller's shell leaks into Compose."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}
    env.update(extra)
    return env


def compose(*args: str, env_file: Path = ENV_EXAMPLE, **env: str) -> subprocess.CompletedProcess[str]:
    """The real Compose binary on compose.yaml; `env` wins over the env file, as a shell's would."""
    binary = venv_tool("docker-compose")
    return subprocess.run(
        [
            binary,
            "--project-directory",
            str(ROOT),
            "-f",
            str(COMPOSE_FILE),
            "--env-file",
            str(env_file),
            *args,
        ],
        capture_output=True,
        text=True,
        env=clean_env(**env),
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="session")
def stages() -> list[Stage]:
    return dockerfile_parse(DOCKERFILE.read_text())


@pytest.fixture(scope="session")
def final_stage(stages: list[Stage]) -> Stage:
    return stages[-1]


def compose_model(*profiles: str, interpolate: bool = True, **env: str) -> dict[str, Any]:
    profile_args = [arg for profile in profiles for arg in ("--profile", profile)]
    config_args = [] if interpolate else ["--no-interpolate"]
    result = compose(*profile_args, "config", "--format", "json", *config_args, env_file=ENV_EXAMPLE, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="session")
def compose_raw() -> dict[str, Any]:
    """compose.yaml as written: anchors merged, `${VAR}` left uninterpolated."""
    return compose_model("lgtm", interpolate=False)


@pytest.fixture(scope="session")
def compose_default() -> dict[str, Any]:
    """The model Compose runs for `docker compose up` with .env copied from .env.example."""
    return compose_model()


@pytest.fixture(scope="session")
def compose_bare() -> dict[str, Any]:
    """The model with no profile at all (COMPOSE_PROFILES emptied)."""
    return compose_model(COMPOSE_PROFILES="")


@pytest.fixture(scope="session")
def compose_all() -> dict[str, Any]:
    """The model with every profile switched on."""
    return compose_model("lgtm")
