"""OneDriveAccount: the config wizard's account step for a OneDrive remote.

Sign in with the device-code dialog, then choose the drive in the drive picker. New tokens
stay in memory (``MemorySecrets``) until the wizard saves, so cancelling the wizard leaves
the stored sign-in as it was — the same rule ``skypane login`` follows.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Label

from core.backends.onedrive.auth import AuthConfig, MsalTokenProvider, RemoteAuth
from core.backends.onedrive.clouds import graph_base
from core.backends.onedrive.drives import DriveFinder, DriveInfo
from core.backends.onedrive.options import OPTIONS
from core.config import RemoteConfig
from core.errors import SkypaneError
from core.secrets import MemorySecrets, Secrets
from core.tls import tls_context
from tui.dialogs.drive_picker import DRIVE_TYPES, DrivePickerDialog
from tui.dialogs.login import DeviceLoginDialog, LoginResult
from tui.format import Clock, safe_name, system_clock

#: Options whose change needs a new sign-in (they decide where and how we sign in).
AUTH_OPTIONS = (
    "client_id",
    "tenant",
    "region",
    "authority",
    "read_only",
    "disable_site_permission",
)
#: Options this step fills in; the settings form does not show them.
FILLED_HERE = frozenset({"account", "drive_id", "drive_type"})


def _auth_key(options: Mapping[str, Any]) -> tuple[Any, ...]:
    """The sign-in settings, defaults filled in (a form shows them, a config may omit them)."""
    defaults = {o.name: o.default for o in OPTIONS}
    return tuple(
        options.get(k) if options.get(k) not in (None, "") else defaults.get(k)
        for k in AUTH_OPTIONS
    )


class OneDriveAccount(Vertical):
    """Shows who is signed in and which drive is chosen, with buttons to change both."""

    DEFAULT_CSS = """
    OneDriveAccount { height: auto; }
    OneDriveAccount Horizontal { height: auto; margin: 1 0; }
    OneDriveAccount Horizontal Button { margin-right: 2; }
    OneDriveAccount Label { width: 100%; }
    """

    class Changed(Message):
        """Signed in or a drive was chosen."""

    def __init__(
        self,
        store: Secrets,
        *,
        existing: RemoteConfig | None = None,
        login_close_after: float = 1.5,
        clock: Clock = system_clock,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.store = store
        self.staged = MemorySecrets()
        self.login_close_after = login_close_after
        self.clock = clock
        self.name_ = ""
        self.options: dict[str, Any] = {}
        self.auth: RemoteAuth | None = None
        self.account: str | None = None
        self.drive: DriveInfo | None = None
        self._signed_for: tuple[Any, ...] | None = None
        if existing is not None and store.load(existing.name) is not None:
            # Keep the stored sign-in and drive while the sign-in settings stay the same.
            self._signed_for = _auth_key(existing.options)
            self.account = existing.get("account")
            if existing.get("drive_id"):
                self.drive = DriveInfo(
                    str(existing.get("drive_id")), "", str(existing.get("drive_type") or "")
                )

    def compose(self) -> ComposeResult:
        yield Label("", id="account-state")
        with Horizontal():
            yield Button("Sign in…", id="sign-in", variant="primary")
            yield Button("Choose drive…", id="choose-drive")
        yield Label("", id="drive-state")

    def on_mount(self) -> None:
        self._refresh()
        self.call_after_refresh(self.focus_action)

    def focus_action(self) -> bool:
        """Focus what is left to do here (sign in, then the drive); False when done."""
        if not self.query("#sign-in"):
            return False
        if not self.account:
            self.query_one("#sign-in", Button).focus()
        elif self.drive is None:
            self.query_one("#choose-drive", Button).focus()
        else:
            return False
        return True

    @property
    def complete(self) -> bool:
        return bool(self.account) and self.drive is not None

    def configure(self, name: str, options: Mapping[str, Any]) -> None:
        """The remote's name and settings as the earlier steps left them."""
        self.name_ = name
        self.options = dict(options)
        if self._signed_for is not None and self._signed_for != _auth_key(options):
            # Another client id, tenant or cloud: the old sign-in does not apply.
            self._signed_for = None
            self.account = None
            self.drive = None
            self.auth = None
        self._refresh()

    def fill(self, options: dict[str, Any]) -> None:
        """Add the account and the drive to a remote's options."""
        options["account"] = self.account
        if self.drive is not None:
            options["drive_id"] = self.drive.id
            options["drive_type"] = self.drive.drive_type or None

    def commit_tokens(self) -> None:
        """Store a sign-in made in this wizard (called when the remote is saved)."""
        blob = self.staged.load(self.name_)
        if blob is not None:
            self.store.save(self.name_, blob)

    # -- drawing ---------------------------------------------------------------------------

    def _refresh(self) -> None:
        if not self.query("#account-state"):
            return  # not composed yet: on_mount draws
        state = self.query_one("#account-state", Label)
        if self.account:
            state.update(f"✓ Signed in as {self.account}")
            state.set_classes("sky-ok")
        else:
            state.update("Not signed in yet: sign in with a code typed on any device.")
            state.set_classes("sky-muted")
        self.query_one("#sign-in", Button).label = "Sign in again…" if self.account else "Sign in…"
        self.query_one("#choose-drive", Button).disabled = not self.account
        drive = self.query_one("#drive-state", Label)
        if self.drive is None:
            drive.update("No drive chosen yet." if self.account else "")
        else:
            d = self.drive
            kind = DRIVE_TYPES.get(d.drive_type, d.drive_type or "drive")
            lines = [f"Drive: {safe_name(d.name) or d.id}  ({kind})"]
            if d.web_url:
                lines.append(f"       {d.web_url}")
            lines.append(f"       id {d.id}")
            drive.update("\n".join(lines))

    def _error(self, text: str) -> None:
        state = self.query_one("#account-state", Label)
        state.update(f"✗ {text}")
        state.set_classes("sky-error")

    # -- actions ---------------------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "sign-in":
            self.sign_in()
        elif event.button.id == "choose-drive":
            self.choose_drive()

    def _auth(self, store: Secrets) -> RemoteAuth:
        return RemoteAuth(self.name_, AuthConfig.from_options(self.options), store)

    def sign_in(self) -> None:
        try:
            auth = self._auth(self.staged)
        except SkypaneError as exc:
            self._error(str(exc))
            return
        dialog = DeviceLoginDialog(
            auth, remote=self.name_, clock=self.clock, close_after=self.login_close_after
        )
        self.app.push_screen(dialog, lambda result: self._signed_in(auth, result))

    def _signed_in(self, auth: RemoteAuth, result: LoginResult | None) -> None:
        if result is None or not result.signed_in:
            with contextlib.suppress(Exception):
                auth.close()
            return
        if self.auth is not None and self.auth is not auth:
            self.auth.close()
        self.auth = auth
        self.account = result.account
        self.drive = None
        self._signed_for = _auth_key(self.options)
        self._refresh()
        self.post_message(self.Changed())
        self.choose_drive()

    def choose_drive(self) -> None:
        if not self.account:
            return
        if self.auth is None:
            try:
                self.auth = self._auth(self.store)  # the stored sign-in of an existing remote
            except SkypaneError as exc:
                self._error(str(exc))
                return
        self._pick(self.auth)

    @work(exclusive=True, group="drive-picker")
    async def _pick(self, auth: RemoteAuth) -> None:
        try:
            base = graph_base(
                str(self.options.get("region") or "global"), self.options.get("graph_url")
            )
            verify = tls_context(self.options.get("ca_bundle"))
        except SkypaneError as exc:
            self._error(str(exc))
            return
        async with DriveFinder(base, MsalTokenProvider(auth), verify=verify) as finder:
            drive = await self.app.push_screen_wait(DrivePickerDialog(finder, account=self.account))
        if drive is not None:
            self.drive = drive
            self._refresh()
            self.post_message(self.Changed())

    def on_unmount(self) -> None:
        if self.auth is not None:
            with contextlib.suppress(Exception):
                self.auth.close()
