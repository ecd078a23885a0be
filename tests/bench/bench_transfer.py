"""Transfer engine figures against the TLS Graph emulator, and rclone on the same work.

Run: python3 -m uv run python tests/bench/bench_transfer.py [--size-mib 1024] [--files 1000]
     [--file-kib 16] [--no-rclone]

Prints one JSON object: per row wall seconds, MB/s, client CPU seconds (user+sys) and peak
RSS of the client process, for skypane and (when ``rclone`` is installed) rclone, and the
ratio skypane/rclone of each figure. Rows: 1 GiB upload, 1 GiB download, many small files
up, and down.

Both clients are separate processes measured the same way (``os.wait4`` rusage); the
emulator runs in a third process so neither client is charged for it. rclone reaches the
emulator as ``graph.microsoft.com`` (and its files host as ``graph.microsoft.com`` on the
files port) through a small HTTPS CONNECT proxy in this process,
with ``--ca-cert`` (the emulator's certificate also names graph.microsoft.com); TLS is
verified for both clients.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024
CLIENT_ID = "00000000-0000-0000-0000-00000000c0de"


# -- the emulator process --------------------------------------------------------------


def serve(tls_dir: str) -> None:
    """Child process: serve a Personal drive over TLS until stdin closes."""
    from core.emulator import Emulator, EmulatorConfig, start_server

    # rclone 1.60 (Debian's) sends its bearer token with upload fragments; the emulator
    # refuses that by default, as the docs say the service may, and accepts it with the
    # switch real accounts behave like. skypane never sends one (its tests use the default).
    em = Emulator(
        EmulatorConfig(
            flavour="personal",
            quota_total=64 * 1024**3,
            access_token_lifetime=86400,
            accept_bearer_on_preauth=True,
        )
    )
    server = start_server(em, tls_dir=Path(tls_dir))
    token = em.issue_tokens(client_id=CLIENT_ID, base_url=server.base_url)["access_token"]
    info = {
        "port": server.port,
        "files_port": server.files_port,
        "graph_url": server.graph_url,
        "authority": server.authority,
        "ca": str(server.ca_bundle),
        "drive_id": em.drive_id,
        "drive_type": em.drive.drive_type,
        "token": token,
    }
    print(json.dumps(info), flush=True)
    sys.stdin.read()
    server.stop()
    em.close()


def make_certs(directory: Path) -> None:
    """A CA and a server certificate for 127.0.0.1, localhost and graph.microsoft.com."""
    import trustme

    ca = trustme.CA(organization_name="skypane bench")
    cert = ca.issue_cert("127.0.0.1", "localhost", "::1", "graph.microsoft.com")
    ca.cert_pem.write_to_path(str(directory / "ca.pem"))
    cert.private_key_and_cert_chain_pem.write_to_path(str(directory / "server.pem"))


# -- the skypane client process ----------------------------------------------------------


def client(info_json: str, src: str, dst: str, transfers: int) -> None:
    """Child process: one copy job through the engine, like ``skypane cp``."""
    from core.backends.local import LocalBackend
    from core.backends.onedrive.backend import OneDriveBackend
    from core.paths import Location
    from core.remotes import LOCAL
    from core.transfer import JobState, Journal, TransferEngine
    from tests.engine.od import StaticTokens

    info = json.loads(info_json)
    options = {
        "client_id": CLIENT_ID,
        "graph_url": info["graph_url"],
        "authority": info["authority"],
        "ca_bundle": info["ca"],
        "drive_id": info["drive_id"],
        "drive_type": info["drive_type"],
    }

    def loc(text: str) -> Location:
        return Location("od", text[3:]) if text.startswith("od:") else Location(None, text)

    async def run() -> str:
        od = OneDriveBackend("od", options, StaticTokens(info["token"]))
        local = LocalBackend()
        engine = TransferEngine(lambda r: od if r == "od" else local, Journal(), workers=transfers)
        job = await engine.submit("copy", [loc(src)], loc(dst), policy="overwrite")
        await engine.wait(job.id)
        await engine.close()
        if job.state is not JobState.DONE:
            raise SystemExit(f"{job.state}: {job.error}")
        return LOCAL

    asyncio.run(run())


# -- CONNECT proxy for rclone -------------------------------------------------------------


class ConnectProxy:
    """Accepts ``CONNECT host:port`` and tunnels it to the emulator: port 443 to Graph's
    listener, the files port (where download and upload URLs point) to that listener."""

    def __init__(self, graph_port: int, files_port: int) -> None:
        self.targets = {443: graph_port, files_port: files_port}
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._writers: set[asyncio.StreamWriter] = set()

    def __enter__(self) -> ConnectProxy:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            # Close the tunnels' sockets and let their tasks end by themselves (cancelling a
            # start_server handler makes asyncio 3.11 log a traceback).
            for w in list(self._writers):
                w.close()
            tunnels = [t for t in asyncio.all_tasks(self._loop) if t is not asyncio.current_task()]
            await asyncio.wait(tunnels, timeout=2) if tunnels else None
            self._loop.call_soon(self._loop.stop)

        asyncio.run_coroutine_threadsafe(stop(), self._loop)
        self._thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        authority = head.split(b" ", 2)[1] if head.startswith(b"CONNECT ") else b""
        port = authority.rpartition(b":")[2]
        target = self.targets.get(int(port)) if port.isdigit() else None
        if target is None:
            writer.close()
            return
        up_r, up_w = await asyncio.open_connection("127.0.0.1", target)
        self._writers |= {writer, up_w}
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()

        async def pipe(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await r.read(256 * 1024):
                    w.write(data)
                    await w.drain()
            with contextlib.suppress(Exception):
                w.close()

        await asyncio.gather(pipe(reader, up_w), pipe(up_r, writer), return_exceptions=True)
        self._writers -= {writer, up_w}


# -- measuring ------------------------------------------------------------------------


def measure(argv: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Run a command; wall seconds, CPU seconds (user+sys) and peak RSS (MiB) of it."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    out = (proc.stdout.read() if proc.stdout else b"") + (
        proc.stderr.read() if proc.stderr else b""
    )
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{argv[:4]} failed: {out.decode(errors='replace')[-2000:]}")
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
    }


def with_rate(fig: dict[str, float], nbytes: int) -> dict[str, float]:
    return {**fig, "mb_s": round(nbytes / 1e6 / fig["wall_s"], 1)}


def rclone_config(path: Path, info: dict[str, Any]) -> None:
    token = {
        "access_token": info["token"],
        "token_type": "Bearer",
        "refresh_token": "unused",
        "expiry": "2099-01-01T00:00:00Z",
    }
    path.write_text(
        "[em]\ntype = onedrive\n"
        f"token = {json.dumps(token)}\n"
        f"drive_id = {info['drive_id']}\ndrive_type = {info['drive_type']}\n"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--file-kib", type=int, default=16)
    ap.add_argument("--transfers", type=int, default=4)
    ap.add_argument("--no-rclone", action="store_true")
    args = ap.parse_args()
    rclone = None if args.no_rclone else shutil.which("rclone")
    work = Path(tempfile.mkdtemp(prefix="skypane-bench-"))
    py = sys.executable
    me = str(Path(__file__).resolve())
    # Like an installed package: byte-code cached (this environment sets
    # PYTHONDONTWRITEBYTECODE, which would charge ~1 s of compiling to every client run).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {
        "SKYPANE_STATE_DIR": str(work / "state"),
        "PYTHONPATH": str(ROOT),
        "PYTHONPYCACHEPREFIX": str(work / "pycache"),
    }
    try:
        (work / "tls").mkdir()
        make_certs(work / "tls")
        emu = subprocess.Popen(
            [py, me, "serve", str(work / "tls")],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert emu.stdout is not None
        info = json.loads(emu.stdout.readline())
        big = work / "big.bin"
        with open(big, "wb") as f:
            for _ in range(args.size_mib):
                f.write(os.urandom(MIB))
        small = work / "small"
        small.mkdir()
        for i in range(args.files):
            (small / f"f{i:05}.bin").write_bytes(os.urandom(args.file_kib * 1024))
        nbig, nsmall = args.size_mib * MIB, args.files * args.file_kib * 1024
        (work / "warm.txt").write_bytes(b"warm")  # fills the byte-code cache
        measure(
            [py, me, "client", json.dumps(info), str(work / "warm.txt"), "od:/warm.txt", "1"], env
        )
        sky = [py, me, "client", json.dumps(info)]
        t = str(args.transfers)
        rows: dict[str, dict[str, Any]] = {}
        plan = [
            (
                "upload_1_file",
                nbig,
                [str(big), "od:/s-big.bin"],
                ["copyto", str(big), "em:/r-big.bin"],
            ),
            (
                "download_1_file",
                nbig,
                ["od:/s-big.bin", str(work / "s-big.bin")],
                ["copyto", "em:/r-big.bin", str(work / "r-big.bin")],
            ),
            (
                "upload_small_files",
                nsmall,
                [str(small), "od:/s-small"],
                ["copy", str(small), "em:/r-small"],
            ),
            (
                "download_small_files",
                nsmall,
                ["od:/s-small", str(work / "s-small")],
                ["copy", "em:/r-small", str(work / "r-small")],
            ),
        ]
        with ConnectProxy(info["port"], info["files_port"]) as proxy:
            conf = work / "rclone.conf"
            rclone_config(conf, info)
            renv = {
                **os.environ,
                "HTTPS_PROXY": f"http://127.0.0.1:{proxy.port}",
                "RCLONE_CONFIG": str(conf),
            }
            for name, nbytes, sky_args, rc_args in plan:
                row: dict[str, Any] = {
                    "bytes": nbytes,
                    "skypane": with_rate(measure([*sky, *sky_args, t], env), nbytes),
                }
                if rclone:
                    rc = [rclone, *rc_args, "--transfers", t, "--ca-cert", info["ca"], "-q"]
                    row["rclone"] = with_rate(measure(rc, renv), nbytes)
                    row["ratio_skypane_over_rclone"] = {
                        k: round(row["skypane"][k] / row["rclone"][k], 2)
                        for k in ("wall_s", "mb_s", "cpu_s", "peak_rss_mib")
                        if row["rclone"][k]
                    }
                rows[name] = row
        emu.stdin.close()  # type: ignore[union-attr]
        emu.wait(30)
        print(
            json.dumps(
                {
                    "size_mib": args.size_mib,
                    "files": args.files,
                    "file_kib": args.file_kib,
                    "transfers": args.transfers,
                    "rclone": subprocess.run(
                        [rclone, "version"], capture_output=True, text=True
                    ).stdout.splitlines()[0]
                    if rclone
                    else "not installed",
                    "rows": rows,
                },
                indent=2,
            )
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2])
    elif len(sys.argv) > 1 and sys.argv[1] == "client":
        client(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        main()
