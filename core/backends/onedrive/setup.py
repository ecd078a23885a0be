"""OneDrive's setup steps: sign in by device code, then choose the drive.

Run by any UI through ``core.setup``: the TUI's wizard and its sign-in-again hook, and
``skypane login``. New tokens go to the context's staged store until the remote is saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from core.backends.onedrive.auth_config import AuthConfig
from core.backends.onedrive.clouds import graph_base
from core.backends.onedrive.drives import DriveFinder, DriveInfo, SiteInfo
from core.backends.onedrive.options import OPTIONS
from core.errors import AuthenticationRequired, ConfigError
from core.names import display
from core.secrets import Secrets
from core.setup import (
    Asker,
    Cancelled,
    Choice,
    ListSource,
    LookupMode,
    SetupCancelled,
    SetupContext,
    SetupStep,
    SignedIn,
)
from core.tls import tls_context

if TYPE_CHECKING:  # msal loads only when a sign-in runs
    from core.backends.onedrive.auth import RemoteAuth

SIGN_IN = "sign-in"
CHOOSE_DRIVE = "choose-drive"
STEPS = (SetupStep(SIGN_IN, "Sign in…"), SetupStep(CHOOSE_DRIVE, "Choose drive…"))

#: Options whose change needs a new sign-in (they decide where and how we sign in).
AUTH_OPTIONS = (
    "client_id",
    "tenant",
    "region",
    "authority",
    "read_only",
    "disable_site_permission",
)

DRIVE_TYPES = {
    "personal": "OneDrive (personal)",
    "business": "OneDrive for work or school",
    "documentLibrary": "SharePoint library",
}


def _auth_key(options: Mapping[str, Any]) -> tuple[Any, ...]:
    """The sign-in settings, defaults filled in (a form shows them, a config may omit them)."""
    defaults = {o.name: o.default for o in OPTIONS}
    return tuple(
        options.get(k) if options.get(k) not in (None, "") else defaults.get(k)
        for k in AUTH_OPTIONS
    )


def drive_line(drive: DriveInfo) -> str:
    kind = DRIVE_TYPES.get(drive.drive_type, drive.drive_type or "drive")
    lines = [f"Drive: {display(drive.name) or drive.id}  ({kind})"]
    if drive.web_url:
        lines.append(f"       {drive.web_url}")
    lines.append(f"       id {drive.id}")
    return "\n".join(lines)


def drive_choice(drive: DriveInfo) -> Choice:
    kind = DRIVE_TYPES.get(drive.drive_type, drive.drive_type or "drive")
    owner = f" · {drive.owner}" if drive.owner else ""
    return Choice(
        drive.name or "(no name)", f"{kind}{owner}", drive.web_url or drive.id, value=drive
    )


def site_choice(site: SiteInfo) -> Choice:
    return Choice(
        site.name, detail=site.web_url or site.id, prefix="Site: ", opens=True, value=site
    )


class DriveChoices:
    """The drive picker's questions, answered by Graph (``ChoiceSource``)."""

    title = "Choose the drive"
    hint = "Enter on a site lists its libraries."
    modes: tuple[LookupMode, ...] = (
        LookupMode("mine", "My drives"),
        LookupMode("search", "Search SharePoint sites", "site name, e.g. marketing"),
        LookupMode("url", "SharePoint site URL", "https://contoso.sharepoint.com/sites/marketing"),
        LookupMode("id", "Drive id", "b!… or a OneDrive drive id"),
    )

    def __init__(self, finder: DriveFinder, account: str | None = None) -> None:
        self.finder = finder
        self.note = f"Signed in as {account}" if account else ""

    async def lookup(self, mode: str, query: str) -> list[Choice]:
        if mode == "mine":
            return [drive_choice(d) for d in await self.finder.my_drives()]
        if mode == "search":
            return [site_choice(s) for s in await self.finder.search_sites(query)]
        if mode == "url":
            site = await self.finder.site_by_url(query)
            return [drive_choice(d) for d in await self.finder.site_drives(site.id)]
        return [drive_choice(await self.finder.drive(query))]

    async def open(self, choice: Choice) -> tuple[str, list[Choice]]:
        site = choice.value
        assert isinstance(site, SiteInfo)
        drives = await self.finder.site_drives(site.id)
        return f"Libraries of {site.name}", [drive_choice(d) for d in drives]

    async def default(self) -> Choice | None:
        return drive_choice(await self.finder.default_drive())


def _auth(remote: str, options: Mapping[str, Any], store: Secrets) -> RemoteAuth:
    from core.backends.onedrive.auth import RemoteAuth

    return RemoteAuth(remote, AuthConfig.from_options(options), store)


def _finder(options: Mapping[str, Any], auth: RemoteAuth) -> DriveFinder:
    from core.backends.onedrive.auth import MsalTokenProvider

    base = graph_base(str(options.get("region") or "global"), options.get("graph_url"))
    return DriveFinder(base, MsalTokenProvider(auth), verify=tls_context(options.get("ca_bundle")))


async def _sign_in(context: SetupContext) -> None:
    context.options["client_id"] = AuthConfig.from_options(context.options).client_id
    context.staged.delete(context.remote)
    auth = _auth(context.remote, context.options, context.staged)
    try:
        outcome = await context.asker.device_code(auth, remote=context.remote)
    finally:
        auth.close()
    if isinstance(outcome, Cancelled):
        raise SetupCancelled("sign-in cancelled; nothing was changed")
    if not isinstance(outcome, SignedIn):
        raise AuthenticationRequired(f"sign-in failed: {outcome.message}")
    context.options["account"] = outcome.account
    context.done[SIGN_IN] = f"✓ Signed in as {outcome.account}"
    context.done.pop(CHOOSE_DRIVE, None)  # chosen with another sign-in


async def _drive(context: SetupContext, finder: DriveFinder) -> DriveInfo | None:
    hints, asker = context.hints, context.asker
    if hints.get("drive_id"):
        return await finder.drive(hints["drive_id"])
    if hints.get("site") or hints.get("search"):
        if hints.get("site"):
            site = await finder.site_by_url(hints["site"])
        else:
            query = hints["search"]
            sites = await finder.search_sites(query)
            if not sites:
                raise ConfigError(f"no SharePoint site matches {query!r}")
            picked = sites[0] if len(sites) == 1 else None
            if picked is None:
                choice = await asker.choose(
                    ListSource(f"Sites matching {query!r}", [site_choice(s) for s in sites])
                )
                picked = choice.value if choice is not None else None
            if not isinstance(picked, SiteInfo):
                return None
            site = picked
        libraries = await finder.site_drives(site.id)
        if not libraries:
            raise ConfigError(f"site {site.name!r} has no document library you can see")
        if len(libraries) == 1:
            return libraries[0]
        options = [drive_choice(d) for d in libraries]
        choice = await asker.choose(
            ListSource(f"Libraries of {site.name}", options, default=options[0])
        )
        return choice.value if choice is not None else None
    current = context.options.get("drive_id")
    if hints.get("drive") == "keep" and current:
        return await finder.drive(str(current))  # signing in again keeps the chosen drive
    choice = await asker.choose(DriveChoices(finder, context.options.get("account")))
    return choice.value if choice is not None else None


async def _choose_drive(context: SetupContext) -> None:
    if SIGN_IN not in context.done:
        raise ConfigError("sign in first")
    signed = context.staged if context.staged.load(context.remote) else context.store
    auth = _auth(context.remote, context.options, signed)
    try:
        async with _finder(context.options, auth) as finder:
            drive = await _drive(context, finder)
    finally:
        auth.close()
    if drive is None:
        raise SetupCancelled("no drive chosen")
    context.options.update(drive_id=drive.id, drive_type=drive.drive_type or None)
    context.done[CHOOSE_DRIVE] = drive_line(drive)


class OneDriveSetup:
    """The steps ``OneDriveBackend`` declares (``core.setup.Setup``, ``SignsIn``, ``Describes``)."""

    SETUP_STEPS = STEPS

    @staticmethod
    async def setup(context: SetupContext, step: str) -> None:
        if step == SIGN_IN:
            await _sign_in(context)
        elif step == CHOOSE_DRIVE:
            await _choose_drive(context)
        else:
            raise ConfigError(f"OneDrive has no setup step {step!r}")

    @staticmethod
    def resume_setup(context: SetupContext, saved: Mapping[str, Any]) -> None:
        signed = context.staged.load(context.remote) or context.store.load(context.remote)
        if signed is None or not saved.get("account"):
            return
        if _auth_key(saved) != _auth_key(context.options):
            return  # another client id, tenant or cloud: the old sign-in does not apply
        context.options["account"] = saved["account"]
        context.done[SIGN_IN] = f"✓ Signed in as {saved['account']}"
        if saved.get("drive_id"):
            context.options.update(drive_id=saved["drive_id"], drive_type=saved.get("drive_type"))
            drive = DriveInfo(str(saved["drive_id"]), "", str(saved.get("drive_type") or ""))
            context.done[CHOOSE_DRIVE] = drive_line(drive)

    @staticmethod
    async def sign_in(
        remote: str,
        options: Mapping[str, Any],
        asker: Asker,
        store: Secrets,
        *,
        reason: str | None = None,
        note: str | None = None,
    ) -> str | None:
        auth = _auth(remote, options, store)
        try:
            outcome = await asker.device_code(auth, remote=remote, reason=reason, note=note)
        finally:
            auth.close()
        return outcome.account if isinstance(outcome, SignedIn) else None

    @staticmethod
    def sign_out(remote: str, options: Mapping[str, Any], store: Secrets) -> list[str]:
        try:
            auth = _auth(remote, options, store)
        except ConfigError:
            store.delete(remote)  # options too broken for msal: still drop the tokens
            return []
        try:
            return auth.logout()
        finally:
            auth.close()

    @staticmethod
    def describe(remote: str, options: Mapping[str, Any], store: Secrets) -> tuple[str, str]:
        signed_in = store.load(remote) is not None
        account = str(options.get("account") or "") if signed_in else ""
        drive = options.get("drive_id")
        place = f"{options.get('drive_type') or 'drive'} {drive}" if drive else "no drive chosen"
        return account or "(not signed in)", place
