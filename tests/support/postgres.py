"""A throwaway PostgreSQL cluster on loopback, for tests and benchmarks.

Postgres refuses to run as root, so as root the cluster belongs to the
`postgres` user and its commands run through `runuser`.
"""

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.support.ports import free_port


def postgres_bin_dir() -> Path | None:
    """The newest installed server's bin directory, found at run time."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: int(path.parent.name))
    for candidate in reversed(candidates):
        if (candidate / "pg_ctl").exists():
            return candidate
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


@dataclass
class PostgresCluster:
    bin_dir: Path
    port: int
    root: Path

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def database_url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def command(self, *argv: str) -> list[str]:
        """One of the server's programs with its arguments, as the cluster's owner."""
        command = [str(self.bin_dir / argv[0]), *argv[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return command

    def _run(self, *argv: str) -> None:
        subprocess.run(self.command(*argv), check=True, capture_output=True, cwd="/")

    def version(self) -> str:
        out = subprocess.run(
            [str(self.bin_dir / "postgres"), "--version"],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()

    def start(self, *, listen_addresses: str = "127.0.0.1") -> None:
        """initdb and start; `listen_addresses=""` serves the unix socket (in `root`) only."""
        self._run("initdb", "--no-sync", "-U", "postgres", "-A", "trust", "-D", str(self.root / "data"))
        self.resume(listen_addresses=listen_addresses)

    def pause_command(self) -> list[str]:
        return self.command("pg_ctl", "-D", str(self.root / "data"), "-m", "fast", "-w", "stop")

    def pause(self) -> None:
        """Stops the server (as an outage would: open connections are cut), keeping its data."""
        subprocess.run(self.pause_command(), check=True, capture_output=True, cwd="/")

    def resume_command(self, *, listen_addresses: str = "127.0.0.1") -> list[str]:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses='{listen_addresses}' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        data = str(self.root / "data")
        return self.command("pg_ctl", "-D", data, "-o", options, "-l", str(self.root / "log"), "-w", "start")

    def resume(self, *, listen_addresses: str = "127.0.0.1") -> None:
        """Starts the server on its port; returns once it accepts connections."""
        subprocess.run(self.resume_command(listen_addresses=listen_addresses), check=True, capture_output=True, cwd="/")

    def create_database(self, name: str) -> str:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return self.database_url(name)

    def stop(self) -> None:
        """Stops the server and removes the cluster; a cluster never started only loses its directory."""
        try:
            if (self.root / "data" / "postmaster.pid").exists():  # started, and not paused
                self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def postgres_cluster_new() -> PostgresCluster | None:
    """A cluster ready to `start()`, or None when no Postgres binaries exist."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        return None
    root = Path(tempfile.mkdtemp(prefix="pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    return PostgresCluster(bin_dir=bin_dir, port=free_port(), root=root)
