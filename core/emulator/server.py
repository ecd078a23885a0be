"""Run the emulator over real TLS with uvicorn in a background thread."""

from __future__ import annotations

import logging
import socket
import tempfile
import threading
from pathlib import Path
from types import TracebackType

import uvicorn

from .app import create_app
from .emulator import Emulator
from .faults import ConnectionDropped
from .tls import TlsFiles, make_tls

#: Seconds ``RunningServer.stop`` lets requests in flight finish before dropping connections.
GRACE = 1.0


class _HideDeliberateDrops(logging.Filter):
    """uvicorn logs a traceback for every dropped connection; ours are on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionDropped)


class RunningServer:
    """A TLS emulator serving on ``127.0.0.1:port`` until :meth:`stop`.

    Graph and sign-in answer on ``port``; the pre-authenticated URLs it hands out (downloads,
    upload sessions, copy monitors) on ``files_port``, another origin as on the real service.
    """

    def __init__(
        self,
        emulator: Emulator,
        server: uvicorn.Server,
        thread: threading.Thread,
        host: str,
        port: int,
        files_port: int,
        tls: TlsFiles,
        temp: tempfile.TemporaryDirectory[str] | None,
    ) -> None:
        self.emulator = emulator
        self.host = host
        self.port = port
        self.files_port = files_port
        self.tls = tls
        self._server = server
        self._thread = thread
        self._temp = temp

    @property
    def base_url(self) -> str:
        return f"https://{self._authority_host}:{self.port}"

    @property
    def files_url(self) -> str:
        """Origin of the pre-authenticated URLs (``https://127.0.0.1:<files_port>``)."""
        return f"https://{self._authority_host}:{self.files_port}"

    @property
    def _authority_host(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    @property
    def graph_url(self) -> str:
        return f"{self.base_url}/v1.0"

    @property
    def authority(self) -> str:
        return f"{self.base_url}/common"

    @property
    def verification_url(self) -> str:
        return f"{self.base_url}/devicelogin"

    @property
    def ca_bundle(self) -> Path:
        return self.tls.ca_bundle

    def stop(self) -> None:
        """Stop serving and wait for the thread to end.

        Requests in flight get ``GRACE`` seconds; then open connections are dropped. A
        client that keeps an idle keep-alive connection (often on the very event loop that
        is blocked in this call, so it cannot answer TLS's close) does not hold it up.
        """
        self._server.should_exit = True
        self._thread.join(timeout=GRACE)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout=10)
        self.emulator.save()
        if self._temp is not None:
            self._temp.cleanup()
            self._temp = None

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP,
    # and without it Nagle + delayed ACKs add ~40 ms to every request.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def start_server(
    emulator: Emulator,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    files_port: int = 0,
    tls_dir: Path | None = None,
    sockets: tuple[socket.socket, socket.socket] | None = None,
) -> RunningServer:
    """Serve ``emulator`` over HTTPS in a background thread; returns once it accepts.

    Two listeners on ``host``: Graph and sign-in on ``port``, pre-authenticated URLs on
    ``files_port`` (0 = any free port, for either). ``sockets``: the two listening already
    (Graph's first), bound by whoever started this process, which could hand out their
    addresses before the emulator was loaded; ``host`` and the ports are then theirs.

    The certificate comes from a throwaway CA whose PEM is :attr:`RunningServer.ca_bundle`
    (kept in ``state_dir/tls`` for a folder-backed emulator, else in a temporary folder).
    """
    temp: tempfile.TemporaryDirectory[str] | None = None
    if tls_dir is None:
        if emulator.config.state_dir is not None:
            tls_dir = emulator.config.state_dir / "tls"
        else:
            temp = tempfile.TemporaryDirectory(prefix="skypane-emulator-tls-")
            tls_dir = Path(temp.name)
    tls = make_tls(tls_dir)
    if sockets is not None:
        sock, files_sock = sockets
        for listening in sockets:
            listening.setblocking(False)
        host = sock.getsockname()[0]
    else:
        sock = _listen(host, port)
        try:
            files_sock = _listen(host, files_port)
        except OSError:
            sock.close()
            raise
    actual_port = sock.getsockname()[1]
    actual_files_port = files_sock.getsockname()[1]
    logging.getLogger("uvicorn.error").addFilter(_HideDeliberateDrops())
    config = uvicorn.Config(
        create_app(emulator, files_port=actual_files_port),
        ssl_certfile=str(tls.server_pem),
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_keep_alive=30,
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock, files_sock])
        except BaseException as exc:
            failure.append(exc)
        finally:
            sock.close()
            files_sock.close()

    thread = threading.Thread(target=run, name=f"skypane-emulator-{actual_port}", daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        thread.join(timeout=0.01)
    if failure or not server.started:
        raise RuntimeError(f"the emulator did not start: {failure[0] if failure else 'unknown'}")
    return RunningServer(emulator, server, thread, host, actual_port, actual_files_port, tls, temp)
