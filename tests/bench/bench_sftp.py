"""SFTP throughput: a 1 GiB file up to and down from OpenSSH's sshd on loopback, with the real
``skypane`` command (``cp FILE box:`` and ``get box:FILE DIR``) and with ``scp`` of the same
file in the same run as the anchor (OpenSSH 9's scp speaks SFTP too).

Run: python3 -m uv run python tests/bench/bench_sftp.py [--size-mib 1024] [--rounds 2]
Needs sshd and scp (apt-get install openssh-server openssh-client). Prints one line per
transfer and a JSON summary: MiB/s (wall) and client CPU seconds per GiB, min and median.
Everything happens under a private HOME in a temporary folder, which is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MIB = 1024 * 1024


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, child processes included) of ``cmd``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {done.stderr.strip()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _make_file(path: Path, size: int) -> None:
    block = os.urandom(16 * MIB)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, len(block))
            f.write(block[:n])
            left -= n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from core.config import RemoteConfig, load_config
    from tests.isolation import private_home
    from tests.sftp.servers import openssh_server, sshd_path

    if sshd_path() is None or shutil.which("scp") is None:
        print("sshd or scp is not installed: apt-get install openssh-server openssh-client")
        return 2
    size = args.size_mib * MIB
    results: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-sftp-") as tmp_text:
        tmp = Path(tmp_text)
        env = {**os.environ, **private_home(tmp / "home")}
        env.pop("SSH_AUTH_SOCK", None)
        os.environ.update(env)
        os.environ.pop("SSH_AUTH_SOCK", None)
        source = tmp / "data.bin"
        _make_file(source, size)
        down = tmp / "down"
        down.mkdir()
        with openssh_server(tmp / "sshd") as server:
            config = load_config()
            config.set_remote(RemoteConfig("box", "sftp", server.options()))
            config.save()
            ssh_opts = [
                "-P",
                str(server.port),
                "-i",
                str(server.keys.client_key_file),
                "-o",
                f"UserKnownHostsFile={server.keys.known_hosts}",
                "-o",
                "StrictHostKeyChecking=yes",
                "-o",
                "BatchMode=yes",
            ]
            remote_file = Path(server.root) / source.name
            skypane = [sys.executable, "-m", "tui"]
            runs: list[tuple[str, list[str], Path]] = [
                (
                    "scp upload",
                    ["scp", "-q", *ssh_opts, str(source), f"{server.user}@127.0.0.1:{remote_file}"],
                    remote_file,
                ),
                ("skypane upload", [*skypane, "cp", "-q", str(source), "box:"], remote_file),
                (
                    "scp download",
                    ["scp", "-q", *ssh_opts, f"{server.user}@127.0.0.1:{remote_file}", str(down)],
                    down / source.name,
                ),
                (
                    "skypane download",
                    [*skypane, "get", "-q", f"box:{source.name}", str(down)],
                    down / source.name,
                ),
            ]
            for round_no in range(args.rounds):
                for label, cmd, made in runs:
                    if label.endswith("upload"):
                        remote_file.unlink(missing_ok=True)
                    else:
                        made.unlink(missing_ok=True)
                        if not remote_file.exists():
                            shutil.copyfile(source, remote_file)
                    wall, cpu = _timed(cmd, env)
                    if made.stat().st_size != size:
                        raise RuntimeError(f"{label}: {made} has the wrong size")
                    results.setdefault(label, []).append((wall, cpu))
                    print(
                        f"round {round_no + 1} {label:17} {size / MIB / wall:7.1f} MiB/s  "
                        f"wall {wall:6.2f} s  client CPU {cpu:6.2f} s",
                        flush=True,
                    )
    summary: dict[str, Any] = {"size_mib": args.size_mib, "rounds": args.rounds}
    for label, values in results.items():
        rates = [size / MIB / wall for wall, _ in values]
        cpus = [cpu / (size / 2**30) for _, cpu in values]
        summary[label] = {
            "MiB_per_s_max": round(max(rates), 1),
            "MiB_per_s_median": round(statistics.median(rates), 1),
            "cpu_s_per_GiB_min": round(min(cpus), 2),
            "cpu_s_per_GiB_median": round(statistics.median(cpus), 2),
        }
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
