"""core.setup: which backend types declare which steps, the order steps run in, and the
OneDrive options' own checks and guide."""

from __future__ import annotations

from typing import Any

import pytest

from core.errors import ConfigError
from core.registry import backend_class
from core.secrets import MemorySecrets
from core.setup import (
    Describes,
    SetupContext,
    SetupStep,
    describe_remote,
    run_setup,
    setup_of,
    sign_in_of,
)


def test_each_backend_type_declares_what_it_needs() -> None:
    local, onedrive, sftp = (backend_class(n) for n in ("local", "onedrive", "sftp"))
    assert setup_of(local) is None and sign_in_of(local) is None
    assert [s.key for s in onedrive.SETUP_STEPS] == ["sign-in", "choose-drive"]  # type: ignore[attr-defined]
    assert sign_in_of(onedrive) is onedrive and isinstance(onedrive, Describes)
    assert [s.key for s in sftp.SETUP_STEPS] == ["connect"]  # type: ignore[attr-defined]
    assert sign_in_of(sftp) is None  # nothing to sign in to again mid-session


class Recording:
    SETUP_STEPS = (SetupStep("a", "A…"), SetupStep("b", "B…"), SetupStep("c", "C…"))

    def __init__(self) -> None:
        self.ran: list[str] = []

    async def setup(self, context: SetupContext, step: str) -> None:
        self.ran.append(step)
        context.done[step] = step

    def resume_setup(self, context: SetupContext, saved: Any) -> None:
        pass


async def test_steps_run_from_the_one_asked_and_skip_later_ones_done() -> None:
    kind = Recording()
    context = SetupContext("r", {}, asker=None, store=MemorySecrets())  # type: ignore[arg-type]
    context.done["c"] = "c (as saved)"
    await run_setup(kind, context, "b")
    assert kind.ran == ["b"]
    await run_setup(kind, context)
    assert kind.ran == ["b", "a"]  # the first again, then nothing left to do


def test_staged_secrets_reach_the_store_only_on_commit() -> None:
    store = MemorySecrets()
    context = SetupContext("r", {}, asker=None, store=store)  # type: ignore[arg-type]
    context.staged.save("r", "tokens")
    assert store.load("r") is None
    context.commit()
    assert store.load("r") == "tokens"


def test_onedrive_options_check_and_explain_themselves() -> None:
    options = {o.name: o for o in backend_class("onedrive").OPTIONS}
    client_id = options["client_id"]
    assert client_id.check is not None and client_id.env == "SKYPANE_CLIENT_ID"
    assert "Allow public client flows" in client_id.guide
    with pytest.raises(ConfigError, match="expected a GUID"):
        client_id.check("my-app")
    assert {n for n, o in options.items() if o.filled_by_setup} == {
        "account",
        "drive_id",
        "drive_type",
    }


def test_remotes_are_described_in_their_backends_words() -> None:
    store = MemorySecrets()
    onedrive = backend_class("onedrive")
    options = {"account": "ada@example.com", "drive_id": "b!1", "drive_type": "business"}
    assert describe_remote(onedrive, "w", options, store) == ("(not signed in)", "business b!1")
    store.save("w", "tokens")
    assert describe_remote(onedrive, "w", options, store)[0] == "ada@example.com"
    sftp = backend_class("sftp")
    assert describe_remote(sftp, "b", {"host": "nas", "user": "ada", "port": 2222}, store) == (
        "",
        "ada@nas:2222",
    )
    assert describe_remote(None, "x", {"root": "/srv"}, store) == ("", "/srv")
