"""`skypane versions`, `skypane cleanup` and `skypane link` against a remote signed in with
`skypane login` on the TLS emulator (both flavours)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.emulator import RunningServer
from tests.emulator_fixtures import signed_in_remote
from tests.find.conftest import cli

T0 = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture(params=["personal", "business"])
def remote(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RunningServer]:
    with signed_in_remote(request.param, monkeypatch) as server:
        em = server.emulator
        for i, size in enumerate((100, 200, 300, 400)):
            em.put_file("/Docs/a.txt", b"a" * size, modified=T0 + timedelta(days=30 * i))
        for i, size in enumerate((10, 20)):
            em.put_file("/Docs/sub/b.txt", b"b" * size, modified=T0 + timedelta(days=30 * i))
        yield server


def personal(server: RunningServer) -> bool:
    return server.emulator.config.flavour == "personal"


def test_versions_lists_newest_first(remote: RunningServer) -> None:
    code, out, _ = cli("versions", "work:Docs/a.txt", "--json")
    assert code == 0
    versions = json.loads(out)
    assert [v["size"] for v in versions] == [400, 300, 200, 100]
    assert versions[0]["current"] and not any(v["current"] for v in versions[1:])
    code, out, _ = cli("versions", "work:Docs/a.txt")
    assert code == 0 and "(current)" in out.splitlines()[1]


def test_versions_get_saves_an_old_version_locally(
    remote: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    oldest = json.loads(cli("versions", "work:Docs/a.txt", "--json")[1])[-1]
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("versions", "work:Docs/a.txt", "--get", oldest["id"])
    assert "Saved version" in out
    assert code == 0, err
    saved = next(tmp_path.iterdir())
    assert saved.name.startswith("a (version ") and saved.read_bytes() == b"a" * 100
    code, _, err = cli("versions", "work:Docs/a.txt", "--get", "nope")
    assert code == 1 and "no version 'nope'" in err


def test_versions_restore_and_delete(remote: RunningServer) -> None:
    oldest = json.loads(cli("versions", "work:Docs/a.txt", "--json")[1])[-1]["id"]
    assert cli("versions", "work:Docs/a.txt", "--restore", oldest)[0] == 0
    assert remote.emulator.read("/Docs/a.txt") == b"a" * 100
    second = json.loads(cli("versions", "work:Docs/a.txt", "--json")[1])[1]["id"]
    code, _, err = cli("versions", "work:Docs/a.txt", "--delete", second)
    if personal(remote):
        assert code == 1 and "does not allow deleting versions" in err
    else:
        assert code == 0
        ids = [v["id"] for v in json.loads(cli("versions", "work:Docs/a.txt", "--json")[1])]
        assert second not in ids


def test_cleanup_dry_run_shows_the_plan_and_changes_nothing(remote: RunningServer) -> None:
    code, out, _ = cli("cleanup", "work:Docs", "--keep", "2", "--dry-run", "--json")
    assert code == 0
    plan = json.loads(out)
    assert (plan["files"], plan["versions"], plan["bytes"]) == (1, 2, 300)
    code, out, _ = cli("cleanup", "work:Docs", "--all-but-current", "--dry-run")
    assert code == 0 and "Would delete 4 version(s) of 2 file(s), reclaiming 610 Bytes" in out
    assert len(json.loads(cli("versions", "work:Docs/a.txt", "--json")[1])) == 4


def test_cleanup_deletes_with_yes_or_says_why_not(remote: RunningServer) -> None:
    code, out, err = cli("cleanup", "work:Docs", "--older-than", "2025-02-15", "--yes")
    if personal(remote):
        assert code == 1 and "does not allow deleting versions" in err
        assert len(json.loads(cli("versions", "work:Docs/a.txt", "--json")[1])) == 4
    else:
        assert code == 0, err
        assert "Deleted 3 version(s), reclaimed 310 Bytes" in out  # a.txt's 100+200, b.txt's 10
        sizes = [v["size"] for v in json.loads(cli("versions", "work:Docs/a.txt", "--json")[1])]
        assert sizes == [400, 300]


def test_cleanup_will_not_delete_unasked_without_a_terminal(remote: RunningServer) -> None:
    code, _, err = cli("cleanup", "work:Docs", "--all-but-current")
    if personal(remote):  # Personal refuses before anything is asked
        assert code == 1 and "does not allow deleting versions" in err
    else:
        assert code == 2 and "without --yes" in err


class _TerminalAtEnd(io.StringIO):
    """A terminal whose user pressed Ctrl-D."""

    def isatty(self) -> bool:
        return True


def test_cleanup_question_at_end_of_input_deletes_nothing(
    remote: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", _TerminalAtEnd(""))
    code, _, err = cli("cleanup", "work:Docs", "--all-but-current")
    assert code == 1 and "Traceback" not in err
    if not personal(remote):
        assert "no answer given" in err
    assert len(json.loads(cli("versions", "work:Docs/a.txt", "--json")[1])) == 4


def test_cleanup_usage_errors() -> None:
    assert cli("cleanup", "work:Docs", "--keep", "0")[0] == 2
    assert cli("cleanup", "work:Docs", "--older-than", "soonish")[0] == 2


def test_link_create_list_revoke(remote: RunningServer) -> None:
    code, out, err = cli("link", "work:Docs/a.txt", "--type", "edit", "--expiry", "7d", "--json")
    assert code == 0, err
    link = json.loads(out)
    assert link["type"] == "edit" and link["scope"] == "anonymous" and link["expires"]
    code, out, _ = cli("link", "work:Docs/a.txt", "--list", "--json")
    assert [x["id"] for x in json.loads(out)] == [link["id"]]
    assert cli("link", "work:Docs/a.txt", "--revoke", link["id"])[0] == 0
    assert json.loads(cli("link", "work:Docs/a.txt", "--list", "--json")[1]) == []


def test_link_refusals_name_the_reason(remote: RunningServer) -> None:
    if personal(remote):
        code, _, err = cli("link", "work:Docs/a.txt", "--scope", "organization")
        assert code == 1 and "no organization scope" in err
    else:
        code, _, err = cli("link", "work:Docs/a.txt", "--type", "embed")
        assert code == 1 and "embed links exist only on OneDrive Personal" in err
    code, _, err = cli("link", "work:Docs/a.txt", "--scope", "users")
    assert code == 2 and "--recipient" in err
    code, out, _ = cli("link", "work:Docs/a.txt", "--recipient", "bob@example.com")
    assert code == 0 and out.startswith("https://")


def test_link_password_from_stdin_stays_off_the_command_line(
    remote: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-pass\n"))
    code, out, err = cli("link", "work:Docs/a.txt", "--password", "-", "--json")
    if not personal(remote):
        assert code == 1 and "password" in err.lower()
        return
    assert code == 0, err
    assert json.loads(out)["password"] is True
    assert "s3cret-pass" not in out + err
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, _, err = cli("link", "work:Docs/a.txt", "--password", "-")
    assert code != 0 and "no password given" in err
