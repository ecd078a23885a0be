"""Folder-backed state survives a restart; large folders and contents stay cheap."""

from __future__ import annotations

from pathlib import Path

import httpx

from core.emulator import Emulator, EmulatorConfig, create_app


def _open(state: Path, flavour: str = "personal", seed: str = "empty") -> Emulator:
    return Emulator(
        EmulatorConfig(flavour=flavour, state_dir=state, seed=seed, device_code_interval=0)  # type: ignore[arg-type]
    )


def test_state_folder_keeps_items_versions_links_and_tokens(tmp_path: Path) -> None:
    first = _open(tmp_path, "business", seed="sample")
    report = first.item("Documents/Quarterly report.docx")
    tokens = first.issue_tokens()
    first.put_file("later/new.txt", b"added after the seed")
    first.close()

    second = _open(tmp_path, "business")
    again = second.item("Documents/Quarterly report.docx")
    assert again.id == report.id
    assert again.versions is not None and len(again.versions) == 3
    assert second.read("later/new.txt") == b"added after the seed"
    assert second.read("Documents/Quarterly report.docx").startswith(b"PK")
    assert second.me.email == first.me.email and second.drive_id == first.drive_id
    assert any(p.link_type for p in again.permissions or ())
    assert len(second.store.sites) == 3
    assert second.identity.check_access_token(str(tokens["access_token"])) is not None
    assert str(tokens["refresh_token"]) in second.identity.refresh_tokens
    second.close()


async def test_changes_made_over_http_are_saved(tmp_path: Path) -> None:
    emulator = _open(tmp_path)
    transport = httpx.ASGITransport(app=create_app(emulator))
    async with httpx.AsyncClient(
        transport=transport, base_url="https://127.0.0.1/v1.0", headers=emulator.auth_headers()
    ) as client:
        await client.put("/me/drive/root:/a.txt:/content", content=b"one")
        folder = (
            await client.post("/me/drive/root/children", json={"name": "d", "folder": {}})
        ).json()
        gone = await client.put("/me/drive/root:/gone.txt:/content", content=b"bye")
        await client.post(f"/me/drive/items/{gone.json()['id']}/permanentDelete")
        await client.patch("/me/drive/root:/a.txt", json={"parentReference": {"id": folder["id"]}})
    # No close(): every mutating request was saved as it happened.
    reopened = _open(tmp_path)
    assert reopened.read("d/a.txt") == b"one"
    assert reopened.drive.used == 3
    names = [i.name for i in reopened.store.walk(reopened.drive.root)]
    assert "gone.txt" not in names
    blob_files = [p for p in (tmp_path / "blobs").iterdir()]
    assert len(blob_files) == 1  # the deleted file's content was removed
    reopened.close()
    emulator.close()


def test_new_ids_after_a_restart_do_not_collide(tmp_path: Path) -> None:
    first = _open(tmp_path, "business")
    ids = {first.put_file(f"f{i}.txt", b"x").id for i in range(5)}
    first.close()
    second = _open(tmp_path, "business")
    more = {second.put_file(f"g{i}.txt", b"x").id for i in range(5)}
    assert not ids & more
    second.close()


def test_a_state_folder_of_the_other_flavour_is_refused(tmp_path: Path) -> None:
    _open(tmp_path, "personal").close()
    try:
        _open(tmp_path, "business")
    except ValueError as error:
        assert "personal" in str(error)
    else:
        raise AssertionError("expected a ValueError")


def test_big_folder_survives_a_restart(tmp_path: Path) -> None:
    first = _open(tmp_path)
    first.add_files("big", 20_000, content=b"same")
    first.close()
    second = _open(tmp_path)
    folder = second.item("big")
    assert folder.children is not None and len(folder.children) == 20_000
    assert second.read("big/file019999.txt") == b"same"
    second.close()


async def test_an_emulator_loading_later_takes_sign_ins_and_holds_drive_requests(
    tmp_path: Path,
) -> None:
    """``load_later``: the identity endpoints answer at once, a Graph request waits for the
    drives, and nothing half-loaded is ever saved."""
    import asyncio

    _open(tmp_path, "business", seed="sample").close()
    emulator = Emulator(
        EmulatorConfig(flavour="business", state_dir=tmp_path, device_code_interval=0),
        load_later=True,
    )
    assert not emulator.loaded.is_set()
    emulator.save()  # before the drives: a no-op, the state on disk stays whole
    transport = httpx.ASGITransport(app=create_app(emulator))
    async with httpx.AsyncClient(transport=transport, base_url="https://127.0.0.1") as client:
        config = await client.get("/common/v2.0/.well-known/openid-configuration")
        assert config.status_code == 200 and emulator.me.tenant_id in config.json()["issuer"]
        code = await client.post(
            "/common/oauth2/v2.0/devicecode",
            data={"client_id": "00000000-0000-0000-0000-00000000c0de", "scope": "Files.Read"},
        )
        assert code.status_code == 200 and code.json()["user_code"]
        listing = asyncio.ensure_future(
            client.get("/v1.0/me/drive/root/children", headers=emulator.auth_headers())
        )
        for _ in range(200):  # in-process, an answer needs turns of the loop, not time
            await asyncio.sleep(0)
        assert not listing.done()  # held until the drives are there
        await asyncio.to_thread(emulator.finish_loading)
        names = {item["name"] for item in (await listing).json()["value"]}
        assert "Documents" in names
    emulator.close()
