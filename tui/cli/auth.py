"""``skypane login``, ``logout`` and ``about``: sign-in by device code, headless."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Mapping
from typing import Any

from core.backends.onedrive.auth import (
    CLIENT_ID_ENV,
    REGISTRATION_GUIDE,
    AuthConfig,
    DeviceFlow,
    LoginOutcome,
    MsalTokenProvider,
    RemoteAuth,
    SignedIn,
    remote_auth,
)
from core.backends.onedrive.clouds import CLOUDS, graph_base
from core.backends.onedrive.drives import DriveFinder, DriveInfo
from core.config import Config, RemoteConfig, load_config, validate_remote_name
from core.errors import ConfigError
from core.model import Quota
from core.secrets import MemorySecrets, SecretStore, delete_secret_options
from core.tls import tls_context
from tui.cli.common import fmt_size, print_json, run

ONEDRIVE = "onedrive"
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def register(sub: Any) -> None:
    p = sub.add_parser(
        "login",
        help="sign in to OneDrive/SharePoint by device code and save the remote",
        description="Sign in with a code typed on any device (works over SSH), then save "
        "the remote NAME. Flags left out are asked for when stdin is a terminal.",
    )
    p.add_argument("name", nargs="?", metavar="NAME", help="remote name (e.g. onedrive, work)")
    p.add_argument("--client-id", help=f"application (client) id; default ${CLIENT_ID_ENV}")
    p.add_argument("--tenant", help="common (default), organizations, consumers or a tenant id")
    p.add_argument("--region", choices=sorted(CLOUDS), help="national cloud (default global)")
    p.add_argument("--authority", metavar="URL", help="sign-in authority override (emulator)")
    p.add_argument("--graph-url", metavar="URL", help="Graph endpoint override (emulator)")
    p.add_argument("--ca-bundle", metavar="PEM", help="CA bundle for TLS (proxy, emulator)")
    drive = p.add_mutually_exclusive_group()
    drive.add_argument("--drive-id", metavar="ID", help="use this drive")
    drive.add_argument("--site", metavar="URL", help="a document library of this SharePoint site")
    drive.add_argument("--search", metavar="Q", help="search SharePoint sites and pick a library")
    p.add_argument("--read-only", action="store_true", help="ask only for read permissions")
    p.add_argument(
        "--no-site-permission", action="store_true", help="do not ask for Sites.Read.All"
    )
    p.add_argument("--no-qr", action="store_true", help="do not draw the QR code")
    p.add_argument(
        "--help-registration",
        action="store_true",
        help="explain how to register the application skypane signs in with",
    )
    p.set_defaults(handler=cmd_login)

    p = sub.add_parser("logout", help="sign out of a remote and delete its stored tokens")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--forget", action="store_true", help="also remove the remote from the config")
    p.set_defaults(handler=cmd_logout)

    p = sub.add_parser("about", help="quota of a remote: used, total, deleted, free")
    p.add_argument("remote", metavar="NAME:")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_about)


# -- small terminal helpers ------------------------------------------------------------------


def _err(text: str) -> None:
    print(f"skypane: {text}", file=sys.stderr)


def _interactive() -> bool:
    return sys.stdin.isatty()


def _ask(question: str, default: str | None = None) -> str:
    suffix = f" [{default}]" if default else ""
    sys.stderr.write(f"{question}{suffix}: ")
    sys.stderr.flush()
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.strip() or (default or "")


def _choose(title: str, labels: list[str]) -> int:
    print(title, file=sys.stderr)
    for i, label in enumerate(labels, 1):
        print(f"  {i}) {label}", file=sys.stderr)
    while True:
        answer = _ask("number", "1")
        if answer.isdigit() and 1 <= int(answer) <= len(labels):
            return int(answer) - 1


def _drive_label(d: DriveInfo) -> str:
    owner = f", {d.owner}" if d.owner else ""
    return f"{d.name} ({d.drive_type}{owner})"


def qr_text(url: str) -> str:
    """The URL as a QR code drawn with block characters, two modules per line."""
    import io

    import segno

    out = io.StringIO()
    segno.make(url, error="L", micro=False).terminal(out=out, border=2, compact=True)
    return out.getvalue()


# -- login -------------------------------------------------------------------------------------


def _options_from(args: argparse.Namespace, base: Mapping[str, Any]) -> dict[str, Any]:
    options = dict(base)
    for flag, key in (
        ("client_id", "client_id"),
        ("tenant", "tenant"),
        ("region", "region"),
        ("authority", "authority"),
        ("graph_url", "graph_url"),
        ("ca_bundle", "ca_bundle"),
    ):
        value = getattr(args, flag)
        if value:
            options[key] = value
    if args.ca_bundle:
        from pathlib import Path

        options["ca_bundle"] = str(Path(args.ca_bundle).expanduser().resolve())
    if args.read_only:
        options["read_only"] = True
    if args.no_site_permission:
        options["disable_site_permission"] = True
    return options


def _complete(options: dict[str, Any], new_remote: bool) -> None:
    """Ask for what is missing (terminal) or refuse (no terminal)."""
    import os

    if not options.get("client_id") and os.environ.get(CLIENT_ID_ENV):
        options["client_id"] = os.environ[CLIENT_ID_ENV]
    if not options.get("client_id"):
        if not _interactive():
            raise _Usage(
                f"no client id: pass --client-id or set {CLIENT_ID_ENV} "
                "(`skypane login --help-registration` explains how to get one)"
            )
        print(REGISTRATION_GUIDE, file=sys.stderr)
        options["client_id"] = _ask("Application (client) id")
    if new_remote and not options.get("tenant") and _interactive() and not options.get("authority"):
        options["tenant"] = _ask("Tenant (common, organizations, consumers or an id)", "common")


class _Usage(Exception):
    pass


def _wait(flow: DeviceFlow) -> LoginOutcome:
    """Poll in a thread while the main thread waits for it or for Ctrl-C.

    Ctrl-C cancels the flow from a signal handler rather than by a ``KeyboardInterrupt``
    alone: an interrupt that lands while a finaliser runs (a socket or response being
    collected) is printed and dropped by Python, and the login would then wait for the
    code to expire.
    """
    done = threading.Event()
    interrupted = threading.Event()

    def on_interrupt(_signum: int, _frame: object) -> None:
        interrupted.set()
        flow.cancel()

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        flow.start(lambda _outcome: done.set())
        while not done.wait(0.2) and not interrupted.is_set():
            pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    if interrupted.is_set():
        raise KeyboardInterrupt
    outcome = flow.outcome
    assert outcome is not None
    return outcome


def _show_code(flow: DeviceFlow, draw_qr: bool) -> None:
    local = flow.expires_at.astimezone().strftime("%H:%M")
    print(f"To sign in, open {flow.verification_uri} on any device and enter the code:")
    print()
    print(f"    {flow.user_code}")
    print()
    if draw_qr and flow.verification_uri:
        print("Or scan this QR code to open the page:")
        print(qr_text(flow.verification_uri), end="")
    print(f"Waiting for approval (the code expires at {local}; Ctrl-C cancels)...", flush=True)


async def _pick_drive(
    finder: DriveFinder, args: argparse.Namespace, current: str | None
) -> DriveInfo:
    if args.drive_id:
        return await finder.drive(args.drive_id)
    if args.site or args.search:
        if args.site:
            site = await finder.site_by_url(args.site)
        else:
            sites = await finder.search_sites(args.search)
            if not sites:
                raise ConfigError(f"no SharePoint site matches {args.search!r}")
            if len(sites) > 1 and not _interactive():
                names = "; ".join(f"{s.name} <{s.web_url}>" for s in sites[:10])
                raise _Usage(f"several sites match {args.search!r}: {names}; use --site URL")
            pick = 0 if len(sites) == 1 else _choose("Sites:", [s.name for s in sites])
            site = sites[pick]
        libraries = await finder.site_drives(site.id)
        if not libraries:
            raise ConfigError(f"site {site.name!r} has no document library you can see")
        if len(libraries) > 1 and _interactive():
            return libraries[
                _choose(f"Libraries of {site.name}:", [_drive_label(d) for d in libraries])
            ]
        return libraries[0]
    if current:
        return await finder.drive(current)  # signing in again keeps the chosen drive
    return await finder.default_drive()


def cmd_login(args: argparse.Namespace) -> int:
    if args.help_registration:
        print(REGISTRATION_GUIDE, end="")
        return 0
    if not args.name:
        _err("login: NAME is required (e.g. `skypane login onedrive --client-id GUID`)")
        return EXIT_USAGE
    try:
        return _login(args)
    except _Usage as exc:
        _err(str(exc))
        return EXIT_USAGE
    except EOFError:
        _err("login: no answer on standard input")
        return EXIT_USAGE


def _login(args: argparse.Namespace) -> int:
    name = args.name
    try:
        validate_remote_name(name)
    except ConfigError as exc:
        raise _Usage(str(exc)) from None
    config = load_config()
    existing = config.remotes.get(name)
    if existing is not None and existing.type != ONEDRIVE:
        raise _Usage(f"remote {name!r} is of type {existing.type!r}, not {ONEDRIVE}")
    options = _options_from(args, existing.options if existing else {})
    _complete(options, existing is None)
    try:
        auth_config = AuthConfig.from_options(options)
        options["client_id"] = auth_config.client_id
        verify = tls_context(options.get("ca_bundle"))
        graph = graph_base(str(options.get("region") or "global"), options.get("graph_url"))
    except ConfigError as exc:
        raise _Usage(str(exc)) from None

    # The new tokens stay in memory until the remote is saved: a cancelled or failed
    # login leaves the old sign-in and the config exactly as they were.
    staged = MemorySecrets()
    auth = RemoteAuth(name, auth_config, staged)
    flow: DeviceFlow | None = None
    try:
        flow = auth.start_device_flow()
        _show_code(flow, not args.no_qr)
        outcome = _wait(flow)
        if not isinstance(outcome, SignedIn):
            _err(f"sign-in failed: {outcome.message}")
            return 1
        print(f"Signed in as {outcome.account}.")

        async def choose() -> DriveInfo:
            async with DriveFinder(graph, MsalTokenProvider(auth), verify=verify) as finder:
                return await _pick_drive(finder, args, options.get("drive_id"))

        drive = run(choose)
    except KeyboardInterrupt:
        if flow is not None:
            flow.cancel()  # the poller stops at once; nothing was stored
        _err("sign-in cancelled; nothing was changed")
        return EXIT_INTERRUPTED
    finally:
        auth.close()
    return _commit(config, name, options, outcome, drive, staged)


def _commit(
    config: Config,
    name: str,
    options: dict[str, Any],
    outcome: SignedIn,
    drive: DriveInfo,
    staged: MemorySecrets,
) -> int:
    options.update(account=outcome.account, drive_id=drive.id, drive_type=drive.drive_type)
    blob = staged.load(name)
    if blob is None:
        raise ConfigError("sign-in produced no tokens to store")
    store = SecretStore(log_warning=False)
    store.save(name, blob)
    config.set_remote(RemoteConfig(name, ONEDRIVE, options))
    config.save()
    print(f"Remote {name}: drive {_drive_label(drive)}, id {drive.id}")
    print(f"Tokens: {store.backend_description}. Try: skypane ls {name}:")
    if store.warning:
        _err(f"warning: {store.warning}")
    return 0


# -- logout ------------------------------------------------------------------------------------


def cmd_logout(args: argparse.Namespace) -> int:
    config = load_config()
    remote = config.remote(args.name)
    store = SecretStore(log_warning=False)
    names: list[str] = []
    try:
        names = remote_auth(remote.name, remote.options, store).logout()
    except ConfigError:
        store.delete(remote.name)  # options too broken for msal: still drop the tokens
    delete_secret_options(store, remote.name)
    options = {k: v for k, v in remote.options.items() if k != "account"}
    if args.forget:
        config.delete_remote(remote.name)
    else:
        config.set_remote(RemoteConfig(remote.name, remote.type, options))
    config.save()
    who = ", ".join(n for n in names if n) or "no stored sign-in"
    print(f"Signed out of {remote.name} ({who}).")
    if args.forget:
        print(f"Removed remote {remote.name} from {config.path}.")
    return 0


def describe_remote(remote: RemoteConfig, store: SecretStore | None = None) -> str:
    """Account and drive of a remote for ``skypane remotes``."""
    if remote.type != ONEDRIVE:
        host = remote.get("host")
        if not host:
            return str(remote.get("drive_id") or "")
        user, port = remote.get("user"), remote.get("port")
        return f"{user + '@' if user else ''}{host}{f':{port}' if port else ''}"
    store = store or SecretStore(log_warning=False)
    signed_in = store.load(remote.name) is not None
    account = remote.get("account") if signed_in else None
    drive = remote.get("drive_id")
    drive_text = f"{remote.get('drive_type') or 'drive'} {drive}" if drive else "no drive chosen"
    return f"{account or '(not signed in)'}\t{drive_text}"


# -- about -------------------------------------------------------------------------------------


def quota_dict(quota: Quota) -> dict[str, Any]:
    return {
        "total": quota.total,
        "used": quota.used,
        "deleted": quota.deleted,
        "free": quota.free,
        "state": quota.state,
    }


async def _quota_of(name: str, config: Config) -> Quota:
    from core.backend import QuotaInfo
    from core.remotes import open_backend

    backend = open_backend(name, config)
    try:
        if not isinstance(backend, QuotaInfo):
            raise ConfigError(f"remote {name!r} ({config.remote(name).type}) reports no quota")
        return await backend.about()
    finally:
        await backend.close()


def cmd_about(args: argparse.Namespace) -> int:
    name = args.remote.rstrip(":").split(":", 1)[0]
    if not name:
        _err("about: give a remote as NAME:")
        return EXIT_USAGE
    config = load_config()
    config.remote(name)
    quota = run(lambda: _quota_of(name, config))
    data = quota_dict(quota)
    if args.json:
        print_json(data)
        return 0
    for label, key in (("Total", "total"), ("Used", "used"), ("Deleted", "deleted")):
        print(f"{label + ':':9}{fmt_size(data[key])}")
    print(f"{'Free:':9}{fmt_size(data['free'])}")
    print(f"{'State:':9}{data['state'] or '-'}")
    return 0


__all__ = ["describe_remote", "qr_text", "register"]
