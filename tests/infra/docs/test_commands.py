"""Every example command in README.md and the guides starts what it says it starts.

The commands are read out of the Markdown, so a test and its example cannot
drift: `docker run`'s settings go through the production start-up check, and each
`docker compose` command goes through the real Compose binary up to the engine it would
talk to. The quick start and the tour's own commands run in test_tour.py.
"""

import functools
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.infra.containers.conftest import ROOT, compose, compose_model, dockerfile_parse
from tests.infra.docs.markdown import code_spans, documented_commands, documents, shell_blocks, shell_commands
from tests.support.production import production_env, run_app

# The Compose binary got through parsing, the project and the service names to the engine.
REACHED_THE_ENGINE = re.compile(r"docker API|Docker daemon")


def _app_subcommands(words: list[str]) -> Iterator[str]:
    """`X` of every `app X` in a command (`uv run app X`, `exec app app X`, `.venv/bin/app X`)."""
    for index, word in enumerate(words[:-1]):
        is_the_program = (word == "app" or word.endswith("/bin/app")) and words[index - 1 : index] != ["exec"]
        if is_the_program and re.fullmatch(r"[a-z_]+", words[index + 1]):
            yield words[index + 1]


def test_every_documented_app_command_exists(tmp_path: Path) -> None:
    documented = {
        subcommand
        for path in documents()
        for text in [*shell_blocks(path), *(span for span in code_spans(path) if span.startswith(("app ", "uv run")))]
        for words in shell_commands(text)
        for subcommand in _app_subcommands(words)
    }
    listed = run_app({"PATH": "/usr/bin:/bin", "APP_VAR_DIR": str(tmp_path)}, "help", "--commands")

    assert {"serve", "migrate", "createstaff", "issue_token"} <= documented
    assert documented - set(listed.stdout.split()) == set()


def _image_env(tmp_path: Path) -> dict[str, str]:
    """The final stage's ENV, with its directories moved under tmp_path."""
    final = dockerfile_parse((ROOT / "Dockerfile").read_text())[-1]
    env: dict[str, str] = {}
    for instruction in final.all("ENV"):
        for pair in shlex.split(instruction.arguments):
            name, _, value = pair.partition("=")
            if "$" not in value:
                env[name] = re.sub(r"^/app(?=/|$)", str(tmp_path), value)
    return env


def test_docker_run_example_passes_the_production_start_up_check(tmp_path: Path) -> None:
    served = [words for _, words in documented_commands(("docker", "run")) if "-p" in words]
    assert len(served) == 1, served
    words = served[0]
    settings = dict(words[i + 1].split("=", 1) for i, word in enumerate(words) if word == "-e")
    # The example's `...` stand for the operator's values: well-formed ones stand in here.
    stand_ins = production_env(tmp_path)
    for name, value in settings.items():
        if "..." in value:
            assert name in stand_ins, f"no well-formed stand-in for {name}"
            settings[name] = stand_ins[name]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)} | _image_env(tmp_path) | settings

    started = run_app(env, "check")

    assert env["DJANGO_ENV"] == "production"
    assert started.returncode == 0, started.stderr


@functools.cache
def _compose_with_every_profile() -> dict[str, Any]:
    return compose_model("lgtm")


def _compose_service_and_command(arguments: list[str]) -> tuple[str, str | None, list[str]]:
    """(subcommand, service, the command run in it) of `docker compose [globals] SUB [opts] [SERVICE [CMD]]`."""
    words = list(arguments)
    while words[0].startswith("-"):
        words = words[2:] if words[0] in {"--profile", "-f", "--file", "-p", "--project-name"} else words[1:]
    subcommand, rest = words[0], words[1:]
    positional = [word for word in rest if not word.startswith("-")]
    if subcommand not in {"run", "exec", "logs"} or not positional:
        return subcommand, None, []
    service = positional[0]
    return subcommand, service, rest[rest.index(service) + 1 :]


@pytest.mark.parametrize(
    "command",
    [words for _, words in documented_commands(("docker", "compose"))],
    ids=lambda words: " ".join(words[2:]),
)
def test_documented_compose_command_reaches_the_engine_and_runs_current_code(command: list[str]) -> None:
    arguments = command[2:]
    model = _compose_with_every_profile()
    subcommand, service, in_container = _compose_service_and_command(arguments)

    result = compose(*arguments, DOCKER_HOST="unix:///nonexistent/docker.sock")

    assert REACHED_THE_ENGINE.search(result.stderr), result.stderr
    if service is not None:
        assert service in model["services"], service
    # `up` and `run` start containers from built images, which they build only when missing:
    # without --build they run whatever the image held when it was last built.
    if subcommand in {"up", "run"}:
        assert "--build" in arguments, "runs a stale image after a pull or a new migration"
    # Code run in a running container is current only where develop.watch syncs it.
    if subcommand == "exec" and in_container[:1] == ["app"]:
        assert service is not None
        watch = model["services"][service].get("develop", {}).get("watch", [])
        assert any(rule["action"] == "sync" and rule["target"] == "/app/app" for rule in watch), service
