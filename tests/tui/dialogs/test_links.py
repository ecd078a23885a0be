"""LinkDialog on the TLS emulator (a remote signed in by `skypane login`), both flavours."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from textual.widgets import DataTable, Input, RadioButton

from core.config import load_config
from core.emulator import RunningServer
from core.model import LinkRequest, LinkScope, LinkType
from core.remotes import open_backend
from tests.tui.dialogs.harness import SIZE, Harness, both, until
from tui.dialogs.links import LinkDialog

PATH = "/Docs/report.docx"


@pytest.fixture
async def backend(drive: RunningServer) -> AsyncIterator[Any]:
    b = open_backend("work", load_config())
    yield b
    await b.close()


def flavour(server: RunningServer) -> str:
    return server.emulator.config.flavour


def text(app: Harness, selector: str) -> str:
    assert app.dialog is not None
    return str(app.dialog.query_one(selector).render())


async def loaded(pilot: Any, app: Harness) -> LinkDialog:
    dialog = app.dialog
    assert isinstance(dialog, LinkDialog)
    await until(pilot, lambda: "Loading" not in text(app, "#link-status"))
    return dialog


@both
async def test_options_the_drive_refuses_are_disabled_with_the_reason(
    drive: RunningServer, backend: Any
) -> None:
    app = Harness(lambda: LinkDialog(backend, PATH))
    async with app.run_test(size=SIZE) as pilot:
        dialog = await loaded(pilot, app)
        disabled = {b.id for b in dialog.query(RadioButton) if b.disabled}
        refusals = text(app, "#link-refusals")
        if flavour(drive) == "business":
            assert disabled == {"type-embed"}
            assert "embed links exist only on OneDrive Personal" in refusals
            assert dialog.query_one("#password", Input).disabled
            assert "link passwords can be set only on OneDrive Personal" in refusals
        else:
            assert disabled == {"scope-organization"}
            assert "OneDrive Personal has no organization scope" in refusals
            assert not dialog.query_one("#password", Input).disabled
        await pilot.press("escape")
    assert app.results == [None]


@both
async def test_create_shows_the_url_copies_it_and_lists_it(
    drive: RunningServer, backend: Any
) -> None:
    app = Harness(lambda: LinkDialog(backend, PATH))
    async with app.run_test(size=SIZE) as pilot:
        dialog = await loaded(pilot, app)
        assert "No links yet" in text(app, "#link-status")
        await pilot.click("#type-edit")
        dialog.query_one("#expiry", Input).value = "7d"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: dialog.created is not None and len(dialog.links) == 1)
        created = dialog.created
        assert created is not None and created.type == "edit" and created.expires is not None
        assert app.clipboard == created.url
        assert created.url in text(app, "#link-created")
        row = dialog.query_one(DataTable).get_row_at(0)
        assert row[0] == "edit" and row[1] == "anyone" and row[2] != "never"
        await pilot.press("escape")
    assert app.results == [created]
    on_server = await backend.list_links(PATH)
    assert [x.url for x in on_server] == [created.url]


async def test_specific_people_need_addresses(drive: RunningServer, backend: Any) -> None:
    app = Harness(lambda: LinkDialog(backend, PATH))
    async with app.run_test(size=SIZE) as pilot:
        dialog = await loaded(pilot, app)
        assert dialog.has_class("-no-recipients")
        await pilot.click("#scope-users")
        assert not dialog.has_class("-no-recipients")
        await pilot.press("ctrl+s")
        assert "e-mail address" in text(app, "#link-error")
        dialog.query_one("#recipients", Input).value = "bob@contoso.com, carol@contoso.com"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: dialog.created is not None)
        assert dialog.created is not None and dialog.created.scope == "users"
        await pilot.press("escape")


async def test_a_bad_expiry_is_refused_before_any_request(
    drive: RunningServer, backend: Any
) -> None:
    app = Harness(lambda: LinkDialog(backend, PATH))
    async with app.run_test(size=SIZE) as pilot:
        dialog = await loaded(pilot, app)
        dialog.query_one("#expiry", Input).value = "yesterday-ish"
        await pilot.press("ctrl+s")
        assert "neither an age" in text(app, "#link-error")
        dialog.query_one("#expiry", Input).value = "2001-01-01"
        await pilot.press("ctrl+s")
        assert "not in the future" in text(app, "#link-error")
        await pilot.press("escape")
    assert await backend.list_links(PATH) == []


async def test_password_link_on_personal(drive: RunningServer, backend: Any) -> None:
    assert flavour(drive) == "personal"  # only Personal takes link passwords
    app = Harness(lambda: LinkDialog(backend, PATH))
    async with app.run_test(size=SIZE) as pilot:
        dialog = await loaded(pilot, app)
        dialog.query_one("#password", Input).value = "s3cret!"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: len(dialog.links) == 1)
        assert dialog.query_one(DataTable).get_row_at(0)[3] == "yes"
        await pilot.press("escape")


@both
async def test_existing_links_are_listed_copied_and_revoked(
    drive: RunningServer, backend: Any
) -> None:
    first = await backend.create_link(PATH, LinkRequest(LinkType.VIEW, LinkScope.ANONYMOUS))
    second = await backend.create_link(PATH, LinkRequest(LinkType.EDIT, LinkScope.ANONYMOUS))
    app = Harness(lambda: LinkDialog(backend, PATH))
    async with app.run_test(size=SIZE) as pilot:
        dialog = await loaded(pilot, app)
        table = dialog.query_one(DataTable)
        assert table.row_count == 2
        table.focus()
        await pilot.press("enter")
        assert app.clipboard == dialog.links[0].url
        gone = dialog.links[0]
        await pilot.press("delete")
        await until(pilot, lambda: type(app.screen).__name__ == "ConfirmDialog")
        await pilot.press("y")
        await until(pilot, lambda: len(dialog.links) == 1)
        await pilot.press("escape")
    assert app.results == [None]
    left = [x.id for x in await backend.list_links(PATH)]
    assert left == [x.id for x in (first, second) if x.id != gone.id]
