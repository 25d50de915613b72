"""Commands the tour cannot run here (```sh checked), checked by the real program's own parser.

Each checker takes a command's words (leading `NAME=value` assignments removed) and the
directory it runs in, relative to a checkout, and raises AssertionError saying what is
wrong. A program with no checker is an error: a command nobody checks can rot.
"""

import argparse
import contextlib
import io
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.support.paths import REPO_ROOT
from tests.support.tools import system_tool, venv_tool

# Where deploy/vm/README.md has the repository cloned.
CHECKOUT = "/opt/overengineered-backend/"
# The Compose binary and the Docker CLI got through parsing to the engine they would talk to.
REACHED_THE_ENGINE = re.compile(r"docker API|Docker daemon")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")

Checker = Callable[[list[str], Path], Path]


def _in_checkout(path: str, cwd: Path) -> Path:
    return REPO_ROOT / path.removeprefix(CHECKOUT) if path.startswith(CHECKOUT) else cwd / path


def _flags(words: list[str]) -> list[str]:
    """The options among the words, without their `=value`."""
    return [word.split("=", 1)[0] for word in words if word.startswith("-") and word not in {"-", "--"}]


def _help_names(help_text: str, flag: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", help_text) is not None


def _cd(words: list[str], cwd: Path) -> Path:
    target = cwd / words[1]
    assert target.is_dir(), f"cd into {words[1]}: no such directory in the repository"
    return target


def _cp(words: list[str], cwd: Path) -> Path:
    sources = [word for word in words[1:-1] if not word.startswith("-")]
    for source in sources:
        assert (cwd / source).exists(), f"cp {source}: no such file in the repository"
    return cwd


def _install(words: list[str], cwd: Path) -> Path:
    """`install -d DIR` makes a directory; `install [-m MODE] SRC DEST` copies a repository file."""
    operands = [
        word for index, word in enumerate(words[1:], 1) if not word.startswith("-") and words[index - 1] != "-m"
    ]
    if "-d" not in words:
        for source in operands[:-1]:
            assert _in_checkout(source, cwd).is_file(), f"install {source}: no such file in the repository"
    return cwd


def _script(words: list[str], cwd: Path) -> Path:
    """A script of the repository (at the VM's checkout path, or relative): executable and parsing."""
    script = _in_checkout(words[0], cwd)
    assert script.is_file() and os.access(script, os.X_OK), f"{words[0]}: no executable script in the repository"
    parsed = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True, check=False)
    assert parsed.returncode == 0, parsed.stderr
    return cwd


def _argparse(parser: Callable[[], argparse.ArgumentParser], arguments: list[str], program: str) -> None:
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
            parser().parse_args(arguments)
    except SystemExit as exit:
        raise AssertionError(f"{program} {' '.join(arguments)}: {errors.getvalue().strip()}") from exit


def _python(words: list[str], cwd: Path) -> Path:
    """`python ci/main.py ...` (also under `uv run` or `dagger run`) and `python -m ci.canary ...`."""
    if words[1:2] == ["ci/main.py"]:
        from ci.commands import parser

        _argparse(parser, words[2:], "python ci/main.py")
    elif words[1:3] == ["-m", "ci.canary"]:
        from ci.canary.cli import parser as canary_parser

        _argparse(canary_parser, words[3:], "python -m ci.canary")
    elif words[1:3] == ["-m", "ci.toolchain"]:
        assert len(words) == 3, "python -m ci.toolchain takes no arguments"
    else:
        raise AssertionError(f"no checker for `{' '.join(words[:3])}`")
    return cwd


def _docker(words: list[str], cwd: Path) -> Path:
    """The Docker CLI parses the command and stops at the engine (there is none here)."""
    if words[1:2] == ["compose"]:
        return cwd  # test_commands.py runs every documented `docker compose` through the Compose binary
    docker = system_tool("docker", "the Docker CLI: Debian's docker-cli, or Docker's static binary")
    arguments = _without_remote_engine(words[1:])
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    result = subprocess.run([docker, *arguments], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert REACHED_THE_ENGINE.search(result.stderr), f"docker {' '.join(arguments)}: {result.stderr.strip()}"
    return cwd


def _without_remote_engine(arguments: list[str]) -> list[str]:
    """The arguments without `-H/--host/--context`: the check must never reach a real engine over SSH."""
    kept: list[str] = []
    skip = False
    for word in arguments:
        if skip:
            skip = False
        elif word in {"-H", "--host", "--context"}:
            skip = True
        elif not word.startswith(("--host=", "--context=")):
            kept.append(word)
    return kept


def _terraform(words: list[str], cwd: Path) -> Path:
    terraform = system_tool("terraform", "Terraform from HashiCorp's releases")
    arguments = [word for word in words[1:] if not word.startswith("-chdir=")]
    command = arguments[0]
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "CHECKPOINT_DISABLE": "1"}
    help_text = subprocess.run(
        [terraform, "-help", command], env=env, capture_output=True, text=True, check=False
    ).stdout
    assert f"terraform [global options] {command}" in help_text, f"terraform has no command {command!r}"
    unknown = [flag for flag in _flags(arguments[1:]) if not _help_names(help_text, flag)]
    assert not unknown, f"terraform {command} has no options {unknown}"
    return cwd


def _k6(words: list[str], cwd: Path) -> Path:
    k6 = venv_tool("k6")
    help_text = subprocess.run([k6, words[1], "--help"], capture_output=True, text=True, check=True).stdout
    unknown = [flag for flag in _flags(words[2:]) if not _help_names(help_text, flag)]
    assert not unknown, f"k6 {words[1]} has no options {unknown}"
    scripts = [word for word in words[2:] if word.endswith(".js")]
    assert scripts and all((cwd / script).is_file() for script in scripts), f"no such k6 script: {scripts}"
    return cwd


def _pytest(words: list[str], cwd: Path) -> Path:
    """The selection collects at least one test (collection is pytest's parser of its arguments)."""
    paths = [word.split("::")[0] for word in words[1:] if word.startswith("tests/")]
    missing = [path for path in paths if not (REPO_ROOT / path).exists()]
    assert not missing, f"pytest: no such tests {missing}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("REQUIRE_")}
    if "DATABASE_URL" in os.environ:
        # This run's database: tests.plugin then starts no second PostgreSQL for a collection.
        env["TEST_DATABASE_URL"] = os.environ["DATABASE_URL"]
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *words[1:]],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert collected.returncode == 0, collected.stdout[-2000:] + collected.stderr[-2000:]
    assert re.search(r"^\d+(/\d+)? tests? (collected|selected)", collected.stdout, re.MULTILINE), collected.stdout
    return cwd


def _nix(words: list[str], cwd: Path) -> Path:
    nix = system_tool("nix", "apt-get install nix-bin")
    subcommand = words[1]
    options = words[2 : words.index("--command")] if "--command" in words else words[2:]
    help_text = subprocess.run(
        [nix, "--extra-experimental-features", "nix-command flakes", subcommand, "--help"],
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "NIX_PAGER": "cat", "PAGER": "cat"},
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    assert f"nix {subcommand}" in help_text, f"nix has no command {subcommand!r}"
    unknown = [
        flag
        for flag in _flags([*options, *(["--command"] if "--command" in words else [])])
        if not _help_names(help_text, flag)
    ]
    assert not unknown, f"nix {subcommand} has no options {unknown}"
    if "--command" in words:
        _check_words(words[words.index("--command") + 1 :], cwd)
    return cwd


def _certbot(words: list[str], cwd: Path) -> Path:
    certbot = system_tool("certbot", "apt-get install certbot")
    help_text = subprocess.run(
        [certbot, "--help", words[1]],
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"},
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    unknown = [flag for flag in _flags(words[2:]) if not _help_names(help_text, flag)]
    assert not unknown, f"certbot {words[1]} has no options {unknown}"
    return cwd


CHECKERS: dict[str, Checker] = {
    "cd": _cd,
    "cp": _cp,
    "install": _install,
    "python": _python,
    "docker": _docker,
    "terraform": _terraform,
    "k6": _k6,
    "pytest": _pytest,
    "nix": _nix,
    "certbot": _certbot,
}


def _check_words(words: list[str], cwd: Path) -> Path:
    while words and _ASSIGNMENT.match(words[0]):
        words = words[1:]
    # The runners in front of a command: `uv run X`, `dagger run [--progress P] X`.
    if words[:2] == ["uv", "run"]:
        return _check_words(words[2:], cwd)
    if words[:2] == ["dagger", "run"]:
        rest = words[2:]
        while rest and rest[0].startswith("-"):
            rest = rest[2:] if "=" not in rest[0] else rest[1:]
        return _check_words(rest, cwd)
    program = words[0]
    if program.startswith(CHECKOUT) or program.endswith(".sh"):
        return _script(words, cwd)
    checker = CHECKERS.get(program)
    assert checker is not None, f"no checker for `{program}`: run it in a ```sh block or add one to checkers.py"
    return checker(words, cwd)


def check_block(commands: list[list[str]]) -> None:
    """Checks a ```sh checked block's commands in turn; `cd` carries over to the next ones."""
    cwd = REPO_ROOT
    for words in commands:
        cwd = _check_words(words, cwd)
