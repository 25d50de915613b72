"""Running the experiments: the `chaos run` command for one, and the `chaos` pipeline's driver.

    python -m ci.experiments.runner [--experiment NAME ...] --journals DIR

The driver runs where the app's image and Chaos Toolkit are (ci/chaos.py): it migrates, issues
an API token, serves the app with the image's own command (two workers) and runs each
experiment against it, one journal each. It exits 0 when every experiment passed; the
pipeline decides from the journals themselves (journal.deviations).

The test suite runs the same command per experiment against its own app
(tests/infra/chaos/test_experiments.py).
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from ci.experiments import journal

EXPERIMENTS_DIR: Final = Path(__file__).resolve().parent
# In the order they run: `sigterm` last, since it restarts the app.
EXPERIMENTS: Final = ("database-latency", "database-down", "storage-faults", "worker-killed", "sigterm")
# Bounds a run that hangs (each experiment's own pauses and loads are well under it).
RUN_TIMEOUT_SECONDS: Final = 300
CHAOS_USER_EMAIL: Final = "chaos@example.com"

ERROR_EXPERIMENT: Final = "unknown experiment {name!r}; one of {names}"
ERROR_NO_JOURNAL: Final = "chaos run wrote no journal (exit {code}): {output}"


def experiment_file(name: str) -> Path:
    if name not in EXPERIMENTS:
        raise ValueError(ERROR_EXPERIMENT.format(name=name, names=", ".join(EXPERIMENTS)))
    return EXPERIMENTS_DIR / f"{name}.json"


def chaos_command(name: str, *, journal_path: Path, chaos: str = "chaos") -> tuple[str, ...]:
    """`chaos run` for one experiment: the rollbacks always play, whatever happened before them."""
    return (
        chaos,
        "--no-version-check",
        # Its own detailed log beside the journal, not `chaostoolkit.log` wherever it runs.
        "--log-file",
        str(journal_path.with_suffix(".chaostoolkit.log")),
        "run",
        "--rollback-strategy",
        "always",
        "--journal-path",
        str(journal_path),
        str(experiment_file(name)),
    )


def run_experiment(name: str, *, env: Mapping[str, str], journal_dir: Path, chaos: str = "chaos") -> dict[str, Any]:
    """Runs one experiment and returns its journal (raises RuntimeError when none was written)."""
    journal_dir.mkdir(parents=True, exist_ok=True)
    journal_path = journal_dir / f"{name}.json"
    journal_path.unlink(missing_ok=True)
    result = subprocess.run(  # noqa: S603 - the command built above
        chaos_command(name, journal_path=journal_path, chaos=chaos),
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )
    (journal_dir / f"{name}.log").write_text(result.stdout + result.stderr)
    if not journal_path.exists():
        raise RuntimeError(
            ERROR_NO_JOURNAL.format(code=result.returncode, output=(result.stdout + result.stderr)[-2000:])
        )
    return json.loads(journal_path.read_text())


def app_variables(base_url: str, *, token: str, work_dir: Path, pid_file: Path, command: str) -> dict[str, str]:
    """What the experiment files read about the app they run against (their `env` configuration)."""
    return {
        "CHAOS_BASE_URL": base_url,
        "CHAOS_API_TOKEN": token,
        "CHAOS_WORK_DIR": str(work_dir),
        "CHAOS_APP_PID_FILE": str(pid_file),
        "CHAOS_APP_COMMAND": command,
    }


def _app(*args: str) -> str:
    return subprocess.run(["app", *args], capture_output=True, text=True, check=True).stdout.strip()  # noqa: S603, S607


def main(argv: Sequence[str] | None = None) -> int:
    """The pipeline's driver: serve the app here, run the experiments, print their reports."""
    from ci.experiments import actions

    parser = argparse.ArgumentParser(prog="python -m ci.experiments.runner")
    parser.add_argument("--experiment", action="append", choices=EXPERIMENTS, help="default: all, in order")
    parser.add_argument("--journals", type=Path, required=True, help="where each experiment's journal goes")
    parser.add_argument("--port", type=int, default=8000)
    arguments = parser.parse_args(argv)
    names = [name for name in EXPERIMENTS if name in (arguments.experiment or EXPERIMENTS)]

    work_dir = arguments.journals / "work"
    work_dir.mkdir(parents=True, exist_ok=True)
    base_url = f"http://127.0.0.1:{arguments.port}"
    pid_file = work_dir / "app.pid"
    command = f"app serve --host 127.0.0.1 --port {arguments.port} --workers 2 --no-migrate"
    _app("migrate", "--noinput")
    token = _app("issue_token", CHAOS_USER_EMAIL, "--create-user").splitlines()[-1]
    actions.app_start(base_url, command, str(pid_file))
    env = {**os.environ, **app_variables(base_url, token=token, work_dir=work_dir, pid_file=pid_file, command=command)}
    failed: list[str] = []
    try:
        for name in names:
            run = run_experiment(name, env=env, journal_dir=arguments.journals)
            print(journal.report(name, run), flush=True)
            if journal.deviations(run):
                failed.append(name)
    finally:
        actions.app_stop(str(pid_file))
    print(f"experiments: {len(names) - len(failed)} passed, {len(failed)} failed {shlex.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
