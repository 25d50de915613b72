"""The experiments' own actions (Chaos Toolkit's Python provider), for what Toxiproxy does not do:
stopping the database where it can be stopped, signalling the app's processes, starting the
app again, and marking when a fault starts and ends for the verdict on the load.

Network faults are chaostoolkit-toxiproxy's actions in the experiment files themselves.
"""

import os
import shlex
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Final

import requests
from chaoslib.exceptions import ActivityFailed
from chaostoxi.proxy import actions as toxiproxy

from ci.experiments.api import RunFiles

POLL_SECONDS: Final = 0.05
# uvicorn's own steps after the grace period (closing, the lifespan), on a loaded machine.
EXIT_MARGIN_SECONDS: Final = 3
DATABASE_PROXY: Final = "postgres"

ERROR_NO_WORKER: Final = "the app (pid {pid}) has no worker processes to kill"
ERROR_NOT_REPLACED: Final = "worker {pid} was not replaced within {limit} s (workers now: {workers})"
ERROR_NO_EXIT: Final = "the app (pid {pid}) did not exit within {limit} s of SIGTERM"
ERROR_NOT_STARTED: Final = "the app did not answer /healthz within {limit} s of `{command}` (log: {log})"
ERROR_COMMAND: Final = "`{command}` exited {code}: {output}"


def mark(work_dir: str, experiment: str, event: str) -> float:
    """Records that `event` (`fault`, `fault-removed`) happens now."""
    RunFiles.of(work_dir, experiment).mark(event)
    return time.time()


def _run(command: str) -> None:
    # From /: a command run as another user (runuser) may not enter this directory.
    result = subprocess.run(shlex.split(command), capture_output=True, text=True, check=False, cwd="/")  # noqa: S603
    if result.returncode != 0:
        raise ActivityFailed(ERROR_COMMAND.format(command=command, code=result.returncode, output=result.stderr[-500:]))


def database_stop(configuration: dict[str, Any]) -> bool:
    """Stops the database: with `database_stop_command` configured (a local cluster: pg_ctl
    stop, open connections cut), that command; otherwise Toxiproxy takes its proxy down, which
    cuts open connections and refuses new ones (the pipeline, where PostgreSQL is a service)."""
    command = configuration.get("database_stop_command")
    if command:
        _run(command)
        return True
    return toxiproxy.disable_proxy(DATABASE_PROXY, configuration=configuration)


def database_start(configuration: dict[str, Any]) -> bool:
    """Starts the database again, the way `database_stop` stopped it."""
    command = configuration.get("database_start_command")
    if command:
        _run(command)
        return True
    return toxiproxy.enable_proxy(DATABASE_PROXY, configuration=configuration)


def _pid(pid_file: str) -> int:
    return int(Path(pid_file).read_text().strip())


def _is_running(pid: int) -> bool:
    """Alive and not a zombie waiting for its parent to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def workers(pid: int) -> list[int]:
    """The worker processes uvicorn's supervisor (pid) runs: the children it spawned, not
    multiprocessing's resource tracker beside them."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return []
    return [int(child) for child in children if _is_running(int(child)) and _is_spawned(int(child))]


def _is_spawned(pid: int) -> bool:
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False


def worker_kill(app_pid_file: str, within_s: float = 10) -> dict[str, float]:
    """SIGKILLs one of the app's workers and waits until the supervisor runs as many as before
    again, the killed one not among them: its pid and the seconds that took."""
    pid = _pid(app_pid_file)
    running = workers(pid)
    if not running:
        raise ActivityFailed(ERROR_NO_WORKER.format(pid=pid))
    killed = running[0]
    os.kill(killed, signal.SIGKILL)
    started = time.monotonic()
    while time.monotonic() - started <= within_s:
        now = workers(pid)
        if len(now) == len(running) and killed not in now:
            return {"killed": killed, "replaced_in_s": round(time.monotonic() - started, 2)}
        time.sleep(POLL_SECONDS)
    raise ActivityFailed(ERROR_NOT_REPLACED.format(pid=killed, limit=within_s, workers=workers(pid)))


def app_terminate(app_pid_file: str, grace_s: float) -> float:
    """SIGTERMs the app's supervisor; returns the seconds it took to exit, within its grace
    period `grace_s` (SHUTDOWN_GRACE_SECONDS) and the margin uvicorn needs after it."""
    pid = _pid(app_pid_file)
    os.kill(pid, signal.SIGTERM)
    started = time.monotonic()
    while _is_running(pid):
        if time.monotonic() - started > grace_s + EXIT_MARGIN_SECONDS:
            raise ActivityFailed(ERROR_NO_EXIT.format(pid=pid, limit=grace_s + EXIT_MARGIN_SECONDS))
        time.sleep(POLL_SECONDS)
    return round(time.monotonic() - started, 2)


def _healthy(base_url: str) -> bool:
    try:
        return requests.get(f"{base_url}/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def app_start(base_url: str, app_command: str, app_pid_file: str, within_s: float = 60, if_down: bool = False) -> float:
    """Starts the app with `app_command` (this process's environment), as an orchestrator
    replaces a stopped container; writes its pid file and returns the seconds until /healthz
    answered. With `if_down` (a rollback), an app that answers is left alone."""
    if if_down and _healthy(base_url):
        return 0.0
    log = Path(app_pid_file).with_suffix(".log")
    with log.open("ab") as output:
        process = subprocess.Popen(  # noqa: S603 - the configured command
            shlex.split(app_command), stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    Path(app_pid_file).write_text(str(process.pid))
    started = time.monotonic()
    while time.monotonic() - started <= within_s:
        if _healthy(base_url):
            return round(time.monotonic() - started, 2)
        if process.poll() is not None:
            break
        time.sleep(POLL_SECONDS * 2)
    raise ActivityFailed(ERROR_NOT_STARTED.format(limit=within_s, command=app_command, log=log))


def app_stop(app_pid_file: str, grace_s: float = 10) -> None:
    """Stops whatever app the pid file names (the harness's clean-up)."""
    path = Path(app_pid_file)
    if not path.exists():
        return
    pid = _pid(app_pid_file)
    if not _is_running(pid):
        return
    os.kill(pid, signal.SIGTERM)
    started = time.monotonic()
    while _is_running(pid):
        if time.monotonic() - started > grace_s:
            os.kill(pid, signal.SIGKILL)
            return
        time.sleep(POLL_SECONDS)
