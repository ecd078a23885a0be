"""A command started while the stored access token is still good takes it from the stored
cache without loading msal (nor requests), in a real `skypane` process against the TLS
emulator; a token about to expire, or one the service refused, goes through msal."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from core.backends.onedrive.auth import _stored_token, remote_auth
from core.backends.onedrive.auth_config import AuthConfig
from core.config import load_config
from core.secrets import default_store
from tests.engine.two_runners import signed_in

ROOT = Path(__file__).resolve().parents[2]


def run_ls(target: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """``skypane ls TARGET`` in a fresh process; the top-level packages it imported."""
    code = "import sys; from tui.__main__ import main; sys.exit(main())"
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code, "ls", target],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    names = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return proc, names


def stored(remote: str) -> dict:
    blob = default_store(None).load(remote)
    assert blob
    return json.loads(blob)


def test_a_good_stored_token_is_used_without_msal_and_an_expiring_one_is_refreshed() -> None:
    with signed_in("em") as server:
        server.emulator.put_file("hello.txt", b"hi")
        server.emulator.requests.clear()  # the sign-in's
        proc, names = run_ls("em:")
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert "hello.txt" in proc.stdout
        assert not names & {"msal", "requests", "urllib3"}, sorted(names & {"msal", "requests"})
        assert not any(r.path.endswith("/token") for r in server.emulator.requests)

        # The stored token expires within the five minutes msal keeps in reserve: msal
        # refreshes it (and stores the new one), the listing still works.
        data = stored("em")
        [at] = data["AccessToken"].values()
        old = at["secret"]
        at["expires_on"] = str(int(time.time()) + 120)
        default_store(None).save("em", json.dumps(data))
        proc, names = run_ls("em:")
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert "hello.txt" in proc.stdout and "msal" in names
        [fresh] = stored("em")["AccessToken"].values()
        assert fresh["secret"] != old and int(fresh["expires_on"]) > time.time() + 600


def test_a_refused_stored_token_is_not_handed_out_again() -> None:
    with signed_in("em"):
        rc = load_config().remote("em")
        auth = remote_auth("em", dict(rc.options))
        token = auth.cached_token()
        assert token is not None  # from the stored cache
        auth._forget_access_tokens()  # what a 401 on it leads to
        assert auth.cached_token() is None  # msal decides now (a refresh)
        fresh = auth.acquire_token()
        assert fresh != token and auth.cached_token() == fresh


def cache_blob(accounts: list[str], tokens: list[dict]) -> str:
    return json.dumps(
        {
            "Account": {
                f"a{i}": {"home_account_id": f"home-{name}", "username": name}
                for i, name in enumerate(accounts)
            },
            "AccessToken": {f"t{i}": t for i, t in enumerate(tokens)},
        }
    )


def token(name: str, secret: str, **over: str) -> dict:
    entry = {
        "credential_type": "AccessToken",
        "secret": secret,
        "home_account_id": f"home-{name}",
        "environment": "login.example.com",
        "client_id": "client",
        "target": "Files.ReadWrite.All Sites.Read.All",
        "realm": "common",
        "expires_on": str(int(time.time()) + 3600),
    }
    return entry | over


def test_only_a_token_msal_would_hand_out_is_taken() -> None:
    config = AuthConfig(
        client_id="client",
        authority="https://login.example.com/common",
        instance_discovery=False,
        scopes=("Files.ReadWrite.All",),
        account="bob@example.com",
    )
    bob = token("bob@example.com", "B")
    assert _stored_token(cache_blob(["bob@example.com"], [bob]), config) is not None
    two = ["ann@example.com", "bob@example.com"]
    ann = token("ann@example.com", "A")
    # The configured account's, not another's.
    found = _stored_token(cache_blob(two, [ann, bob]), config)
    assert found is not None and found[0] == "B"
    # Another client, another host, missing scopes, expiring soon, or a damaged cache: none.
    for other in (
        token("bob@example.com", "B", client_id="other"),
        token("bob@example.com", "B", environment="login.other.com"),
        token("bob@example.com", "B", target="Files.Read"),
        token("bob@example.com", "B", expires_on=str(int(time.time()) + 200)),
        token("bob@example.com", ""),
    ):
        assert _stored_token(cache_blob(["bob@example.com"], [other]), config) is None
    assert _stored_token("{not json", config) is None
    # Two accounts and none configured: which one msal picks is msal's business.
    anyone = AuthConfig(
        client_id="client",
        authority="https://login.example.com/common",
        instance_discovery=False,
        scopes=config.scopes,
    )
    assert _stored_token(cache_blob(two, [ann, bob]), anyone) is None
    # Two tokens that both fit: msal decides.
    bob2 = token("bob@example.com", "B2", target="Files.ReadWrite.All")
    assert _stored_token(cache_blob(["bob@example.com"], [bob, bob2]), config) is None
