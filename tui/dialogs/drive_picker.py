"""DrivePickerDialog: which drive a OneDrive remote shows — one of my drives, a library of a
SharePoint site (found by search or by its URL), or a drive given by id.

Every drive is listed with its type and web address so similar names can be told apart.
The Graph calls are ``core.backends.onedrive.drives.DriveFinder``'s.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, RadioButton, RadioSet
from textual.widgets.option_list import Option

from core.backends.onedrive.drives import DriveInfo, SiteInfo
from core.errors import SkypaneError
from tui.dialogs.common import frame_css
from tui.format import safe_name

DRIVE_TYPES = {
    "personal": "OneDrive (personal)",
    "business": "OneDrive for work or school",
    "documentLibrary": "SharePoint library",
}
MODES = {
    "mine": ("My drives", ""),
    "search": ("Search SharePoint sites", "site name, e.g. marketing"),
    "url": ("SharePoint site URL", "https://contoso.sharepoint.com/sites/marketing"),
    "id": ("Drive id", "b!… or a OneDrive drive id"),
}


class DriveSource(Protocol):
    """The questions the picker asks (``DriveFinder`` answers them)."""

    async def my_drives(self) -> list[DriveInfo]: ...

    async def search_sites(self, query: str) -> list[SiteInfo]: ...

    async def site_by_url(self, url: str) -> SiteInfo: ...

    async def site_drives(self, site_id: str) -> list[DriveInfo]: ...

    async def drive(self, drive_id: str) -> DriveInfo: ...


def drive_prompt(drive: DriveInfo) -> Text:
    kind = DRIVE_TYPES.get(drive.drive_type, drive.drive_type or "drive")
    owner = f" · {drive.owner}" if drive.owner else ""
    text = Text.assemble((safe_name(drive.name) or "(no name)", "bold"), f"  {kind}{owner}")
    text.append(f"\n  {drive.web_url or drive.id}", style="dim")
    return text


def site_prompt(site: SiteInfo) -> Text:
    text = Text.assemble(("Site: ", "italic"), (safe_name(site.name), "bold"))
    text.append(f"\n  {site.web_url or site.id}", style="dim")
    return text


class DrivePickerDialog(ModalScreen[DriveInfo | None]):
    DEFAULT_CSS = (
        frame_css("DrivePickerDialog", "96")
        + """
    DrivePickerDialog RadioSet { width: 100%; height: auto; border: none; }
    DrivePickerDialog RadioSet > RadioButton { width: auto; margin-right: 2; }
    DrivePickerDialog #picker-modes { layout: horizontal; }
    DrivePickerDialog #picker-query { margin-top: 1; }
    DrivePickerDialog.-mine #picker-query { display: none; }
    DrivePickerDialog #picker-results { height: auto; max-height: 14; margin-top: 1; }
    DrivePickerDialog #picker-status { margin-top: 1; }
    """
    )

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="drives-cancel"),
    ]

    def __init__(self, source: DriveSource, *, account: str | None = None) -> None:
        super().__init__(classes="-mine")
        self.source = source
        self.account = account
        self.mode = "mine"
        self.items: list[DriveInfo | SiteInfo] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="sky-box") as box:
            box.border_title = "Choose the drive"
            box.border_subtitle = "Enter picks · Esc cancels"
            if self.account:
                yield Label(f"Signed in as {self.account}", classes="sky-muted")
            with RadioSet(id="picker-modes"):
                for key, (label, _) in MODES.items():
                    yield RadioButton(label, key == "mine", id=f"mode-{key}")
            yield Input(id="picker-query")
            yield OptionList(id="picker-results")
            yield Label("", id="picker-status", classes="sky-muted")
            with Horizontal(classes="sky-buttons"):
                yield Button("Use this drive", id="use", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self._lookup()

    # -- modes and look-ups --------------------------------------------------------------------

    @on(RadioSet.Changed, "#picker-modes")
    def _mode_changed(self, event: RadioSet.Changed) -> None:
        self.mode = (event.pressed.id or "mode-mine").removeprefix("mode-")
        self.workers.cancel_group(self, "drive-lookup")  # a late answer must not land here
        self.set_class(self.mode == "mine", "-mine")
        query = self.query_one("#picker-query", Input)
        query.placeholder = MODES[self.mode][1]
        query.value = ""
        self._show([], "")
        if self.mode == "mine":
            self._lookup()
        else:
            query.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._lookup()

    def _status(self, text: str, style: str = "sky-muted") -> None:
        label = self.query_one("#picker-status", Label)
        label.update(text)
        label.set_classes(style)

    def _show(self, items: list[DriveInfo | SiteInfo], status: str) -> None:
        self.items = items
        results = self.query_one(OptionList)
        results.clear_options()
        results.add_options(
            Option(drive_prompt(i) if isinstance(i, DriveInfo) else site_prompt(i)) for i in items
        )
        if items:
            results.highlighted = 0
        self._status(status)

    @work(exclusive=True, group="drive-lookup")
    async def _lookup(self) -> None:
        query = self.query_one("#picker-query", Input).value.strip()
        if self.mode != "mine" and not query:
            self._status("Type what to look for, then Enter.")
            return
        self._status("Looking…")
        try:
            items: list[DriveInfo | SiteInfo]
            if self.mode == "mine":
                items = list(await self.source.my_drives())
            elif self.mode == "search":
                items = list(await self.source.search_sites(query))
            elif self.mode == "url":
                site = await self.source.site_by_url(query)
                items = list(await self.source.site_drives(site.id))
            else:
                items = [await self.source.drive(query)]
        except SkypaneError as exc:
            self._show([], "")
            self._status(f"✗ {exc}", "sky-error")
            return
        found = f"{len(items)} found." if items else "Nothing found."
        hint = " Enter on a site lists its libraries." if self.mode == "search" and items else ""
        self._show(items, found + hint)
        self.query_one(OptionList).focus()

    @work(exclusive=True, group="drive-lookup")
    async def _libraries(self, site: SiteInfo) -> None:
        self._status(f"Libraries of {site.name}…")
        try:
            drives = await self.source.site_drives(site.id)
        except SkypaneError as exc:
            self._status(f"✗ {exc}", "sky-error")
            return
        self._show(list(drives), f"Libraries of {site.name}: {len(drives)}")
        self.query_one(OptionList).focus()

    # -- choosing ------------------------------------------------------------------------------------

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._pick(event.option_index)

    def _pick(self, index: int | None) -> None:
        if index is None or not 0 <= index < len(self.items):
            return
        item = self.items[index]
        if isinstance(item, SiteInfo):
            self._libraries(item)
        else:
            self.dismiss(item)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "use":
            self._pick(self.query_one(OptionList).highlighted)
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)
