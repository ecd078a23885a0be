"""LinkDialog: create a share link (type, who, expiry, password), see and revoke existing ones.

What the drive does not offer is disabled with the reason beside it (``LinkSupport``), so a
user never fills in a form the service will refuse. A new link is copied to the clipboard
(OSC 52, which works over SSH).
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, RadioButton, RadioSet

from core.backend import Links
from core.errors import SkypaneError
from core.model import Link, LinkRequest, LinkScope, LinkSupport, LinkType
from core.paths import basename
from core.when import parse_expiry
from tui.dialogs.common import OSC52_NOTE, fill_table, frame_css
from tui.dialogs.confirm import ConfirmDialog
from tui.format import Clock, safe_name, system_clock

TYPE_LABELS = {
    LinkType.VIEW: "View only",
    LinkType.EDIT: "Can edit",
    LinkType.EMBED: "Embed (web page)",
}
SCOPE_LABELS = {
    LinkScope.ANONYMOUS: "Anyone with the link",
    LinkScope.ORGANIZATION: "People in your organization",
    LinkScope.USERS: "Specific people",
}
LINK_COLUMNS = ("Type", "Who", "Expires", "Password", "Address")
SHORT_SCOPES = {"anonymous": "anyone", "organization": "organization", "users": "people"}


def refusals(support: LinkSupport) -> list[str]:
    """One line per option the drive refuses, with its reason."""
    lines = []
    for kind in LinkType:
        if kind not in support.types:
            lines.append(f"{TYPE_LABELS[kind]}: {support.reasons.get(str(kind), 'not offered')}")
    for scope in LinkScope:
        if scope not in support.scopes:
            reason = support.reasons.get(str(scope), "not offered")
            lines.append(f"{SCOPE_LABELS[scope]}: {reason}")
    if not support.password:
        lines.append(f"Password: {support.reasons.get('password', 'not offered')}")
    if not support.expiry:
        lines.append(f"Expiry: {support.reasons.get('expiry', 'not offered')}")
    return lines


def link_row(link: Link) -> tuple[str, str, str, str, str]:
    expires = link.expires.astimezone().strftime("%Y-%m-%d") if link.expires else "never"
    return (
        link.type,
        SHORT_SCOPES.get(link.scope, link.scope),
        expires,
        "yes" if link.has_password else "",
        link.url,
    )


class LinkDialog(ModalScreen[Link | None]):
    """Returns the last link created (``None`` if none was)."""

    DEFAULT_CSS = (
        frame_css("LinkDialog", "100")
        + """
    LinkDialog #link-choices { height: auto; }
    LinkDialog RadioSet {
        width: 1fr; height: auto; border: round $border-blurred; border-title-color: $text;
    }
    LinkDialog RadioSet:focus-within { border: round $border; }
    LinkDialog RadioButton:disabled { color: $text-disabled; text-style: strike; }
    LinkDialog .link-field { height: 1; margin-top: 1; }
    LinkDialog .link-field Label { width: 12; }
    LinkDialog .link-field Input { width: 1fr; background: $boost; }
    LinkDialog #link-refusals { color: $text-muted; height: auto; }
    LinkDialog #link-created { height: auto; color: $text-success; margin-top: 1; }
    LinkDialog #link-table { height: auto; max-height: 8; margin-top: 0; }
    LinkDialog.-no-recipients #field-recipients { display: none; }
    """
    )

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="link-close"),
        Binding("ctrl+s", "create", "Create link", id="link-create"),
        Binding("delete", "revoke", "Revoke link", show=False, id="link-revoke"),
    ]

    def __init__(
        self,
        backend: Links,
        path: str,
        *,
        label: str | None = None,
        defaults: LinkRequest | None = None,
        clock: Clock = system_clock,
    ) -> None:
        super().__init__(classes="-no-recipients")
        self.backend = backend
        self.path = path
        self.label = label or basename(path) or path
        self.support = backend.link_support()
        self.defaults = defaults or LinkRequest()
        self.clock = clock
        self.links: list[Link] = []
        self.created: Link | None = None

    # -- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        support = self.support
        kind = self.defaults.type if self.defaults.type in support.types else support.types[0]
        scope = self.defaults.scope if self.defaults.scope in support.scopes else support.scopes[0]
        with Vertical(classes="sky-box") as box:
            box.border_title = f"Share link — {safe_name(self.label)}"
            box.border_subtitle = "Ctrl+S create · Enter on a link copies it · Del revokes"
            with Horizontal(id="link-choices"):
                with RadioSet(id="link-type") as types:
                    types.border_title = "Type"
                    for t in LinkType:
                        yield RadioButton(
                            TYPE_LABELS[t],
                            t == kind,
                            id=f"type-{t}",
                            disabled=t not in support.types,
                        )
                with RadioSet(id="link-scope") as scopes:
                    scopes.border_title = "Who can open it"
                    for s in LinkScope:
                        yield RadioButton(
                            SCOPE_LABELS[s],
                            s == scope,
                            id=f"scope-{s}",
                            disabled=s not in support.scopes,
                        )
            yield Label("\n".join(refusals(support)), id="link-refusals")
            with Horizontal(classes="link-field", id="field-recipients"):
                yield Label("People")
                yield Input(
                    placeholder="e-mail addresses, separated by commas",
                    id="recipients",
                    compact=True,
                )
            with Horizontal(classes="link-field"):
                yield Label("Expires")
                yield Input(
                    placeholder="never — or 7d, 2w, 6m, 2025-12-31",
                    id="expiry",
                    disabled=not support.expiry,
                    compact=True,
                )
            with Horizontal(classes="link-field"):
                yield Label("Password")
                yield Input(
                    placeholder="none" if support.password else "not available on this drive",
                    password=True,
                    id="password",
                    disabled=not support.password,
                    compact=True,
                )
            yield Label("", id="link-error", classes="sky-error")
            with Horizontal(classes="sky-buttons"):
                yield Button("Create link", id="create", variant="primary")
                yield Button("Revoke selected", id="revoke", variant="error", disabled=True)
                yield Button("Close", id="close")
            yield Label("", id="link-created")
            yield Label("Existing links", classes="sky-title")
            yield DataTable(id="link-table", cursor_type="row", zebra_stripes=True)
            yield Label("Loading…", id="link-status", classes="sky-muted")

    def on_mount(self) -> None:
        fill_table(self.query_one(DataTable), LINK_COLUMNS, [])
        self._show_recipients()
        self.query_one("#link-type", RadioSet).focus()
        self._load_links()

    # -- reading the form --------------------------------------------------------------------

    def _chosen(self, set_id: str, prefix: str) -> str:
        pressed = self.query_one(f"#{set_id}", RadioSet).pressed_button
        return (pressed.id or "").removeprefix(prefix) if pressed is not None else ""

    @property
    def link_type(self) -> LinkType:
        return LinkType(self._chosen("link-type", "type-") or self.support.types[0])

    @property
    def scope(self) -> LinkScope:
        return LinkScope(self._chosen("link-scope", "scope-") or self.support.scopes[0])

    def request(self) -> LinkRequest:
        """The form as a ``LinkRequest``; ``SkypaneError`` naming what is wrong."""
        recipients: tuple[str, ...] = ()
        if self.scope is LinkScope.USERS:
            text = self.query_one("#recipients", Input).value
            recipients = tuple(r.strip() for r in text.replace(";", ",").split(",") if r.strip())
            bad = [r for r in recipients if "@" not in r]
            if not recipients or bad:
                raise SkypaneError("give the e-mail address of each person, separated by commas")
        expiry_text = self.query_one("#expiry", Input).value.strip()
        expires = parse_expiry(expiry_text, self.clock()) if expiry_text else None
        password = self.query_one("#password", Input).value or None
        return LinkRequest(self.link_type, self.scope, expires, password, recipients)

    @on(RadioSet.Changed, "#link-scope")
    def _show_recipients(self) -> None:
        self.set_class(self.scope is not LinkScope.USERS, "-no-recipients")

    # -- work ----------------------------------------------------------------------------------

    @work(exclusive=True, group="links-list")
    async def _load_links(self) -> None:
        status = self.query_one("#link-status", Label)
        try:
            links = await self.backend.list_links(self.path)
        except SkypaneError as exc:
            status.update(f"Cannot list the links: {exc}")
            return
        self.links = links
        rows = [link_row(link) for link in links]
        fill_table(self.query_one(DataTable), LINK_COLUMNS, rows, [link.id for link in links])
        status.update("" if links else "No links yet.")
        self.query_one("#revoke", Button).disabled = not links

    @work(exclusive=True, group="links-create")
    async def _create(self, request: LinkRequest) -> None:
        error = self.query_one("#link-error", Label)
        button = self.query_one("#create", Button)
        button.disabled = True
        try:
            link = await self.backend.create_link(self.path, request)
        except SkypaneError as exc:
            error.update(f"Cannot create the link: {exc}")
            return
        finally:
            button.disabled = False
        self.created = link
        self.app.copy_to_clipboard(link.url)
        self.query_one("#link-created", Label).update(
            f"✓ Link created and sent to the clipboard{OSC52_NOTE}:\n{link.url}"
        )
        self._load_links()

    @work(exclusive=True, group="links-revoke")
    async def _revoke(self, link: Link) -> None:
        ok = await self.app.push_screen_wait(
            ConfirmDialog(
                "Revoke link",
                f"Revoke the {link.type} link for {SHORT_SCOPES.get(link.scope, link.scope)}?\n"
                f"{link.url}\nAnyone using it loses access.",
                yes="Revoke",
                danger=True,
            )
        )
        if not ok:
            return
        try:
            await self.backend.revoke_link(self.path, link.id)
        except SkypaneError as exc:
            self.query_one("#link-error", Label).update(f"Cannot revoke the link: {exc}")
            return
        self.query_one("#link-error", Label).update("")
        self.notify("Link revoked", timeout=3)
        self._load_links()

    # -- actions ---------------------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "create":
            self.action_create()
        elif event.button.id == "revoke":
            self.action_revoke()
        elif event.button.id == "close":
            self.action_close()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_create()

    def action_create(self) -> None:
        error = self.query_one("#link-error", Label)
        try:
            request = self.request()
        except SkypaneError as exc:
            error.update(str(exc))
            return
        error.update("")
        self._create(request)

    def selected_link(self) -> Link | None:
        table = self.query_one(DataTable)
        if not self.links or table.cursor_row < 0 or table.cursor_row >= len(self.links):
            return None
        return self.links[table.cursor_row]

    def action_revoke(self) -> None:
        link = self.selected_link()
        if link is not None:
            self._revoke(link)

    @on(DataTable.RowSelected)
    def _copy_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        link = self.selected_link()
        if link is not None:
            self.app.copy_to_clipboard(link.url)
            self.notify(f"Link sent to the clipboard{OSC52_NOTE}", timeout=3)

    def action_close(self) -> None:
        self.dismiss(self.created)
