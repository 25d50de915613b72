"""Real app processes as the fake Engine's containers, behind nginx standing in for the
routing mesh (requests spread over whichever replicas answer)."""

import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.infra.edge.nginx_runner import Edge, edge_running
from tests.support.live_app import app_serve_start, app_serve_stop
from tests.support.ports import free_port

# Round robin over every slot's port; a replica that is not there (yet, or any more) refuses
# the connection, and nginx passes the request to the next one, as the mesh only routes to
# running tasks.
_MESH_CONF = """\
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    upstream replicas {{
{servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://replicas;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_next_upstream error timeout;
        }}
    }}
}}
"""


class AppReplicas:
    """The fake Engine's runtime: slot N is `app serve` on the Nth port."""

    def __init__(self, env: Mapping[str, str], ports: Sequence[int], log_dir: Path) -> None:
        self._env = env
        self.ports = list(ports)
        self._log_dir = log_dir
        self._processes: dict[str, tuple[int, subprocess.Popen[bytes]]] = {}
        self._lock = threading.Lock()

    def start(self, container_id: str, slot: int) -> None:
        port = self.ports[slot - 1]
        process = app_serve_start(self._env, port=port, log_path=self._log_dir / f"replica-{slot}.log")
        with self._lock:
            self._processes[container_id] = (port, process)

    def is_ready(self, container_id: str) -> bool:
        with self._lock:
            port, process = self._processes[container_id]
        if process.poll() is not None:
            return False
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self, container_id: str) -> None:
        with self._lock:
            _, process = self._processes.pop(container_id)
        # Stopping takes a moment; the Engine does not wait for it either.
        threading.Thread(target=app_serve_stop, args=(process,), daemon=True).start()

    def pid(self, container_id: str) -> int | None:
        with self._lock:
            entry = self._processes.get(container_id)
        return entry[1].pid if entry and entry[1].poll() is None else None

    def stop_all(self) -> None:
        with self._lock:
            processes = [process for _, process in self._processes.values()]
            self._processes.clear()
        for process in processes:
            app_serve_stop(process)


@contextmanager
def mesh_running(prefix: Path, ports: Sequence[int]) -> Iterator[str]:
    """nginx spreading requests over the replicas' ports; yields its URL."""
    (prefix / "tmp").mkdir(parents=True, exist_ok=True)
    port = free_port()
    servers = "\n".join(f"        server 127.0.0.1:{each} max_fails=1 fail_timeout=1s;" for each in ports)
    conf = prefix / "conf" / "nginx.conf"
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text(_MESH_CONF.format(prefix=prefix, servers=servers, port=port))
    edge = Edge(target="mesh", prefix=prefix, env={"EDGE_HTTP_PORT": str(port)})
    with edge_running(edge):
        yield f"http://127.0.0.1:{port}"
