"""``skypane link``: create a share link (type, scope, expiry, password), list or revoke links."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from core.backend import Links
from core.config import load_config
from core.errors import ConfigError
from core.model import Link, LinkRequest, LinkScope, LinkType
from core.when import parse_expiry
from tui.cli.common import open_location, print_json, run

EXIT_USAGE = 2


def register(sub: Any) -> None:
    p = sub.add_parser(
        "link",
        help="create a share link for remote:path (or list / revoke its links)",
        description="Print a new share link of remote:path. Type and scope default to the "
        "remote's link_type and link_scope options (view, anonymous).",
    )
    p.add_argument("path", metavar="REMOTE:PATH")
    p.add_argument("--type", choices=[t.value for t in LinkType], help="view, edit or embed")
    p.add_argument(
        "--scope",
        choices=[s.value for s in LinkScope],
        help="anonymous (anyone with the link), organization or users (--recipient)",
    )
    p.add_argument(
        "--recipient", action="append", default=[], metavar="EMAIL", help="with --scope users"
    )
    p.add_argument("--expiry", metavar="WHEN", help="7d, 2w, 6m or a date such as 2025-12-31")
    p.add_argument(
        "--password",
        metavar="PASSWORD|-",
        help="protect the link (OneDrive Personal only); - asks for it (or reads stdin), "
        "keeping it out of the shell history",
    )
    action = p.add_mutually_exclusive_group()
    action.add_argument("--list", action="store_true", help="list the existing links instead")
    action.add_argument("--revoke", metavar="ID", help="revoke the link with this id")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_link)


def link_dict(link: Link) -> dict[str, Any]:
    return {
        "id": link.id,
        "url": link.url,
        "type": link.type,
        "scope": link.scope,
        "expires": link.expires.isoformat() if link.expires else None,
        "password": link.has_password,
    }


def _request(args: argparse.Namespace, defaults: dict[str, Any]) -> LinkRequest:
    kind = LinkType(args.type or defaults.get("link_type") or "view")
    scope = LinkScope(
        args.scope
        or ("users" if args.recipient else None)
        or defaults.get("link_scope")
        or "anonymous"
    )
    if scope is LinkScope.USERS and not args.recipient:
        raise ConfigError("--scope users needs at least one --recipient EMAIL")
    expires = parse_expiry(args.expiry, datetime.now(UTC).astimezone()) if args.expiry else None
    return LinkRequest(kind, scope, expires, _password(args.password), tuple(args.recipient))


def _password(value: str | None) -> str | None:
    """The link password; ``-`` prompts without echo on a terminal, else reads one line."""
    if value != "-":
        return value or None
    if sys.stdin.isatty():
        import getpass

        text = getpass.getpass("Link password: ")
    else:
        text = sys.stdin.readline().rstrip("\r\n")
    if not text:
        raise ConfigError("--password -: no password given")
    return text


def cmd_link(args: argparse.Namespace) -> int:
    config = load_config()
    name = args.path.partition(":")[0] if ":" in args.path else ""
    defaults = dict(config.remotes[name].options) if name in config.remotes else {}
    request: LinkRequest | None = None
    if not (args.list or args.revoke):
        try:
            request = _request(args, defaults)
        except (ConfigError, ValueError) as exc:
            print(f"skypane: link: {exc}", file=sys.stderr)
            return EXIT_USAGE
    return run(lambda: _link(args, request))


async def _link(args: argparse.Namespace, request: LinkRequest | None) -> int:
    backend, loc = open_location(args.path)
    try:
        if not isinstance(backend, Links):
            raise ConfigError(f"{args.path}: this location has no share links")
        if args.revoke:
            await backend.revoke_link(loc.path, args.revoke)
            print(f"Revoked link {args.revoke} of {loc}.")
            return 0
        if args.list:
            links = await backend.list_links(loc.path)
            if args.json:
                print_json([link_dict(x) for x in links])
                return 0
            for x in links:
                expires = x.expires.astimezone().strftime("%Y-%m-%d") if x.expires else "never"
                lock = " password" if x.has_password else ""
                print(f"{x.id}\t{x.type}\t{x.scope}\t{expires}{lock}\t{x.url}")
            return 0
        assert request is not None
        link = await backend.create_link(loc.path, request)
        if args.json:
            print_json(link_dict(link))
        else:
            print(link.url)
        return 0
    finally:
        await backend.close()
