"""Demo mode: a seeded Graph emulator on a free loopback port and a ``demo`` remote for it.

Everything lives under ``data_dir()/demo``: the drive (kept between runs; ``reset`` starts
over), the emulator's throwaway CA (made on the first start, reused after), and a private
``config.toml`` holding only the demo remote. The user's real configuration and remotes are
never read or written, and the demo's tokens stay in memory, so each start goes through the
real device-code sign-in (which the emulator approves by itself after a few seconds).

The emulator runs in a process of its own, as a real service would: ``start_demo`` binds its
two listening sockets, writes the remote's addresses and hands the sockets to a child
``python -m core.demo``. So the app does not wait for the emulator: it draws its first frame
while the emulator starts on the other core, and its first requests wait in the sockets'
backlog until the emulator accepts. The emulator takes sign-ins at once and loads (or
seeds) the drive meanwhile; Graph requests wait for that. It ends, saving the drive, when
its standard input closes: when the app lets it go, and also when the app dies. One
emulator per demo drive (a lock file says which holds it).
"""

from __future__ import annotations

import argparse
import fcntl
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from core.config import Config, RemoteConfig, load_config
from core.dirs import data_dir, private_dir
from core.errors import SkypaneError

REMOTE = "demo"
#: Any well-formed id works with the emulator; this one spells out what it is.
CLIENT_ID = "00000000-0000-0000-0000-00000000de70"
#: Seconds before the emulator approves the demo's device code by itself.
AUTO_APPROVE_AFTER = 4.0
#: The device-code poll interval the emulator asks for (whole seconds, as Graph's).
POLL_INTERVAL = 1
HOST = "127.0.0.1"
#: Seconds the emulator gets, once let go, to finish requests, save the drive and end.
STOP_TIMEOUT = 15.0
#: Seconds a first start waits for the emulator to make its CA (the clients need its file).
TLS_TIMEOUT = 60.0
#: What the emulator process writes to its standard output, in this order: its CA made,
#: then the drive loaded and served.
TLS_READY = "tls"
SERVING = "serving"
LOG = "emulator.log"
#: Held by the running emulator: one demo drive, one emulator.
LOCK = "emulator.lock"
IN_USE = "another skypane --demo is using this demo drive"


def demo_dir() -> Path:
    return data_dir() / "demo"


class DemoError(SkypaneError):
    """The demo's emulator could not start."""


@dataclass
class DemoSession:
    """A running demo: stop it when the app exits."""

    process: subprocess.Popen[bytes]
    config: Config
    folder: Path
    #: Seconds after which the emulator approves a device code (None: it never does).
    auto_approve_after: float | None
    remote: RemoteConfig = field(init=False)

    def __post_init__(self) -> None:
        self.remote = self.config.remote(REMOTE)

    def wait_for(self, line: str, timeout: float = TLS_TIMEOUT) -> None:
        """Until the emulator says ``line`` (``TLS_READY``, then ``SERVING``); ``DemoError``
        with its log when it ends or stays silent instead."""
        out = self.process.stdout
        assert out is not None
        while True:
            said = _read_line(out, timeout)
            if said is None:
                self.process.kill()
                self.process.wait()
                tail = self.log_tail()
                last = tail.splitlines()[-1] if tail else "it said nothing"
                raise DemoError(
                    f"the demo's emulator did not start: {last} (its log: {self.folder / LOG})",
                    detail=tail or None,
                )
            if said == line:
                return

    def log_tail(self, lines: int = 20) -> str:
        """The end of what the emulator wrote to its log (why it failed, when it did)."""
        try:
            text = (self.folder / LOG).read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Let the emulator go: it finishes what is in flight, saves the drive and ends."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def _read_line(stream: IO[bytes], timeout: float) -> str | None:
    """One line of the child's output, or None at its end or after ``timeout`` seconds."""
    import selectors

    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout):
            return None
    line = stream.readline()
    return line.decode(errors="replace").strip() if line else None


def _in_use(folder: Path) -> bool:
    """Whether an emulator holds the demo drive in ``folder``."""
    try:
        with open(folder / LOCK, "rb") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except FileNotFoundError:
        return False
    except BlockingIOError:
        return True
    return False


def _listen() -> socket.socket:
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP
    # (see core.emulator.server).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.bind((HOST, 0))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def start_demo(
    *, reset: bool = False, auto_approve_after: float | None = AUTO_APPROVE_AFTER
) -> DemoSession:
    """Start (or continue) the demo drive and return its session at once: the emulator
    loads in its own process while the caller goes on (requests wait until it accepts)."""
    folder = demo_dir()
    if reset and folder.exists():
        if _in_use(folder):
            raise DemoError(f"{IN_USE}: quit it before starting the demo over")
        shutil.rmtree(folder)
    private_dir(folder)
    tls_dir = folder / "drive" / "tls"
    ca_bundle = tls_dir / "ca.pem"
    first_start = not (ca_bundle.exists() and (tls_dir / "server.pem").exists())
    graph, files = _listen(), _listen()
    command = [
        sys.executable,
        "-P",  # the user's folder never shadows a module
        "-m",
        "core.demo",
        "--folder",
        str(folder),
        "--graph-fd",
        str(graph.fileno()),
        "--files-fd",
        str(files.fileno()),
    ]
    if auto_approve_after is not None:
        command += ["--approve-after", str(auto_approve_after)]
    try:
        with open(folder / LOG, "wb") as log:
            process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                bufsize=0,  # lines are read as they come (see _read_line)
                stderr=log,
                pass_fds=(graph.fileno(), files.fileno()),
                cwd=folder,
                # its own session: the terminal's signals go to the app, which lets it go
                start_new_session=True,
            )
        base = f"https://{HOST}:{graph.getsockname()[1]}"
    finally:
        graph.close()
        files.close()
    config = load_config(folder / "config.toml")
    config.set_remote(
        RemoteConfig(
            REMOTE,
            "onedrive",
            {
                "client_id": CLIENT_ID,
                "tenant": "common",
                "authority": f"{base}/common",
                "graph_url": f"{base}/v1.0",
                "ca_bundle": str(ca_bundle),
                "drive_type": "business",
            },
        )
    )
    config.save()
    session = DemoSession(process, config, folder, auto_approve_after)
    if first_start:  # the clients read the CA's file when they connect: it must be there
        try:
            session.wait_for(TLS_READY)
        except BaseException:
            session.stop()
            raise
    return session


# ------------------------------------------------------------------ the emulator's process


def serve(argv: list[str]) -> int:
    """The demo's emulator: serve on the sockets handed over until standard input closes."""
    parser = argparse.ArgumentParser(prog="python -m core.demo")
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--graph-fd", type=int, required=True)
    parser.add_argument("--files-fd", type=int, required=True)
    parser.add_argument("--approve-after", type=float)
    args = parser.parse_args(argv)

    from core.emulator import Emulator, EmulatorConfig, start_server
    from core.emulator.tls import make_tls

    lock = open(args.folder / LOCK, "wb")  # noqa: SIM115 (held until the process ends)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"{IN_USE}: quit it first", file=sys.stderr)
        return 3
    drive_dir = args.folder / "drive"
    make_tls(drive_dir / "tls")  # once per demo home; start_server reuses it
    print(TLS_READY, flush=True)
    emulator = Emulator(
        EmulatorConfig(
            flavour="business",
            state_dir=drive_dir,
            seed="demo",  # only when the folder holds no drive yet
            device_code_interval=POLL_INTERVAL,
            auto_approve_after=args.approve_after,
        ),
        load_later=True,  # sign-in is served while the drive loads: it needs none of it
    )
    try:
        sockets = (socket.socket(fileno=args.graph_fd), socket.socket(fileno=args.files_fd))
        server = start_server(emulator, sockets=sockets)
    except BaseException:
        emulator.close()
        raise
    try:
        emulator.finish_loading()
        print(SERVING, flush=True)
        sys.stdin.buffer.read()  # until the app lets go (or ends, however it ends)
    finally:
        server.stop()  # saves the drive
        emulator.close()
    return 0


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1:]))
