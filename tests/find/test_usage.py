"""`skypane du` from Graph's delta (both flavours, TLS emulator) and by walking local folders."""

from __future__ import annotations

import json
from pathlib import Path

from core.emulator import RunningServer
from tests.engine.conftest import write_tree
from tests.find.conftest import cli


def _seed(remote: RunningServer) -> None:
    em = remote.emulator
    em.put_file("Photos/2024/a.jpg", b"a" * 3000)
    em.put_file("Photos/2024/b.jpg", b"b" * 2000)
    em.put_file("Photos/c.jpg", b"c" * 500)
    em.put_file("Docs/x.txt", b"x" * 100)
    em.put_file("top.bin", b"t" * 7)


def test_du_of_a_drive_from_one_delta(remote: RunningServer) -> None:
    _seed(remote)
    code, out, err = cli("du", "work:", "--depth", "2", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["method"] == "delta"
    assert (data["size"], data["files"], data["folders"]) == (5607, 5, 3)
    photos, docs = data["children"]  # biggest first, folders only by default
    assert (photos["name"], photos["size"], photos["files"]) == ("Photos", 5500, 3)
    assert photos["children"][0]["path"] == "/Photos/2024"
    assert (docs["name"], docs["size"]) == ("Docs", 100)
    code, out, err = cli("du", "work:Photos", "--all")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].endswith("work:Photos/2024/") and "2 files" in lines[0]
    assert lines[1].endswith("work:Photos/c.jpg")
    assert "work:Photos (total, 1 folders)" in lines[-1]


def test_du_by_delta_matches_du_by_walking(remote: RunningServer) -> None:
    _seed(remote)
    by_delta = json.loads(cli("du", "work:", "--depth", "9", "--json")[1])
    by_walk = json.loads(cli("du", "work:", "--depth", "9", "--json", "--walk")[1])
    assert by_walk["method"] == "walk"
    for d in (by_delta, by_walk):
        d.pop("method"), d.pop("elapsed")
    assert by_delta == by_walk


def test_du_walks_local_folders_and_refuses_a_file(tmp_path: Path) -> None:
    write_tree(tmp_path, {"big": {"f": b"x" * 1000, "g": {"h": b"y" * 10}}, "small": {"s": b"z"}})
    code, out, _ = cli("du", str(tmp_path), "--json")
    data = json.loads(out)
    assert code == 0 and data["method"] == "walk"
    assert [(c["name"], c["size"], c["files"]) for c in data["children"]] == [
        ("big", 1010, 2),
        ("small", 1, 1),
    ]
    code, _, err = cli("du", str(tmp_path / "big" / "f"))
    assert code == 1 and "needs a folder" in err


def test_hostile_names_are_left_out_of_du_search_and_compare(remote: RunningServer) -> None:
    em = remote.emulator
    em.put_file("H/ok.txt", b"fine")
    em.plant("H", "..", b"escape" * 100)
    em.plant("H", "a/b", b"slash")
    em.put_file("K/ok.txt", b"fine")
    code, out, _ = cli("du", "work:H", "--json", "--all")
    data = json.loads(out)
    assert code == 1 and [c["name"] for c in data["children"]] == ["ok.txt"]
    assert data["size"] == 4 and len(data["problems"]) == 2
    code, out, _ = cli("search", "work:H", "*", "--walk", "--json")
    assert [h["name"] for h in json.loads(out)] == ["ok.txt"]
    code, out, _ = cli("compare", "work:H", "work:K", "--json")
    data = json.loads(out)
    assert code == 1 and data["counts"]["same"] == 1 and len(data["problems"]) == 2
