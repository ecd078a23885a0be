"""A real HTTP CONNECT proxy for tests: tunnels to 127.0.0.1 ports and remembers each
``CONNECT`` it was asked for (TLS passes through it end to end, as through a corporate proxy)."""

from __future__ import annotations

import asyncio
import contextlib
import threading


class ConnectProxy:
    """Use as ``with ConnectProxy() as proxy:``; ``proxy.url`` for HTTPS_PROXY,
    ``proxy.tunnels`` the authorities (``host:port``) asked for, in order."""

    def __init__(self) -> None:
        self.tunnels: list[str] = []
        #: The Proxy-Authorization header of each CONNECT (None where there was none).
        self.credentials: list[str | None] = []
        #: Answer every CONNECT with 403, as a proxy whose rules forbid the host.
        self.refuse = False
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="connect-proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ConnectProxy:
        self._thread.start()
        if not self._ready.wait(60):
            raise RuntimeError("the proxy did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            assert self._server is not None
            self._server.close()
            for writer in list(self._writers):
                writer.close()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(60)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(60)
        self._loop.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        tasks = [t for t in asyncio.all_tasks(self._loop) if not t.done()]
        for task in tasks:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            method, authority, _ = head.split(b"\r\n", 1)[0].split(b" ", 2)
            host, _, port = authority.decode().rpartition(":")
            if self.refuse or method != b"CONNECT" or host not in ("127.0.0.1", "localhost"):
                writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            self.tunnels.append(authority.decode())
            self.credentials.append(_header(head, b"proxy-authorization"))
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", int(port))
            self._writers.add(up_writer)
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        except (OSError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()


def _header(head: bytes, name: bytes) -> str | None:
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip().decode("latin-1")
    return None


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(256 * 1024):
            writer.write(data)
            await writer.drain()
    with contextlib.suppress(OSError):
        writer.close()
