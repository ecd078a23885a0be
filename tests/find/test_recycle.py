"""`skypane recycle` on the TLS emulator: a SharePoint library's bin (list, restore, empty),
OneDrive Personal (restore by id only) and OneDrive for Business (no Graph bin)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from core.emulator import RunningServer
from tests.emulator_fixtures import signed_in_remote
from tests.find.conftest import cli


@pytest.fixture
def library(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningServer]:
    """A remote "lib" on the SharePoint site's document library (Business emulator)."""
    site = "https://contoso.sharepoint.com/sites/marketing"
    with signed_in_remote("business", monkeypatch, "lib", "--site", site) as server:
        yield server


def _put(remote: str, name: str, tmp_path, data: bytes = b"x") -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / name
    src.write_bytes(data)
    code, _, err = cli("put", "-q", str(src), f"{remote}:Team")
    assert code == 0, err


def test_library_bin_lists_restores_and_empties(library: RunningServer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert cli("mkdir", "lib:Team/Sub")[0] == 0
    _put("lib", "plan.txt", tmp_path, b"plan")
    _put("lib", "old.txt", tmp_path, b"old!")
    code, out, err = cli(
        "rm", "-r", "lib:Team/plan.txt", "lib:Team/old.txt", "lib:Team/Sub", "--json"
    )
    assert code == 0, err
    notes = [n["note"] for n in json.loads(out)["notes"]]
    assert all("recycle bin" in n and "skypane recycle lib:" in n for n in notes)
    code, out, err = cli("recycle", "lib:", "--json")
    assert code == 0, err
    binned = {r["name"]: r for r in json.loads(out)}
    assert set(binned) == {"plan.txt", "old.txt", "Sub"}
    assert binned["plan.txt"]["original"] == "Shared Documents/Team"
    code, out, err = cli("recycle", "lib:", "--restore", binned["plan.txt"]["id"])
    assert code == 0, err
    assert library.emulator.read("Team/plan.txt", drive=_drive(library)) == b"plan"
    code, out, err = cli("recycle", "lib:", "--empty", binned["old.txt"]["id"])
    assert code == 1 and "nothing deleted" in err  # not a terminal and no --yes
    code, out, err = cli("recycle", "lib:", "--empty", binned["old.txt"]["id"], "--yes")
    assert code == 0 and "deleted for good" in out
    left = [r["name"] for r in json.loads(cli("recycle", "lib:", "--json")[1])]
    assert left == ["Sub"]


def test_restore_whose_folder_is_gone_says_so(library: RunningServer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert cli("mkdir", "lib:Team/Gone")[0] == 0
    src = tmp_path / "inner.txt"
    src.write_bytes(b"in")
    assert cli("put", "-q", str(src), "lib:Team/Gone")[0] == 0
    assert cli("rm", "lib:Team/Gone/inner.txt")[0] == 0
    assert cli("rm", "-r", "lib:Team/Gone")[0] == 0
    binned = {r["name"]: r["id"] for r in json.loads(cli("recycle", "lib:", "--json")[1])}
    code, _, err = cli("recycle", "lib:", "--restore", binned["inner.txt"])
    assert code == 1 and "no longer exists" in err
    assert cli("recycle", "lib:", "--restore", binned["Gone"], binned["inner.txt"])[0] == 0


def _drive(server: RunningServer):  # type: ignore[no-untyped-def]
    site = next(s for s in server.emulator.store.sites.values() if s.name == "marketing")
    return server.emulator.store.drives[site.drive_ids[0]]


def test_personal_and_business_drives_say_where_the_bin_is(remote: RunningServer) -> None:
    remote.emulator.put_file("doc.txt", b"d")
    code, out, err = cli("rm", "work:doc.txt", "--json")
    assert code == 0, err
    note = json.loads(out)["notes"][0]["note"]
    code, _, err = cli("recycle", "work:")
    assert code == 1
    if remote.emulator.config.flavour == "personal":
        assert "cannot be listed" in err and "onedrive.live.com" in err
        item_id = note.split("--restore ")[1].split("`")[0]
        code, out, err = cli("recycle", "work:", "--restore", item_id)
        assert code == 0, err
        assert remote.emulator.read("doc.txt") == b"d"
    else:
        assert "no recycle bin for OneDrive for Business" in err
        assert "_layouts/15/RecycleBin.aspx" in err and "RecycleBin.aspx" in note
