"""Sign-in settings of a OneDrive remote: client id, tenant, authority, scopes.

Also the guide to registering the application skypane signs in with (there is no
borrowed client id), shown by ``skypane login`` and the config wizard.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.backends.onedrive.clouds import authority_url, cloud
from core.errors import ConfigError

CLIENT_ID_ENV = "SKYPANE_CLIENT_ID"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_TENANT = re.compile(r"^(common|organizations|consumers|[A-Za-z0-9][A-Za-z0-9.\-]{0,253})$")

REGISTRATION_GUIDE = """\
skypane signs in with an app registration of your own (no borrowed client id):

 1. Open https://entra.microsoft.com > Applications > App registrations > New registration.
 2. Name: skypane (any name). Supported account types: "Accounts in any organizational
    directory and personal Microsoft accounts" for both kinds of account (or only your
    organisation, then sign in with --tenant YOUR-TENANT-ID).
 3. Redirect URI: leave empty. Register.
 4. Authentication > Advanced settings > "Allow public client flows": Yes. Save.
    (The device-code sign-in is a public client flow.)
 5. API permissions > Add a permission > Microsoft Graph > Delegated permissions:
    Files.ReadWrite.All, Sites.Read.All, offline_access, User.Read. Add. Work accounts may
    need an administrator to grant consent.
 6. Copy the "Application (client) ID" from Overview (a GUID such as
    12345678-abcd-4ef0-9876-0123456789ab) and give it to skypane:
    `skypane login NAME --client-id GUID`, or set SKYPANE_CLIENT_ID.
"""


def validate_client_id(value: str) -> str:
    """The client id, trimmed; ``ConfigError`` with the way out when it is not a GUID."""
    text = value.strip()
    if not _GUID.match(text):
        raise ConfigError(
            f"client id {value!r} is not an application (client) id: expected a GUID such as "
            "12345678-abcd-4ef0-9876-0123456789ab (see `skypane login --help-registration`)"
        )
    return text.lower()


def validate_tenant(value: str) -> str:
    text = value.strip() or "common"
    if not _TENANT.match(text):
        raise ConfigError(
            f"tenant {value!r}: use common, organizations, consumers, a tenant id or a domain"
        )
    return text


def resolve_client_id(options: Mapping[str, Any], env: Mapping[str, str] | None = None) -> str:
    """The remote's client id, else ``SKYPANE_CLIENT_ID``; validated."""
    env = os.environ if env is None else env
    value = options.get("client_id") or env.get(CLIENT_ID_ENV)
    if not value:
        raise ConfigError(
            "no client id: give the application (client) id of your own app registration "
            f"with --client-id or {CLIENT_ID_ENV} (see `skypane login --help-registration`)"
        )
    return validate_client_id(str(value))


def scopes_for(
    *,
    read_only: bool = False,
    disable_site_permission: bool = False,
    resource: str | None = None,
) -> tuple[str, ...]:
    """Graph scopes to request. msal adds offline_access, openid and profile itself
    (it refuses them when passed)."""
    scopes = ["Files.Read.All" if read_only else "Files.ReadWrite.All"]
    if not disable_site_permission:
        scopes.append("Sites.Read.All")
    if resource:
        scopes = [f"{resource.rstrip('/')}/{s}" for s in scopes]
    return tuple(scopes)


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """What sign-in needs from a remote's options."""

    client_id: str
    authority: str
    #: False when the authority is an override (emulator, private cloud): msal must not ask
    #: login.microsoftonline.com about a host it does not know.
    instance_discovery: bool
    scopes: tuple[str, ...]
    ca_bundle: str | None = None
    account: str | None = None

    @classmethod
    def from_options(
        cls, options: Mapping[str, Any], env: Mapping[str, str] | None = None
    ) -> AuthConfig:
        region = str(options.get("region") or "global")
        tenant = validate_tenant(str(options.get("tenant") or "common"))
        override = options.get("authority") or None
        resource = None
        # Outside the global cloud short scopes may resolve to the global Graph
        # (GRAPH.md §16, unconfirmed): name the national Graph explicitly.
        if region != "global" and not options.get("graph_url"):
            resource = cloud(region).graph
        return cls(
            client_id=resolve_client_id(options, env),
            authority=authority_url(region, tenant, override),
            instance_discovery=not override,
            scopes=scopes_for(
                read_only=_flag(options.get("read_only")),
                disable_site_permission=_flag(options.get("disable_site_permission")),
                resource=resource,
            ),
            ca_bundle=options.get("ca_bundle") or None,
            account=options.get("account") or None,
        )
