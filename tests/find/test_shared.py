"""`skypane ls REMOTE:@shared` and copying out of it, on the TLS emulator in both flavours:
Business through the Search API, Personal through the (deprecated) sharedWithMe."""

from __future__ import annotations

import json
from pathlib import Path

from core.emulator import RunningServer
from core.emulator.model import Drive
from tests.find.conftest import cli


def _share(remote: RunningServer) -> Drive:
    em = remote.emulator
    _, bob = em.add_user("Bob", "bob")
    em.put_file("Mine/private.txt", b"mine")
    em.share_with_me(em.put_file("Roadmap.txt", b"the plan", drive=bob))
    em.put_file("Team/a.txt", b"alpha", drive=bob)
    em.put_file("Team/deep/b.txt", b"beta", drive=bob)
    em.share_with_me(em.item("Team", drive=bob))
    em.put_file("Hidden/secret.txt", b"not shared", drive=bob)
    return bob


def test_shared_folder_lists_browses_and_copies(remote: RunningServer, tmp_path: Path) -> None:
    _share(remote)
    code, out, err = cli("ls", "work:@shared", "--json")
    assert code == 0, err
    top = {e["name"]: e for e in json.loads(out)}
    assert set(top) == {"Roadmap.txt", "Team"}  # the top of each share, nothing of mine
    assert top["Team"]["type"] == "dir" and top["Roadmap.txt"]["path"] == "/@shared/Roadmap.txt"
    code, out, err = cli("ls", "work:@shared/Team")
    assert code == 0, err
    assert out.splitlines() == ["deep/", "a.txt"]
    code, out, err = cli("get", "-q", "work:@shared/Team", str(tmp_path))
    assert code == 0, err
    assert (tmp_path / "Team" / "deep" / "b.txt").read_bytes() == b"beta"
    code, _, err = cli("rm", "work:@shared/Roadmap.txt")
    assert code == 1 and "read-only" in err
    src = tmp_path / "up.txt"
    src.write_bytes(b"x")
    code, _, err = cli("put", "-q", str(src), "work:@shared/Team")
    assert code == 1 and "read-only" in err


def test_an_item_unshared_meanwhile_is_gone_with_a_clear_message(remote: RunningServer) -> None:
    bob = _share(remote)
    assert cli("ls", "work:@shared")[0] == 0
    remote.emulator.unshare_with_me(remote.emulator.item("Team", drive=bob))
    code, _, err = cli("ls", "work:@shared/Team")
    assert code == 1 and "no longer shared with you" in err
    code, out, _ = cli("ls", "work:@shared")
    assert code == 0 and out.splitlines() == ["Roadmap.txt"]


async def test_a_shared_file_is_read_by_its_id_in_the_other_drive(remote: RunningServer) -> None:
    from core.config import load_config
    from core.remotes import open_backend

    _share(remote)
    backend = open_backend("work", load_config())
    try:
        listed = {e.name: e for page in [await backend.list_shared()] for e in page}
        entry = listed["Roadmap.txt"]
        fresh = open_backend("work", load_config())  # nothing cached: the read asks by id
        try:
            data = b"".join([c async for c in fresh.open_read_id(str(entry.id), entry.path)])
        finally:
            await fresh.close()
        assert data == b"the plan"
    finally:
        await backend.close()
