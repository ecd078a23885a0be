"""``skypane login``, ``logout`` and ``about``: set up or sign in to a remote of any backend type.

``skypane login NAME`` runs the setup steps the remote's backend declares (``core.setup``):
OneDrive signs in by device code and chooses a drive, SFTP connects once (an unknown host key
and password prompts are asked on the terminal). Nothing is written unless every step
succeeds; new secrets go to the secret store only.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from typing import Any

from core.backend import Option
from core.config import Config, RemoteConfig, load_config, validate_remote_name
from core.errors import ConfigError, SkypaneError
from core.model import Quota
from core.registry import backend_class
from core.secrets import SecretStore, delete_secret_options
from core.setup import (
    NotInteractive,
    Setup,
    SetupCancelled,
    SetupContext,
    run_setup,
    setup_of,
    sign_in_of,
)
from core.setup import describe_remote as describe_of
from tui.cli.asker import TerminalAsker, qr_text
from tui.cli.common import fmt_size, print_json, run
from tui.cli.remote_setup import convert, parse_settings

DEFAULT_TYPE = "onedrive"
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

#: Flags of earlier versions, kept: each sets the option of the same name.
OPTION_FLAGS = ("client_id", "tenant", "region", "authority", "graph_url", "ca_bundle")
#: Flags that answer a setup question ahead (which drive).
HINT_FLAGS = ("drive_id", "site", "search")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "login",
        help="set up or sign in to a remote (OneDrive by device code, SFTP by SSH) and save it",
        description="Run the setup of remote NAME: sign in with a code typed on any device "
        "(OneDrive; works over SSH), or connect to an SSH server from a ~/.ssh/config host "
        "alias (sftp: skypane login box host=ALIAS --type sftp), then save the remote. "
        "Options left out are asked for when stdin is a terminal.",
    )
    p.add_argument("name", nargs="?", metavar="NAME", help="remote name (e.g. onedrive, work)")
    p.add_argument("settings", nargs="*", metavar="OPTION=VALUE", help="options of the backend")
    p.add_argument("--type", dest="kind", help=f"backend type of a new remote ({DEFAULT_TYPE})")
    p.add_argument("--client-id", help="application (client) id; default $SKYPANE_CLIENT_ID")
    p.add_argument("--tenant", help="common (default), organizations, consumers or a tenant id")
    p.add_argument("--region", help="national cloud (global, us, dod, cn; default global)")
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

    p = sub.add_parser("logout", help="sign out of a remote and delete its stored secrets")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--forget", action="store_true", help="also remove the remote from the config")
    p.set_defaults(handler=cmd_logout)

    p = sub.add_parser("about", help="quota of a remote: used, total, deleted, free")
    p.add_argument("remote", metavar="NAME:")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_about)


def _err(text: str) -> None:
    print(f"skypane: {text}", file=sys.stderr)


class _Usage(Exception):
    pass


# -- login -------------------------------------------------------------------------------------


def _checked(option: Option, value: Any) -> Any:
    if option.check is not None and isinstance(value, str):
        return option.check(value)
    return value


def _options_from(
    args: argparse.Namespace, declared: tuple[Option, ...], base: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The remote's options: as saved, then the flags, then OPTION=VALUE words (each checked
    by its option), and the secret values asked for (``password=-``)."""
    by_name = {o.name: o for o in declared}
    given: dict[str, Any] = {}
    for key in OPTION_FLAGS:
        value = getattr(args, key)
        if value:
            given[key] = value
    if args.ca_bundle:
        from pathlib import Path

        given["ca_bundle"] = str(Path(args.ca_bundle).expanduser().resolve())
    if args.read_only:
        given["read_only"] = True
    if args.no_site_permission:
        given["disable_site_permission"] = True
    plain, secret = parse_settings(declared, list(args.settings))
    given.update(plain)
    options = dict(base)
    for key, value in given.items():
        option = by_name.get(key)
        if option is None:
            raise ConfigError(f"--{key.replace('_', '-')}: not an option of this backend type")
        options[key] = _checked(option, value)
    return options, {k: v for k, v in secret.items() if v}


def _complete(options: dict[str, Any], declared: tuple[Option, ...], asker: TerminalAsker) -> None:
    """Ask for required options still missing (terminal) or refuse (no terminal)."""
    for option in declared:
        if not option.required or options.get(option.name) not in (None, ""):
            continue
        if option.env and os.environ.get(option.env):
            options[option.name] = _checked(option, os.environ[option.env])
            continue
        if not asker.interactive:
            words = option.name.replace("_", " ")
            env = f" or set {option.env}" if option.env else ""
            guide = " (`skypane login --help-registration` explains how to get one)"
            raise _Usage(
                f"no {words}: pass {option.name}=VALUE{env}{guide if option.guide else ''}"
            )
        if option.guide:
            print(option.guide, file=sys.stderr)
        offered = list(option.suggestions()) if option.suggestions is not None else []
        if offered:
            print(f"({', '.join(offered)})", file=sys.stderr)
        sys.stderr.write(f"{option.help}: ")
        sys.stderr.flush()
        line = sys.stdin.readline()
        if not line:
            raise EOFError
        if line.strip():
            options[option.name] = _checked(option, convert(option, line.strip()))


def cmd_login(args: argparse.Namespace) -> int:
    if args.help_registration:
        kind_name = args.kind or DEFAULT_TYPE
        guides = [o.guide for o in backend_class(kind_name).OPTIONS if o.guide]
        if not guides:
            print(f"remotes of type {kind_name} need no registration.")
        print("\n".join(guides), end="")
        return 0
    if not args.name:
        _err("login: NAME is required (e.g. `skypane login onedrive --client-id GUID`)")
        return EXIT_USAGE
    try:
        return _login(args)
    except (_Usage, NotInteractive) as exc:
        _err(str(exc))
        return EXIT_USAGE
    except EOFError:
        _err("login: no answer on standard input")
        return EXIT_USAGE
    except KeyboardInterrupt:
        _err("sign-in cancelled; nothing was changed")
        return EXIT_INTERRUPTED
    except SetupCancelled as exc:
        _err(f"{exc}; nothing was changed" if "nothing" not in str(exc) else str(exc))
        return 1


def _login(args: argparse.Namespace) -> int:
    name = args.name
    try:
        validate_remote_name(name)
    except ConfigError as exc:
        raise _Usage(str(exc)) from None
    config = load_config()
    existing = config.remotes.get(name)
    kind_name = existing.type if existing else (args.kind or DEFAULT_TYPE)
    if existing is not None and args.kind and args.kind != existing.type:
        raise _Usage(f"remote {name!r} is of type {existing.type!r}, not {args.kind}")
    try:
        kind = backend_class(kind_name)
    except ConfigError as exc:
        raise _Usage(str(exc)) from None
    steps = setup_of(kind)
    if steps is None:
        raise _Usage(
            f"remotes of type {kind_name!r} have nothing to sign in to: add one with "
            f"`skypane remotes add {name} {kind_name} OPTION=VALUE`"
        )
    asker = TerminalAsker(draw_qr=not args.no_qr)
    try:
        options, secret = _options_from(
            args, tuple(kind.OPTIONS), existing.options if existing else {}
        )
        _complete(options, tuple(kind.OPTIONS), asker)
    except ConfigError as exc:
        raise _Usage(str(exc)) from None
    hints = {k: str(getattr(args, k)) for k in HINT_FLAGS if getattr(args, k)}
    if existing is not None and not hints:
        hints["drive"] = "keep"  # signing in again keeps the chosen drive
    store = SecretStore(log_warning=False)
    context = SetupContext(name, options, asker, store, secret_values=secret, hints=hints)
    run(lambda: run_setup(steps, context))
    return _commit(config, name, kind_name, steps, context)


def _commit(config: Config, name: str, kind_name: str, steps: Setup, context: SetupContext) -> int:
    declared = {o.name: o for o in backend_class(kind_name).OPTIONS}
    options = {
        k: v
        for k, v in context.options.items()
        if v is not None and not (k in declared and declared[k].secret)
    }
    store = context.store
    assert isinstance(store, SecretStore)
    has_secrets = bool(context.staged.names())
    context.commit()
    config.set_remote(RemoteConfig(name, kind_name, options))
    config.save()
    for line in context.summary:
        print(line.removeprefix("✓ "))
    print(f"Remote {name} ({kind_name}) saved in {config.path}.")
    if has_secrets:
        print(f"Secrets: {store.backend_description}.")
    print(f"Try: skypane ls {name}:")
    if has_secrets and store.warning:
        _err(f"warning: {store.warning}")
    return 0


# -- logout ------------------------------------------------------------------------------------


def cmd_logout(args: argparse.Namespace) -> int:
    config = load_config()
    remote = config.remote(args.name)
    store = SecretStore(log_warning=False)
    names: list[str] = []
    try:
        signs_in = sign_in_of(backend_class(remote.type))
    except (SkypaneError, ImportError):
        signs_in = None
    if signs_in is not None:
        names = signs_in.sign_out(remote.name, remote.options, store)
    else:
        store.delete(remote.name)
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
    """Account and place of a remote for ``skypane remotes``, in its backend's words."""
    try:
        kind: object = backend_class(remote.type)
    except (SkypaneError, ImportError):
        kind = None
    account, place = describe_of(
        kind, remote.name, remote.options, store or SecretStore(log_warning=False)
    )
    return f"{account}\t{place}" if account else place


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
