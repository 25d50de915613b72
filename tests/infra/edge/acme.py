"""A real ACME server on loopback: pebble, resolving names through pebble-challtestsrv."""

import json
import os
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.infra.edge.certs import Authority
from tests.support.ports import free_port

START_TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class Pebble:
    directory_url: str
    ca_bundle: Path


def _spawn(
    stack: ExitStack, command: list[str], log: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env)

    def stop() -> None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()

    stack.callback(stop)
    return process


def _wait_until(url: str, *, verify: ssl.SSLContext | bool, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited:\n{log.read_text()}")
        try:
            httpx.get(url, verify=verify, timeout=1)
        except httpx.TransportError:
            time.sleep(0.05)
        else:
            return
    raise RuntimeError(f"{url} did not answer:\n{log.read_text()}")


@contextmanager
def pebble_running(workdir: Path, *, http_port: int) -> Iterator[Pebble]:
    """pebble validating HTTP-01 on 127.0.0.1:http_port (where nginx answers for the webroot)."""
    workdir.mkdir(parents=True, exist_ok=True)
    authority = Authority.create("pebble TLS test CA")
    ca_bundle = authority.write(workdir / "pebble-ca.pem")
    authority.issue(workdir / "pebble.pem", workdir / "pebble.key", hosts=("127.0.0.1", "localhost"))
    dns_port, challtest_port, acme_port, management_port = (free_port() for _ in range(4))
    (workdir / "pebble.json").write_text(
        json.dumps(
            {
                "pebble": {
                    "listenAddress": f"127.0.0.1:{acme_port}",
                    "managementListenAddress": f"127.0.0.1:{management_port}",
                    "certificate": str(workdir / "pebble.pem"),
                    "privateKey": str(workdir / "pebble.key"),
                    "httpPort": http_port,
                    "tlsPort": free_port(),
                    "ocspResponderURL": "",
                    "externalAccountBindingRequired": False,
                }
            }
        )
    )
    with ExitStack() as stack:
        challtest_log = workdir / "challtestsrv.log"
        challtest = _spawn(
            stack,
            [
                "pebble-challtestsrv",
                "-defaultIPv4", "127.0.0.1",
                "-defaultIPv6", "",
                "-dns01", f"127.0.0.1:{dns_port}",
                "-http01", "",
                "-https01", "",
                "-tlsalpn01", "",
                "-management", f"127.0.0.1:{challtest_port}",
            ],
            challtest_log,
        )  # fmt: skip
        _wait_until(
            f"http://127.0.0.1:{challtest_port}/",
            verify=False,
            process=challtest,
            log=challtest_log,
        )
        pebble_log = workdir / "pebble.log"
        env = {**os.environ, "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0"}
        pebble = _spawn(
            stack,
            [
                "pebble",
                "-config",
                str(workdir / "pebble.json"),
                "-dnsserver",
                f"127.0.0.1:{dns_port}",
            ],
            pebble_log,
            env,
        )
        directory_url = f"https://127.0.0.1:{acme_port}/dir"
        _wait_until(
            directory_url,
            verify=ssl.create_default_context(cafile=ca_bundle),
            process=pebble,
            log=pebble_log,
        )
        yield Pebble(directory_url=directory_url, ca_bundle=ca_bundle)
