"""Device-code sign-in through msal against the TLS emulator: every outcome, refresh, sign-out."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import httpx
import pytest

from core.backends.onedrive.auth import (
    Cancelled,
    Declined,
    Expired,
    Failed,
    RemoteAuth,
    SignedIn,
    remote_auth,
    token_provider_for,
)
from core.backends.onedrive.tokens import TokenProvider
from core.emulator.server import RunningServer
from core.errors import AuthenticationRequired, ConfigError, TransientError
from core.secrets import MemorySecrets, SecretStore
from core.tls import tls_context
from tests.auth.conftest import Serve, decide, options_for


def sign_in(server: RunningServer, secrets: object, name: str = "work") -> RemoteAuth:
    auth = remote_auth(name, options_for(server), secrets)
    flow = auth.start_device_flow()
    decide(server, flow.user_code)
    assert isinstance(flow.poll(), SignedIn)
    return auth


def graph_status(server: RunningServer, token: str) -> int:
    response = httpx.get(
        f"{server.graph_url}/me/drive",
        headers={"Authorization": f"Bearer {token}"},
        verify=tls_context(str(server.ca_bundle)),
    )
    return response.status_code


def test_approved_sign_in_stores_the_account_and_tokens(server: RunningServer) -> None:
    store = SecretStore(log_warning=False)
    auth = remote_auth("work", options_for(server), store)
    flow = auth.start_device_flow()
    assert flow.verification_uri == server.verification_url
    assert flow.user_code in flow.message and len(flow.user_code) == 8
    assert flow.expires_at.timestamp() > time.time() + 800
    assert flow.user_code in repr(flow) and "DAQ" not in repr(flow)  # device code stays out

    decide(server, flow.user_code)
    outcome = flow.poll()
    assert outcome == SignedIn(
        server.emulator.me.email, outcome.home_account_id if isinstance(outcome, SignedIn) else ""
    )
    assert [a.username for a in auth.accounts()] == [server.emulator.me.email]
    stored = json.loads(store.load("work") or "{}")
    assert stored["RefreshToken"] and stored["Account"]
    assert auth.signed_in
    assert graph_status(server, auth.acquire_token()) == 200


def test_declined_sign_in_stores_nothing(server: RunningServer) -> None:
    secrets = MemorySecrets()
    auth = remote_auth("work", options_for(server), secrets)
    flow = auth.start_device_flow()
    decide(server, flow.user_code, approve=False)
    assert isinstance(flow.poll(), Declined)
    assert secrets.load("work") is None and not auth.signed_in


def test_expired_code(server: RunningServer) -> None:
    auth = remote_auth("work", options_for(server), MemorySecrets())
    flow = auth.start_device_flow()
    server.emulator.clock.advance(901)  # the emulator's 15 minutes pass
    assert isinstance(flow.poll(), Expired)


def test_slow_down_adds_five_seconds_to_the_interval(serve: Serve) -> None:
    server = serve(device_code_interval=5)
    auth = remote_auth("work", options_for(server), MemorySecrets())
    waits: list[float] = []

    def waiter(seconds: float) -> bool:
        # Instead of waiting: poll again at once (too fast: slow_down), then approve.
        waits.append(seconds)
        if len(waits) == 2:
            decide(server, flow.user_code)
        return False

    flow = auth.start_device_flow(waiter=waiter)
    assert flow.interval == 5
    assert isinstance(flow.poll(), SignedIn)
    assert waits == [5, 10]  # pending, then slow_down, then success
    assert flow.interval == 10


def test_cancel_stops_polling_at_once(serve: Serve) -> None:
    server = serve(device_code_interval=600)
    auth = remote_auth("work", options_for(server), MemorySecrets())
    flow = auth.start_device_flow()
    thread = flow.start()
    while server.emulator.identity.device_codes[_only(server)].last_poll is None:
        thread.join(timeout=0.01)  # until the first poll reached the emulator
    flow.cancel()
    # mid-interval: the poller wakes at once instead of sitting out the 10 minutes (the
    # limit is generous: a busy machine may take a while to schedule the thread)
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert isinstance(flow.outcome, Cancelled)
    assert not auth.signed_in


def _only(server: RunningServer) -> str:
    (code,) = server.emulator.identity.device_codes
    return code


async def test_cancelling_the_awaiting_task_cancels_the_sign_in(serve: Serve) -> None:
    server = serve(device_code_interval=5)
    auth = remote_auth("work", options_for(server), MemorySecrets())
    flow = await asyncio.to_thread(auth.start_device_flow)
    task = asyncio.create_task(flow.wait())
    await asyncio.sleep(0)  # let the task start its thread
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert flow.cancelled


def test_refresh_when_the_access_token_is_about_to_expire(serve: Serve) -> None:
    # Tokens that live 300 s are "expiring" for msal (it keeps a 5-minute margin).
    server = serve(access_token_lifetime=300)
    store = MemorySecrets()
    auth = sign_in(server, store)
    before = store.load("work")
    first = auth.acquire_token()
    second = auth.acquire_token()
    assert first != second  # each call had to refresh
    assert store.load("work") != before  # the new tokens were persisted
    assert graph_status(server, second) == 200


async def test_provider_refreshes_after_the_server_expired_the_token(server: RunningServer) -> None:
    store = MemorySecrets()
    await asyncio.to_thread(sign_in, server, store)
    provider = token_provider_for("work", options_for(server), store)
    assert isinstance(provider, TokenProvider)
    old = await provider.access_token()
    assert await provider.access_token() == old  # memoised, no msal call
    server.emulator.identity.expire_access_tokens()
    assert await asyncio.to_thread(graph_status, server, old) == 401
    new = await provider.access_token(force_refresh=True)
    assert new != old and await asyncio.to_thread(graph_status, server, new) == 200


async def test_revoked_refresh_token_asks_to_sign_in_again(server: RunningServer) -> None:
    store = MemorySecrets()
    await asyncio.to_thread(sign_in, server, store)
    provider = token_provider_for("work", options_for(server), store)
    server.emulator.identity.revoke_refresh_tokens()
    with pytest.raises(AuthenticationRequired) as caught:
        await provider.access_token(force_refresh=True)
    assert caught.value.message == "sign in again: skypane login work"
    assert "invalid_grant" in str(caught.value)


async def test_a_sign_in_from_another_process_is_picked_up(server: RunningServer) -> None:
    store = MemorySecrets()
    await asyncio.to_thread(sign_in, server, store)
    provider = token_provider_for("work", options_for(server), store)
    server.emulator.identity.revoke_refresh_tokens()
    await asyncio.to_thread(sign_in, server, store)  # "skypane login work" elsewhere
    token = await provider.access_token(force_refresh=True)
    assert await asyncio.to_thread(graph_status, server, token) == 200


async def test_without_sign_in_no_network_is_needed() -> None:
    options = {
        "client_id": "12345678-abcd-4ef0-9876-0123456789ab",
        "authority": "https://127.0.0.1:9/common",
    }
    provider = token_provider_for("work", options, MemorySecrets())
    with pytest.raises(AuthenticationRequired, match="sign in again: skypane login work"):
        await provider.access_token()


def test_logout_forgets_account_and_stored_tokens(server: RunningServer) -> None:
    store = SecretStore(log_warning=False)
    auth = sign_in(server, store)
    assert store.path_for("work").exists()
    assert auth.logout() == [server.emulator.me.email]
    assert store.load("work") is None and not store.path_for("work").exists()
    assert auth.accounts() == []
    with pytest.raises(AuthenticationRequired):
        auth.acquire_token()


def test_requests_ca_bundle_does_not_matter(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    # requests would let this override msal's verify=; our adapter never reads it.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    monkeypatch.setenv("CURL_CA_BUNDLE", "/nonexistent/ca.pem")
    auth = sign_in(server, MemorySecrets())
    assert auth.acquire_token(force_refresh=True)


def test_without_the_ca_bundle_tls_verification_fails(server: RunningServer) -> None:
    options = options_for(server)
    del options["ca_bundle"]
    auth = remote_auth("work", options, MemorySecrets())
    with pytest.raises(TransientError, match="cannot reach the sign-in service") as caught:
        auth.start_device_flow()
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value) or "certificate" in str(caught.value)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, "Files.ReadWrite.All Sites.Read.All offline_access openid profile"),
        ({"read_only": True}, "Files.Read.All Sites.Read.All offline_access openid profile"),
        ({"disable_site_permission": True}, "Files.ReadWrite.All offline_access openid profile"),
    ],
)
def test_scopes_sent(server: RunningServer, extra: dict[str, object], expected: str) -> None:
    auth = remote_auth("work", options_for(server, **extra), MemorySecrets())
    auth.start_device_flow()
    (code,) = server.emulator.identity.device_codes.values()
    assert code.scope == expected


def test_an_unknown_tenant_path_on_the_authority_still_signs_in(serve: Serve) -> None:
    server = serve()
    options = options_for(server, authority=server.base_url + "/consumers")
    auth = remote_auth("home", options, MemorySecrets())
    flow = auth.start_device_flow()
    decide(server, flow.user_code)
    assert isinstance(flow.poll(), SignedIn)


def test_unreachable_authority_is_a_clear_error() -> None:
    options = {
        "client_id": "12345678-abcd-4ef0-9876-0123456789ab",
        "authority": "https://127.0.0.1:9/common",
    }
    auth = remote_auth("work", options, MemorySecrets())
    with pytest.raises(
        TransientError, match=r"cannot reach the sign-in service at https://127\.0\.0\.1:9"
    ):
        auth.start_device_flow()


def test_secrets_never_reach_the_logs(
    server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        auth = sign_in(server, SecretStore())
        auth.acquire_token(force_refresh=True)
    identity = server.emulator.identity
    secrets = [*identity.access_tokens, *identity.refresh_tokens, *identity.device_codes]
    assert len(secrets) >= 4
    logged = caplog.text
    assert not [s for s in secrets if s in logged]
    assert "sign-in tokens are stored in a file" in logged  # the one warning


def test_failed_outcome_carries_the_service_message(server: RunningServer) -> None:
    auth = remote_auth("work", options_for(server), MemorySecrets())
    flow = auth.start_device_flow()
    code = server.emulator.identity.device_codes[_only(server)]
    code.client_id = "another-client"  # the emulator will refuse the redemption
    decide(server, flow.user_code)
    outcome = flow.poll()
    assert isinstance(outcome, Failed) and outcome.error == "invalid_grant"
    assert "another client" in outcome.message


def test_bad_client_id_is_refused_before_any_request() -> None:
    with pytest.raises(ConfigError, match="not an application"):
        remote_auth("work", {"client_id": "skypane"}, MemorySecrets())
