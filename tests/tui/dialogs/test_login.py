"""DeviceLoginDialog against the TLS emulator: approve, decline, expiry, retry, cancel, copy,
an unreachable sign-in service, and the sign-in that dies in the middle of a session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.backend import BackendContext
from core.backends.onedrive.auth import (
    AuthConfig,
    Cancelled,
    Declined,
    Expired,
    Failed,
    RemoteAuth,
)
from core.config import load_config
from core.emulator import RunningServer
from core.remotes import open_backend
from core.secrets import MemorySecrets, SecretStore
from tests.tui.dialogs.harness import SIZE, Harness, emulator_options, until
from tui.dialogs.login import DeviceLoginDialog, LoginResult, fmt_countdown
from tui.dialogs.sign_in_again import SignInAgain
from tui.widgets.big_text import BigText


def make_auth(server: RunningServer, **overrides: Any) -> RemoteAuth:
    options = {**emulator_options(server), **overrides}
    return RemoteAuth("work", AuthConfig.from_options(options), MemorySecrets())


def dialog_of(app: Harness) -> DeviceLoginDialog:
    assert isinstance(app.dialog, DeviceLoginDialog)
    return app.dialog


def status(app: Harness) -> str:
    return str(dialog_of(app).query_one("#login-status").render())


async def shown_code(pilot: Any, app: Harness) -> str:
    dialog = dialog_of(app)
    await until(pilot, lambda: dialog._flow is not None and dialog.has_class("-waiting"))
    assert dialog._flow is not None
    return dialog._flow.user_code


async def test_approved_code_signs_in_shows_the_account_and_closes(server: RunningServer) -> None:
    auth = make_auth(server)
    app = Harness(lambda: DeviceLoginDialog(auth, remote="work", close_after=0))
    async with app.run_test(size=SIZE) as pilot:
        code = await shown_code(pilot, app)
        dialog = dialog_of(app)
        assert dialog.query_one("#login-code", BigText).text == code
        assert server.base_url in str(dialog.query_one("#login-url").render())
        server.emulator.approve(code)
        await pilot.press("n")  # check now instead of waiting for the next poll
        await until(pilot, lambda: bool(app.results))
    result = app.results[0]
    assert isinstance(result, LoginResult) and result.signed_in
    assert result.account == "alice@outlook.com"
    assert auth.signed_in


async def test_success_stays_on_screen_until_the_close_delay(server: RunningServer) -> None:
    auth = make_auth(server)
    app = Harness(lambda: DeviceLoginDialog(auth, close_after=30))
    async with app.run_test(size=SIZE) as pilot:
        server.emulator.approve(await shown_code(pilot, app))
        await pilot.press("n")
        await until(pilot, lambda: dialog_of(app).has_class("-done"))
        assert "Signed in as alice@outlook.com" in status(app)
        assert not app.results
        await pilot.press("escape")  # Close at once
        await until(pilot, lambda: bool(app.results))
    assert app.results[0].signed_in


async def test_declined_says_so_and_a_new_code_can_then_succeed(server: RunningServer) -> None:
    auth = make_auth(server)
    app = Harness(lambda: DeviceLoginDialog(auth, close_after=0))
    async with app.run_test(size=SIZE) as pilot:
        first = await shown_code(pilot, app)
        server.emulator.decline(first)
        await pilot.press("n")
        await until(pilot, lambda: dialog_of(app).has_class("-failed"))
        assert isinstance(dialog_of(app)._outcome, Declined)
        assert "declined" in status(app) and "new code" in status(app)
        assert not app.results  # it waits for the user's choice
        await pilot.press("r")
        second = await shown_code(pilot, app)
        assert second != first
        server.emulator.approve(second)
        await pilot.press("n")
        await until(pilot, lambda: bool(app.results))
    assert app.results[0].signed_in


async def test_expired_code_says_so_and_escape_gives_up(server: RunningServer) -> None:
    auth = make_auth(server)
    app = Harness(lambda: DeviceLoginDialog(auth))
    async with app.run_test(size=SIZE) as pilot:
        await shown_code(pilot, app)
        server.emulator.clock.advance(server.emulator.config.device_code_lifetime + 1)
        await pilot.press("n")
        await until(pilot, lambda: dialog_of(app).has_class("-failed"))
        assert "expired" in status(app)
        await pilot.press("escape")
        await until(pilot, lambda: bool(app.results))
    result = app.results[0]
    assert isinstance(result.outcome, Expired) and not result.signed_in


async def test_countdown_shows_the_time_left_on_the_code(server: RunningServer) -> None:
    auth = make_auth(server)
    now: dict[str, Any] = {"t": None}

    def clock() -> Any:
        return now["t"] or datetime.now(UTC)

    app = Harness(lambda: DeviceLoginDialog(auth, clock=clock))
    async with app.run_test(size=SIZE) as pilot:
        dialog = dialog_of(app)
        await until(pilot, lambda: dialog._flow is not None)
        assert dialog._flow is not None
        now["t"] = dialog._flow.expires_at - timedelta(seconds=65)
        dialog._tick()
        assert "expires in 1:05" in str(dialog.query_one("#login-countdown").render())
        await pilot.press("escape")
    assert fmt_countdown(-3) == "0:00" and fmt_countdown(900) == "15:00"


async def test_cancel_stops_polling_and_returns_cancelled(server: RunningServer) -> None:
    auth = make_auth(server)
    app = Harness(lambda: DeviceLoginDialog(auth))
    async with app.run_test(size=SIZE) as pilot:
        await shown_code(pilot, app)
        flow = dialog_of(app)._flow
        await pilot.press("escape")
        await until(pilot, lambda: bool(app.results))
        assert flow is not None and flow.cancelled
    assert isinstance(app.results[0].outcome, Cancelled)
    assert not auth.signed_in


async def test_c_copies_the_code_and_u_the_address(server: RunningServer) -> None:
    auth = make_auth(server)
    app = Harness(lambda: DeviceLoginDialog(auth))
    async with app.run_test(size=SIZE) as pilot:
        code = await shown_code(pilot, app)
        await pilot.press("c")
        assert app.clipboard == code
        await pilot.press("u")
        assert app.clipboard.startswith(server.base_url)
        await pilot.press("escape")


async def test_unreachable_sign_in_service_fails_with_a_reason(server: RunningServer) -> None:
    auth = make_auth(server, authority="https://127.0.0.1:9/consumers")
    app = Harness(lambda: DeviceLoginDialog(auth))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: dialog_of(app).has_class("-failed"))
        assert "cannot reach the sign-in service" in status(app)
        await pilot.press("escape")
        await until(pilot, lambda: bool(app.results))
    assert isinstance(app.results[0].outcome, Failed)


async def test_dead_token_mid_session_opens_the_dialog_and_the_request_goes_on(
    drive: RunningServer,
) -> None:
    """Refresh token revoked (MFA change, admin): the listing waits for a new sign-in."""
    config = load_config()
    hook_app = Harness()
    async with hook_app.run_test(size=SIZE) as pilot:
        hook = SignInAgain(hook_app, config)
        backend = open_backend("work", config, BackendContext(on_auth_required=hook))
        try:
            assert [e.name async for page in backend.list("/") for e in page]
            drive.emulator.revoke_refresh_tokens()
            drive.emulator.expire_access_tokens()
            listing = hook_app.run_worker(_names(backend), exit_on_error=False)
            await until(pilot, lambda: isinstance(hook_app.screen, DeviceLoginDialog))
            dialog = hook_app.screen
            assert isinstance(dialog, DeviceLoginDialog)
            await until(pilot, lambda: bool(dialog.query("#login-reason")))  # composed
            assert "no longer valid" in str(dialog.query_one("#login-reason").render())
            await until(pilot, lambda: dialog._flow is not None)
            assert dialog._flow is not None
            drive.emulator.approve(dialog._flow.user_code)
            await pilot.press("n")
            names = await listing.wait()
            assert "Docs" in names
        finally:
            await backend.close()
    stored = SecretStore(log_warning=False).load("work")
    assert stored is not None and "alice" in stored


async def test_requests_failing_together_share_one_dialog(drive: RunningServer) -> None:
    config = load_config()
    app = Harness()
    async with app.run_test(size=SIZE) as pilot:
        hook = SignInAgain(app, config)
        backend = open_backend("work", config, BackendContext(on_auth_required=hook))
        pushed: list[object] = []
        try:
            drive.emulator.revoke_refresh_tokens()
            drive.emulator.expire_access_tokens()
            workers = [
                app.run_worker(backend.stat(p), exit_on_error=False)
                for p in ("/Docs", "/single.txt", "/Docs/notes.txt")
            ]
            await until(pilot, lambda: isinstance(app.screen, DeviceLoginDialog))
            dialog = app.screen
            assert isinstance(dialog, DeviceLoginDialog)
            pushed.append(dialog)
            await until(pilot, lambda: dialog._flow is not None)
            assert dialog._flow is not None
            drive.emulator.approve(dialog._flow.user_code)
            await pilot.press("n")
            entries = [await w.wait() for w in workers]
            assert [e.name for e in entries] == ["Docs", "single.txt", "notes.txt"]
            assert not isinstance(app.screen, DeviceLoginDialog)
        finally:
            await backend.close()
    assert len(pushed) == 1 and hook._rounds["work"] == 1


async def test_giving_up_on_the_new_sign_in_fails_the_request(drive: RunningServer) -> None:
    config = load_config()
    app = Harness()
    async with app.run_test(size=SIZE) as pilot:
        hook = SignInAgain(app, config)
        backend = open_backend("work", config, BackendContext(on_auth_required=hook))
        try:
            drive.emulator.revoke_refresh_tokens()
            drive.emulator.expire_access_tokens()
            worker = app.run_worker(backend.stat("/Docs"), exit_on_error=False)
            await until(pilot, lambda: isinstance(app.screen, DeviceLoginDialog))
            await pilot.press("escape")
            await until(pilot, lambda: worker.is_finished)
            assert worker.error is not None and "sign in again" in str(worker.error)
        finally:
            await backend.close()


async def test_a_sign_in_that_cannot_work_any_more_closes_and_is_not_asked_again(
    drive: RunningServer,
) -> None:
    # The demo's drive after its emulator stopped: the open dialog goes, and later requests
    # fail at once instead of covering the screen with a dialog nobody can finish.
    config = load_config()
    app = Harness()
    async with app.run_test(size=SIZE) as pilot:
        hook = SignInAgain(app, config)
        backend = open_backend("work", config, BackendContext(on_auth_required=hook))
        try:
            drive.emulator.revoke_refresh_tokens()
            drive.emulator.expire_access_tokens()
            first = app.run_worker(backend.stat("/Docs"), exit_on_error=False)
            await until(pilot, lambda: isinstance(app.screen, DeviceLoginDialog))
            hook.stop_asking("work", "the service stopped")
            await until(pilot, lambda: first.is_finished)
            assert first.error is not None and "sign in again" in str(first.error)
            assert not isinstance(app.screen, DeviceLoginDialog)
            later = app.run_worker(backend.stat("/single.txt"), exit_on_error=False)
            await until(pilot, lambda: later.is_finished)
            assert later.error is not None and "sign in again" in str(later.error)
            assert not isinstance(app.screen, DeviceLoginDialog)
            assert hook._rounds["work"] == 1  # the first request's dialog only
        finally:
            await backend.close()


async def _names(backend: Any) -> list[str]:
    return [e.name async for page in backend.list("/") for e in page]


class _ClosedUnderUs:
    """An auth whose code request is still in flight when the dialog closes, and then fails
    the way httpx does once the dialog's owner has closed the client."""

    def __init__(self) -> None:
        import threading

        self.asked = threading.Event()
        self.release = threading.Event()

    def start_device_flow(self, waiter: Any = None) -> Any:
        self.asked.set()
        self.release.wait(10)
        raise RuntimeError("Cannot send a request, as the client has been closed.")


async def test_closing_while_the_code_is_on_its_way_is_quiet() -> None:
    import time

    auth = _ClosedUnderUs()
    app = Harness()
    results: list[Any] = []

    def closed(result: Any) -> None:
        # as SignInAgain does: the owner closes the HTTP client as soon as the dialog
        # answers, while the dialog's worker is still waiting for its code
        results.append(result)
        auth.release.set()
        time.sleep(0.2)

    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(DeviceLoginDialog(auth, remote="work"), closed)  # type: ignore[arg-type]
        await until(pilot, auth.asked.is_set)
        await pilot.press("escape")
        await until(pilot, lambda: bool(results))
        for _ in range(5):
            await pilot.pause(0.05)
        assert isinstance(results[0].outcome, Cancelled)
    # leaving run_test without WorkerFailed is the point: the late error is dropped


async def test_an_unexpected_error_asking_for_a_code_is_shown_not_raised() -> None:
    auth = _ClosedUnderUs()
    auth.release.set()
    app = Harness(lambda: DeviceLoginDialog(auth, remote="work"))  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: dialog_of(app).has_class("-failed"))
        assert "client has been closed" in status(app)


async def test_a_short_terminal_hides_the_qr_code_until_g(server: RunningServer) -> None:
    auth = make_auth(server)
    app = Harness(lambda: DeviceLoginDialog(auth, remote="work"))
    async with app.run_test(size=(80, 24)) as pilot:
        await shown_code(pilot, app)
        dialog = dialog_of(app)
        assert dialog.has_class("-no-qr")  # the buttons stay on screen
        assert dialog.query_one("#cancel").region.bottom <= 24
        await pilot.press("g")
        assert not dialog.has_class("-no-qr")
        await pilot.press("escape")
