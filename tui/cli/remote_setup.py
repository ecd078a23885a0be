"""``skypane remotes add``: a remote of any backend type from the options it declares.

``skypane remotes add NAME TYPE OPTION=VALUE...`` checks each option against the backend's
``OPTIONS`` (unknown names are refused, numbers and switches converted) and writes the
remote to the config file. A secret option (an SFTP password) is never taken from the
command line, where shell history and ``ps`` would keep it: ``password=-`` asks for it
(without echo on a terminal, else one line of standard input) and it goes to the secret
store, never to the config file.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from core.backend import Option
from core.config import RemoteConfig, load_config, validate_remote_name
from core.errors import ConfigError
from core.registry import backend_class, backend_names

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def register_under(remotes: argparse.ArgumentParser) -> None:
    sub = remotes.add_subparsers(dest="remotes_action", metavar="ACTION")
    p = sub.add_parser(
        "add",
        help="add (or with --update change) a remote from its backend's options",
        description="Add a remote: skypane remotes add box sftp host=myserver. "
        "A secret option is given as NAME=- and asked for, never typed on the command line.",
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("type", metavar="TYPE", help=f"backend type ({', '.join(backend_names())})")
    p.add_argument("settings", nargs="*", metavar="OPTION=VALUE")
    p.add_argument("--update", action="store_true", help="change an existing remote")
    p.set_defaults(handler=cmd_remotes_add)


def convert(option: Option, text: str) -> Any:
    """``text`` as the value ``option`` takes (a number, a switch, one of its choices)."""
    if option.kind == "int":
        try:
            return int(text)
        except ValueError:
            raise ConfigError(f"option {option.name}: {text!r} is not a whole number") from None
    if option.kind == "bool":
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ConfigError(f"option {option.name}: {text!r} is not yes or no")
    if option.kind == "choice" and option.choices and text not in option.choices:
        raise ConfigError(f"option {option.name}: choose one of {', '.join(option.choices)}")
    return text


def _ask_secret(option: Option) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(f"{option.name} ({option.help}): ")
    line = sys.stdin.readline()
    if not line:
        raise ConfigError(f"option {option.name}: nothing on standard input")
    return line.rstrip("\r\n")


def parse_settings(
    declared: tuple[Option, ...], settings: list[str]
) -> tuple[dict[str, Any], dict[str, str | None]]:
    """Plain options and secret ones from ``OPTION=VALUE`` words."""
    by_name = {o.name: o for o in declared}
    plain: dict[str, Any] = {}
    secret: dict[str, str | None] = {}
    for word in settings:
        key, sep, value = word.partition("=")
        if not sep:
            raise ConfigError(f"{word!r}: write OPTION=VALUE")
        option = by_name.get(key)
        if option is None:
            known = ", ".join(by_name) or "none"
            raise ConfigError(f"unknown option {key!r} (options of this type: {known})")
        if option.secret:
            if value not in ("-", ""):
                raise ConfigError(
                    f"option {key} is secret: write {key}=- to be asked for it "
                    "(a value typed here would stay in the shell's history)"
                )
            secret[key] = _ask_secret(option) if value == "-" else None
        else:
            plain[key] = convert(option, value) if value != "" else None
    return plain, secret


def cmd_remotes_add(args: argparse.Namespace) -> int:
    validate_remote_name(args.name)
    declared = tuple(backend_class(args.type).OPTIONS)
    config = load_config()
    existing = config.remotes.get(args.name)
    if existing is not None and not args.update:
        raise ConfigError(f"a remote named {args.name!r} exists (change it with --update)")
    if existing is not None and existing.type != args.type:
        raise ConfigError(f"remote {args.name!r} is of type {existing.type!r}, not {args.type!r}")
    plain, secret = parse_settings(declared, args.settings)
    options = dict(existing.options) if existing is not None else {}
    options.update(plain)
    options = {k: v for k, v in options.items() if v is not None}
    missing = [o.name for o in declared if o.required and o.name not in options]
    if missing:
        raise ConfigError(f"type {args.type} needs: {', '.join(f'{m}=...' for m in missing)}")
    config.set_remote(RemoteConfig(args.name, args.type, options))
    from core.secrets import SecretStore, save_secret_options  # keyring: only to add one

    store = SecretStore(log_warning=False)
    if secret:
        save_secret_options(store, args.name, secret)
    config.save()
    print(f"Remote {args.name} ({args.type}) saved in {config.path}. Try: skypane ls {args.name}:")
    if secret and store.warning:
        print(f"skypane: warning: {store.warning}", file=sys.stderr)
    return 0
