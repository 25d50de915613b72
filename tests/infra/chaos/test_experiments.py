"""The chaos experiments (ci/experiments/*.json), run for real with Chaos Toolkit's own `chaos
run`, as the pipeline runs them: the app under uvicorn with two workers and the `perf`
pipeline's production settings, a PostgreSQL cluster of its own (stopped and started with
pg_ctl), the GCS emulator, the fault proxy standing in for Toxiproxy in front of both, and
the dev dependencies' k6 for the steady state's burst.

Each experiment's journal must show no deviation (ci/experiments/journal.py); `-s` prints each
one's figures: what failed while the fault was on, for how long, and the recovery.
"""

import logging
import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ci.experiments import actions, journal, runner
from tests.support.fault_proxy import fault_proxy_server
from tests.support.gcs import Emulator
from tests.support.live_app import LiveApp
from tests.support.paths import REPO_ROOT
from tests.support.perf_app import perf_app
from tests.support.postgres import postgres_cluster_new
from tests.support.tools import venv_tool


@dataclass(frozen=True)
class Stack:
    app: LiveApp
    env: dict[str, str]
    journals: Path


@pytest.fixture(scope="module")
def stack(gcs_emulator: Emulator, gcs_signing_key: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    cluster = postgres_cluster_new()
    if cluster is None:
        pytest.skip("needs PostgreSQL binaries (CI sets REQUIRE_POSTGRES)")
    cluster.start()  # its own: the experiments stop it
    # The emulator logs every request it serves: thousands here.
    emulator_log = logging.getLogger("gcp_storage_emulator")
    emulator_log.setLevel(logging.WARNING)
    work = tmp_path_factory.mktemp("chaos")
    pid_file = work / "app.pid"
    try:
        with fault_proxy_server() as toxiproxy:
            postgres_port = toxiproxy.proxy_add("postgres", upstream_port=cluster.port)
            gcs_port = toxiproxy.proxy_add("gcs", upstream_port=int(gcs_emulator.url.rsplit(":", 1)[1]))
            proxied = Emulator(url=f"http://127.0.0.1:{gcs_port}", server=None)
            # Clients fetch signed URLs from storage directly: only the app's own path to it is faulted.
            direct = {"GCS_PUBLIC_ENDPOINT": gcs_emulator.url}
            with perf_app(cluster, proxied, gcs_signing_key, workers=2, database_port=postgres_port, env=direct) as app:
                pid_file.write_text(str(app.process.pid))
                serve = [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(app.port)]
                start = shlex.join(cluster.resume_command())
                status = shlex.join(cluster.command("pg_ctl", "-D", str(cluster.root / "data"), "status"))
                command = shlex.join([*serve, "--workers", "2", "--no-migrate"])
                env = {
                    **app.env,
                    **runner.app_variables(
                        app.base_url, token=app.token, work_dir=work, pid_file=pid_file, command=command
                    ),
                    "PYTHONPATH": str(REPO_ROOT),
                    "CHAOS_K6": venv_tool("k6"),
                    "TOXIPROXY_URL": toxiproxy.api_url,
                    "CHAOS_DATABASE_STOP": shlex.join(cluster.pause_command()),
                    # Started only if stopped: the rollback plays whatever the method did.
                    "CHAOS_DATABASE_START": shlex.join(["sh", "-c", f"{status} >/dev/null || {start}"]),
                }
                try:
                    yield Stack(app=app, env=env, journals=work / "journals")
                finally:
                    # `sigterm` replaced the app the fixture started with one of its own.
                    actions.app_stop(str(pid_file))
    finally:
        cluster.stop()
        emulator_log.setLevel(logging.NOTSET)


@pytest.mark.parametrize("name", runner.EXPERIMENTS)
def test_experiment_holds_its_steady_state_through_the_fault(name: str, stack: Stack) -> None:
    run = runner.run_experiment(name, env=stack.env, journal_dir=stack.journals, chaos=venv_tool("chaos"))
    print(journal.report(name, run))
    assert journal.deviations(run) == [], (stack.journals / f"{name}.log").read_text()[-4000:]
