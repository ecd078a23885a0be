"""`skypane search` on the TLS emulator (both flavours) and on local folders."""

from __future__ import annotations

import json
from pathlib import Path

from core.emulator import RunningServer
from tests.find.conftest import cli


def _seed(remote: RunningServer) -> None:
    em = remote.emulator
    em.put_file("Reports/2024/Budget Q1.xlsx", b"numbers")
    em.put_file("Reports/notes.txt", b"the budget is tight")
    em.put_file("Ryan's Files/plan.txt", b"x")
    em.put_file("other.txt", b"nothing here")


def test_search_finds_names_and_contents_with_their_folders(remote: RunningServer) -> None:
    _seed(remote)
    code, out, err = cli("search", "work:", "budget", "--json")
    assert code == 0, err
    hits = {h["path"]: h for h in json.loads(out)}
    # Graph's results lack parentReference.path: the folder comes from the parent's id.
    assert set(hits) == {"/Reports/2024/Budget Q1.xlsx", "/Reports/notes.txt"}
    assert hits["/Reports/notes.txt"]["size"] == len(b"the budget is tight")
    code, out, _ = cli("search", "work:Reports/2024", "budget")
    assert code == 0 and out.splitlines() == ["work:Reports/2024/Budget Q1.xlsx"]


def test_search_with_quotes_slashes_and_wildcards(remote: RunningServer) -> None:
    _seed(remote)
    code, out, err = cli("search", "work:", "ryan's", "--json")
    assert code == 0, err
    assert [h["path"] for h in json.loads(out)] == ["/Ryan's Files"]
    code, out, err = cli("search", "work:", "budget/q1", "--json")  # "/" refused by Graph
    assert code == 0, err
    assert [h["path"] for h in json.loads(out)] == ["/Reports/2024/Budget Q1.xlsx"]
    code, out, _ = cli("search", "work:", "*.xlsx", "--json")
    assert code == 0 and [h["name"] for h in json.loads(out)] == ["Budget Q1.xlsx"]
    code, _, err = cli("search", "work:", "   ")
    assert code == 1 and "search text is empty" in err


def test_search_results_carry_no_download_url_or_path(remote: RunningServer) -> None:
    import ssl

    import httpx

    _seed(remote)
    headers = remote.emulator.auth_headers()
    tls = ssl.create_default_context(cafile=str(remote.ca_bundle))
    with httpx.Client(verify=tls, headers=headers) as client:
        body = client.get(f"{remote.graph_url}/me/drive/root/search(q='budget')").json()
        assert body["value"] and all(
            "@microsoft.graph.downloadUrl" not in v and "path" not in v["parentReference"]
            for v in body["value"]
        )
        lone = client.get(f"{remote.graph_url}/me/drive/root/search(q='it's')")
        assert lone.status_code == 400


def test_search_walks_local_folders(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "Needle.TXT").write_bytes(b"x")
    (tmp_path / "needle.md").write_bytes(b"y")
    (tmp_path / "hay.txt").write_bytes(b"z")
    (tmp_path / "a" / "loop").symlink_to(tmp_path)  # never followed
    code, out, err = cli("search", str(tmp_path), "needle", "--json")
    assert code == 0, err
    assert sorted(h["path"] for h in json.loads(out)) == [
        str(tmp_path / "a" / "b" / "Needle.TXT"),
        str(tmp_path / "needle.md"),
    ]
    code, out, _ = cli("search", str(tmp_path), "*.md")
    assert out.splitlines() == [str(tmp_path / "needle.md")]
