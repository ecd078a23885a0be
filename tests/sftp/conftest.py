from __future__ import annotations

import pytest

from tests.sftp.servers import openssh  # noqa: F401 - the session's sshd, for the tests here


@pytest.fixture(autouse=True)
def no_agent(monkeypatch: pytest.MonkeyPatch) -> None:
    """The user's SSH agent is not ours to use: each test names its key."""
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
