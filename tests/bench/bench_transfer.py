"""skypane against rclone on the same transfers, on the same TLS Graph emulator.

Run: python3 -m uv run python tests/bench/bench_transfer.py [--rows ROW,...] [--runs 3]
     [--size-mib 1024] [--files 1000] [--file-kib 16] [--no-rclone] [--proxy] [--wrap CMD]

Rows: ``download`` (one large file, both tools' defaults: 4 ranged streams each from
256 MiB / 250 MiB), ``download_1_stream`` (both told to use one stream), ``upload`` (one
large file), ``small_up`` and ``small_down`` (FILES × FILE_KIB, 4 transfers each).

What is measured is what a user runs: skypane's side is the ``skypane`` command itself,
signed in with ``skypane login`` (device code, its real token store in a private home) and
keeping its on-disk journal; rclone's side is ``rclone`` with a token in its config. The
emulator is the business flavour, so both verify QuickXorHash, and runs in a process of its
own so neither client is charged for it. Each figure is the client process's wall time and
CPU time (user+sys, from ``os.wait4``) and peak RSS (the command's own, through GNU time
when it is installed: see ``gnu_time``); the runs are interleaved (the order of the two tools
alternates) and repeated, and min and median are printed.

How rclone reaches the emulator is printed with the figures:

* ``direct`` (as root): the whole bench runs in private mount and network namespaces
  (``unshare -mn``) where the emulator listens on 127.0.0.1:443 and a bind-mounted
  /etc/hosts maps ``graph.microsoft.com`` to it; the files origin (download and upload URLs)
  is 127.0.0.1 on another port. Nothing outside the namespaces sees any of it.
* ``proxy`` (otherwise, or with ``--proxy``): rclone goes through a small HTTPS CONNECT proxy
  in this process, which costs rclone a little (its figures are then slightly pessimistic).

TLS is verified by both (``--ca-cert`` for rclone, the CA bundle for skypane's remote).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.isolation import private_home  # noqa: E402

MIB = 1024 * 1024
CLIENT_ID = "00000000-0000-0000-0000-00000000c0de"
ROWS = ("download", "download_1_stream", "upload", "small_up", "small_down")
#: Set in the re-executed bench inside the namespaces.
INSIDE = "SKYPANE_BENCH_NAMESPACE"


# -- the emulator process --------------------------------------------------------------


def serve(tls_dir: str, port: int) -> None:
    """Child process: serve a business drive over TLS until stdin closes."""
    from core.emulator import Emulator, EmulatorConfig, start_server

    # rclone 1.60 (Debian's) sends its bearer token with upload fragments; the emulator
    # refuses that by default, as the docs say the service may, and accepts it with the
    # switch real accounts behave like. skypane never sends one.
    em = Emulator(
        EmulatorConfig(
            flavour="business",
            quota_total=64 * 1024**3,
            access_token_lifetime=86400,
            accept_bearer_on_preauth=True,
            device_code_interval=0,
            auto_approve_after=0,
        )
    )
    server = start_server(em, port=port, tls_dir=Path(tls_dir))
    announce_and_serve(em, server, CLIENT_ID)


def announce_and_serve(em: Any, server: Any, client_id: str) -> None:
    """Child process: print where the drive is (and a token for ``client_id``) as one JSON
    line for the parent, serve until stdin closes, then stop."""
    token = em.issue_tokens(client_id=client_id, base_url=server.base_url)["access_token"]
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


# -- CONNECT proxy for rclone (when not root) ------------------------------------------


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


def gnu_time() -> str | None:
    """GNU time, if installed: it runs a command as its own child and reports that child's
    peak RSS. Measured from here, a child's ``ru_maxrss`` is at least this script's own RSS
    (Linux keeps the peak of the address space the child had between fork and exec, which is
    ours), so a small command would read as large as this script."""
    found = shutil.which("time")
    if found is None:
        return None
    probe = subprocess.run(
        [found, "-f", "%M", "true"], capture_output=True, text=True, check=False, timeout=30
    )
    return found if probe.returncode == 0 and probe.stderr.strip().isdigit() else None


GNU_TIME = gnu_time()
#: How the peak RSS figures were taken (printed with them).
RSS_SOURCE = (
    "GNU time: the command's own peak"
    if GNU_TIME
    else "wait4 ru_maxrss: no figure below the bench's own RSS (GNU time not installed)"
)


def run_measured(
    argv: list[str], env: dict[str, str], cwd: Path, stdout: Any, stderr: Any
) -> tuple[int, dict[str, float]]:
    """Run a command; its exit code and wall seconds, CPU seconds (user+sys, from ``wait4``;
    GNU time's own share is a millisecond) and peak RSS in MiB (see ``GNU_TIME``)."""
    with tempfile.TemporaryDirectory(prefix="skypane-bench-rss-") as d:
        rss_file = Path(d) / "rss"
        prefix = [GNU_TIME, "-f", "%M", "-o", str(rss_file)] if GNU_TIME else []
        start = time.perf_counter()
        proc = subprocess.Popen(
            [*prefix, *argv],
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        rss_kib = float(usage.ru_maxrss)
        if prefix and rss_file.exists():
            # The last line (a failing command's exit status comes on a line before it).
            lines = rss_file.read_text().split()
            if lines and lines[-1].isdigit():
                rss_kib = float(lines[-1])
    figures = {
        "wall_s": round(wall, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "rss_mib": round(rss_kib / 1024, 1),
    }
    return os.waitstatus_to_exitcode(status), figures


def measure(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    """Run a command; wall seconds, CPU seconds (user+sys) and peak RSS (MiB) of it."""
    with tempfile.TemporaryFile() as out:
        code, figures = run_measured(argv, env, ROOT, out, out)
        if code != 0:
            out.seek(0)
            raise RuntimeError(f"{argv[:6]} failed: {out.read().decode(errors='replace')[-2000:]}")
    return figures


def summary(runs: list[dict[str, float]]) -> dict[str, Any]:
    keys = ("wall_s", "cpu_s", "rss_mib")
    return {
        "min": {k: min(r[k] for r in runs) for k in keys},
        "median": {k: round(statistics.median(r[k] for r in runs), 3) for k in keys},
        "runs": runs,
    }


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


def enter_namespaces(argv: list[str]) -> int:
    """Run this bench again in private mount and network namespaces where graph.microsoft.com
    is 127.0.0.1 (root only); its exit code."""
    with tempfile.TemporaryDirectory(prefix="skypane-bench-ns-") as d:
        hosts = Path(d) / "hosts"
        hosts.write_text("127.0.0.1 localhost graph.microsoft.com\n::1 localhost\n")
        script = f'ip link set lo up && mount --bind "{hosts}" /etc/hosts && exec "$@"'
        cmd = ["unshare", "-mn", "--", "sh", "-c", script, "sh", sys.executable, *argv]
        return subprocess.call(cmd, env={**os.environ, INSIDE: "1"})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", default=",".join(ROWS), help=f"comma-separated: {', '.join(ROWS)}")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--file-kib", type=int, default=16)
    ap.add_argument("--no-rclone", action="store_true")
    ap.add_argument("--proxy", action="store_true", help="rclone through a CONNECT proxy")
    ap.add_argument(
        "--wrap",
        default="",
        help="a command put before skypane's in the timed runs, {row} and {n} filled in, "
        "e.g. 'py-spy record -r 400 --format raw -o /tmp/{row}-{n}.txt --' to profile",
    )
    args = ap.parse_args()
    rows = [r for r in args.rows.split(",") if r]
    unknown = set(rows) - set(ROWS)
    if unknown:
        ap.error(f"unknown rows: {', '.join(sorted(unknown))}")
    rclone = None if args.no_rclone else shutil.which("rclone")
    direct = os.environ.get(INSIDE) == "1"
    if rclone and not args.proxy and not direct and os.geteuid() == 0 and shutil.which("unshare"):
        sys.exit(enter_namespaces([str(Path(__file__).resolve()), *sys.argv[1:]]))
    work = Path(tempfile.mkdtemp(prefix="skypane-bench-"))
    py = sys.executable
    me = str(Path(__file__).resolve())
    # skypane as installed: byte code cached (this environment sets PYTHONDONTWRITEBYTECODE,
    # which would charge compiling to every run), a private home for its config, token
    # store and journal.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env |= private_home(work / "home") | {"PYTHONPYCACHEPREFIX": str(work / "pycache")}
    script = Path(py).parent / "skypane"  # the console script, as installed
    sky = [str(script)] if script.exists() else [py, "-m", "tui"]
    emu = None
    try:
        (work / "tls").mkdir()
        make_certs(work / "tls")
        emu = subprocess.Popen(
            [py, me, "serve", str(work / "tls"), "443" if direct else "0"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert emu.stdout is not None
        info = json.loads(emu.stdout.readline())
        login = [*sky, "login", "em", "--client-id", CLIENT_ID, "--authority", info["authority"]]
        login += ["--graph-url", info["graph_url"], "--ca-bundle", info["ca"], "--no-qr"]
        measure(login, env)
        conf = work / "rclone.conf"
        rclone_config(conf, info)
        renv = {**os.environ, "RCLONE_CONFIG": str(conf)}
        rc = [rclone or "rclone", "--ca-cert", info["ca"], "-q"]

        big = work / "big.bin"
        with open(big, "wb") as f:
            for _ in range(args.size_mib):
                f.write(os.urandom(MIB))
        small = work / "small"
        small.mkdir()
        for i in range(args.files):
            (small / f"f{i:05}.bin").write_bytes(os.urandom(args.file_kib * 1024))
        nbig, nsmall = args.size_mib * MIB, args.files * args.file_kib * 1024
        q = ["-q", "--conflict", "overwrite"]
        # The remote copies the downloads read (not timed); also warms byte code and caches.
        if {"download", "download_1_stream"} & set(rows):
            measure([*sky, "cp", *q, str(big), "em:big.bin"], env)
        if "small_down" in rows:
            measure([*sky, "cp", *q, str(small), "em:small"], env)
        for folder in ("em:up", "em:smallup"):
            measure([*sky, "mkdir", "-q", folder], env)
        measure([*sky, "ls", "em:"], env)

        def commands(row: str, n: int) -> tuple[list[str], list[str], Path | None]:
            """skypane's and rclone's command for run ``n`` of ``row``, and what to delete
            after it (a local download)."""
            if row in ("download", "download_1_stream"):
                one = ["--multi-thread-streams", "1"] if row == "download_1_stream" else []
                dst = work / "down.bin"
                return (
                    [*sky, "cp", *q, *one, "em:big.bin", str(dst)],
                    [*rc, "copyto", *one, "em:big.bin", str(dst)],
                    dst,
                )
            if row == "upload":
                return (
                    [*sky, "cp", *q, str(big), f"em:up/s{n}.bin"],
                    [*rc, "copyto", str(big), f"em:up/r{n}.bin"],
                    None,
                )
            if row == "small_up":
                return (
                    [*sky, "cp", *q, str(small), f"em:smallup/s{n}"],
                    [*rc, "copy", str(small), f"em:smallup/r{n}/small"],
                    None,
                )
            dst = work / "smalldown"
            return (
                [*sky, "cp", *q, "em:small", str(dst)],
                [*rc, "copy", "em:small", str(dst / "small")],
                dst,
            )

        results: dict[str, Any] = {}
        load_before = os.getloadavg()
        with contextlib.ExitStack() as stack:
            if rclone and not direct:
                proxy = stack.enter_context(ConnectProxy(info["port"], info["files_port"]))
                renv["HTTPS_PROXY"] = f"http://127.0.0.1:{proxy.port}"
            for row in rows:
                nbytes = nsmall if row.startswith("small") else nbig
                runs: dict[str, list[dict[str, float]]] = {"skypane": [], "rclone": []}
                for n in range(args.runs):
                    order = ["skypane", "rclone"] if n % 2 == 0 else ["rclone", "skypane"]
                    for tool in order:
                        if tool == "rclone" and not rclone:
                            continue
                        s_cmd, r_cmd, cleanup = commands(row, n)
                        if tool == "skypane" and args.wrap:
                            wrap = [w.format(row=row, n=n) for w in shlex.split(args.wrap)]
                            s_cmd = [*wrap, *s_cmd]
                        fig = measure(s_cmd, env) if tool == "skypane" else measure(r_cmd, renv)
                        fig["mb_s"] = round(nbytes / 1e6 / fig["wall_s"], 1)
                        runs[tool].append(fig)
                        if cleanup is not None:
                            if cleanup.is_dir():
                                shutil.rmtree(cleanup)
                            else:
                                cleanup.unlink()
                result: dict[str, Any] = {"bytes": nbytes}
                for tool, figs in runs.items():
                    if figs:
                        result[tool] = summary(figs)
                if runs["rclone"]:
                    result["ratio_median"] = {
                        k: round(result["skypane"]["median"][k] / result["rclone"]["median"][k], 2)
                        for k in ("wall_s", "cpu_s", "rss_mib")
                    }
                results[row] = result
                print(
                    f"{row}: {json.dumps({k: v for k, v in result.items() if k != 'bytes'})}",
                    file=sys.stderr,
                )
        version = (
            subprocess.run([rclone, "version"], capture_output=True, text=True).stdout.splitlines()[
                0
            ]
            if rclone
            else "not installed"
        )
        load = os.getloadavg()
        print(
            json.dumps(
                {
                    "rclone": version,
                    "rclone_reaches_emulator": "direct" if direct else "proxy",
                    "runs": args.runs,
                    "size_mib": args.size_mib,
                    "files": args.files,
                    "file_kib": args.file_kib,
                    "cpus": os.cpu_count(),
                    "peak_rss": RSS_SOURCE,
                    "load_average_before": [round(x, 1) for x in load_before],
                    "load_average_after": [round(x, 1) for x in load],
                    "rows": results,
                },
                indent=1,
            )
        )
    finally:
        if emu is not None and emu.stdin is not None:
            emu.stdin.close()
            emu.wait(60)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        main()
