"""A loopback TCP proxy that delays what it forwards: a slow network in front of a real server.

Minimal on purpose: one listener, one upstream, a delay (seconds) added to
every chunk sent towards the upstream, so every request/response round trip
takes at least that long. It is the seed of the fault proxy the chaos
experiments will need (Toxiproxy's `latency` toxic, upstream direction); a
fuller one belongs beside it, not in a second copy.
"""

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.support.ports import free_port


@dataclass
class LatencyProxy:
    """Listens on `port` and forwards to `upstream_port`; set `delay_seconds` at any time."""

    upstream_port: int
    port: int = field(default_factory=free_port)
    delay_seconds: float = 0.0

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, delayed: bool) -> None:
        try:
            while chunk := await reader.read(65536):
                if delayed and self.delay_seconds:
                    await asyncio.sleep(self.delay_seconds)
                writer.write(chunk)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def _connection(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            self._pipe(client_reader, upstream_writer, delayed=True),
            self._pipe(upstream_reader, client_writer, delayed=False),
        )


@contextmanager
def latency_proxy(upstream_port: int) -> Iterator[LatencyProxy]:
    """A running proxy on its own event loop thread; stops on exit."""
    proxy = LatencyProxy(upstream_port=upstream_port)
    loop = asyncio.new_event_loop()

    async def serve() -> asyncio.Server:
        return await asyncio.start_server(proxy._connection, "127.0.0.1", proxy.port)  # pyright: ignore[reportPrivateUsage]

    thread = threading.Thread(target=loop.run_forever, name="latency-proxy", daemon=True)
    thread.start()
    server = asyncio.run_coroutine_threadsafe(serve(), loop).result(timeout=5)
    try:
        yield proxy
    finally:
        loop.call_soon_threadsafe(server.close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
