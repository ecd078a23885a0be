"""``skypane emulator``: serve the Graph emulator over TLS until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import contextlib
import shlex
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from .config import EXAMPLE_CLIENT_ID, EmulatorConfig
from .emulator import Emulator
from .seeds import SEEDS
from .server import start_server


def _rate(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("a rate is a number from 0 to 1")
    return value


def _seconds(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of seconds above 0")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("a port is a number from 0 to 65535")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="skypane emulator",
        description="Serve a local Microsoft Graph + sign-in emulator over TLS on 127.0.0.1.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=_port, default=8443, help="port (0 = any free port)")
    parser.add_argument(
        "--files-port",
        type=_port,
        metavar="PORT",
        help="port of the pre-authenticated download and upload URLs, another origin than "
        "Graph's as on the real service (default: --port + 1; 0 = any free port)",
    )
    parser.add_argument(
        "--state",
        type=Path,
        metavar="DIR",
        help="keep the drives in this folder between runs (default: memory)",
    )
    parser.add_argument(
        "--flavour", "--flavor", choices=("personal", "business"), default="personal"
    )
    parser.add_argument(
        "--seed",
        choices=SEEDS,
        default=None,
        help="initial contents (default: sample, or what --state holds)",
    )
    parser.add_argument(
        "--auto-approve",
        type=float,
        metavar="SECONDS",
        help="approve device codes by themselves after this many seconds",
    )
    parser.add_argument(
        "--interval", type=int, default=5, help="device-code polling interval the server asks for"
    )
    parser.add_argument(
        "--device-code-lifetime",
        type=_seconds,
        default=900,
        metavar="SECONDS",
        help="how long a device code may be used to sign in (900, as Microsoft's)",
    )
    parser.add_argument(
        "--token-lifetime", type=int, default=3600, help="access token lifetime in seconds"
    )
    parser.add_argument(
        "--accept-bearer-on-preauth",
        action="store_true",
        help="accept a bearer token on pre-authenticated upload/download URLs (some real "
        "accounts do; by default it is refused)",
    )
    parser.add_argument("--quota", type=int, metavar="BYTES", help="drive quota")
    faults = parser.add_argument_group("fault injection (rates are 0..1 per request)")
    faults.add_argument("--fault-seed", type=int, default=0)
    faults.add_argument(
        "--throttle-rate",
        type=_rate,
        default=0.0,
        help="share of requests answered 429 with Retry-After",
    )
    faults.add_argument("--throttle-status", type=int, choices=(429, 503), default=429)
    faults.add_argument("--retry-after", type=int, default=1, help="Retry-After seconds")
    faults.add_argument(
        "--error-rate", type=_rate, default=0.0, help="share of requests answered 500/502/504"
    )
    faults.add_argument(
        "--drop-rate", type=_rate, default=0.0, help="share of connections dropped mid-body"
    )
    faults.add_argument(
        "--expire-tokens-early",
        type=_rate,
        default=0.0,
        help="share of requests whose access token expires on the spot",
    )
    faults.add_argument(
        "--lose-upload-sessions",
        type=_rate,
        default=0.0,
        help="share of upload-session requests that find the session gone",
    )
    faults.add_argument(
        "--spurious-416-rate",
        type=_rate,
        default=0.0,
        help="share of upload fragments stored but answered 416",
    )
    faults.add_argument(
        "--fault-paths", metavar="REGEX", help="only requests whose path matches are affected"
    )
    return parser


def chosen_files_port(args: argparse.Namespace) -> int:
    """``--files-port``, else the port after ``--port`` (any free one when that is 0)."""
    if args.files_port is not None:
        return int(args.files_port)
    return int(args.port) + 1 if 0 < args.port < 65535 else 0


def make_emulator(args: argparse.Namespace) -> Emulator:
    seed = args.seed
    if seed is None:
        has_state = args.state is not None and (args.state / "state.sqlite").exists()
        seed = "empty" if has_state else "sample"
    config = EmulatorConfig(
        flavour=args.flavour,
        state_dir=args.state,
        seed=seed,
        device_code_interval=args.interval,
        device_code_lifetime=args.device_code_lifetime,
        auto_approve_after=args.auto_approve,
        access_token_lifetime=args.token_lifetime,
        fault_seed=args.fault_seed,
        quota_total=args.quota,
        accept_bearer_on_preauth=args.accept_bearer_on_preauth,
    )
    emulator = Emulator(config)
    faults = emulator.faults
    faults.throttle_rate = args.throttle_rate
    faults.throttle_status = args.throttle_status
    faults.retry_after = args.retry_after
    faults.error_rate = args.error_rate
    faults.drop_rate = args.drop_rate
    faults.expire_tokens_early = args.expire_tokens_early
    faults.lose_upload_sessions = args.lose_upload_sessions
    faults.spurious_416_rate = args.spurious_416_rate
    faults.path_pattern = args.fault_paths
    return emulator


def main(argv: list[str], *, out: TextIO | None = None, stop: threading.Event | None = None) -> int:
    """Serve until Ctrl-C (or until ``stop`` is set, for tests); 0 on a clean exit."""
    out = out or sys.stdout
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    files_port = chosen_files_port(args)
    if files_port and files_port == args.port:
        print(
            "skypane emulator: --files-port must differ from --port (the download and upload "
            "URLs are another origin than Graph)",
            file=sys.stderr,
        )
        return 2
    emulator = make_emulator(args)
    try:
        server = start_server(emulator, args.host, args.port, files_port=files_port)
    except (OSError, RuntimeError) as error:
        print(
            f"skypane emulator: cannot listen on {args.host} ports {args.port} and {files_port}: "
            f"{error}",
            file=sys.stderr,
        )
        emulator.close()
        return 1
    command = " ".join(
        [
            "skypane login emulator",
            f"--client-id {EXAMPLE_CLIENT_ID}",
            f"--authority {server.authority}",
            f"--graph-url {server.graph_url}",
            f"--ca-bundle {shlex.quote(str(server.ca_bundle))}",
            f"--drive-id {shlex.quote(emulator.drive_id)}",
        ]
    )
    print(
        f"skypane emulator ({args.flavour}) serving {server.base_url}\n"
        f"  Graph base URL:    {server.graph_url}\n"
        f"  Authority:         {server.authority}\n"
        f"  Download/upload:   {server.files_url} (pre-authenticated URLs, no bearer)\n"
        f"  CA bundle:         {server.ca_bundle}\n"
        f"  Verification page: {server.verification_url}\n"
        f"  Signed-in user:    {emulator.me.email} (drive {emulator.drive_id})\n"
        f"  State:             {args.state or 'memory (lost on exit)'}\n"
        f"Sign in with:\n  {command}\n"
        "Press Ctrl-C to stop.",
        file=out,
        flush=True,
    )
    waiter = stop or threading.Event()
    try:
        with _stop_on_sigterm(waiter):
            while not waiter.wait(0.5):
                pass
        if stop is None or not stop.is_set():
            print("stopping", file=out, flush=True)
    except KeyboardInterrupt:
        print("stopping", file=out, flush=True)
    finally:
        server.stop()
        emulator.close()
    return 0


@contextlib.contextmanager
def _stop_on_sigterm(waiter: threading.Event) -> Iterator[None]:
    """SIGTERM (a service manager, ``kill``) ends serving as cleanly as Ctrl-C: requests in
    flight finish, the state is saved and temporary files go. Only the main thread may set
    signal handlers; elsewhere (tests) nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: waiter.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
