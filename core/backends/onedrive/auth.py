"""Sign-in for OneDrive remotes: msal's device-code flow, silent refresh, sign-out.

Settings (client id, tenant, scopes) live in ``auth_config``; they are re-exported here.

One remote = one msal ``PublicClientApplication`` + one ``SerializableTokenCache`` kept in
``core.secrets``. Everything here blocks (msal is synchronous); async callers go through
``asyncio.to_thread`` (``MsalTokenProvider``, ``DeviceFlow.wait``).

msal (with requests and urllib3: ~40 ms of CPU and 6 MiB to import, then its application
fetches the authority's OpenID configuration over a TLS connection of its own) is loaded
only when it is needed: a command started while the stored access token is good for
another five minutes takes that token from the stored cache (``_stored_token``), as msal
would, and never loads it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from core import __version__
from core.backends.onedrive.auth_config import (
    CLIENT_ID_ENV,
    REGISTRATION_GUIDE,
    AuthConfig,
    resolve_client_id,
    scopes_for,
    validate_client_id,
    validate_tenant,
)
from core.backends.onedrive.outcomes import (
    Cancelled,
    Declined,
    Expired,
    Failed,
    LoginOutcome,
    SignedIn,
)
from core.errors import AuthenticationRequired, ConfigError, TransientError
from core.secrets import Secrets, default_store

if TYPE_CHECKING:
    import msal

# msal's DEBUG records dump token requests and responses (device codes unmasked); never let
# them through, whatever level the application configures.
logging.getLogger("msal").setLevel(logging.INFO)

#: Refresh errors worth retrying later; any other error means only a new sign-in helps.
_TRANSIENT_ERRORS = frozenset({"temporarily_unavailable", "server_error"})
#: An access token is used while it is good for this many more seconds (as msal does).
_SPARE_SECONDS = 300


def _network_errors() -> type[Exception]:
    """What msal's HTTP client raises when the sign-in service cannot be reached."""
    import requests.exceptions

    return requests.exceptions.RequestException


def _stored_token(blob: str | None, config: AuthConfig) -> tuple[str, float] | None:
    """The access token msal would hand out from the serialized cache ``blob`` without a
    refresh, and when it expires (epoch seconds); None when there is none good for another
    ``_SPARE_SECONDS``, or when which one to take is not clear-cut (msal then decides).

    msal's rules, kept strictly: the account chosen as ``RemoteAuth._account`` chooses it
    (the configured username, else the only account), a token of this client id, of the
    authority's host, whose scopes include all of ``config.scopes``.
    """
    if not blob:
        return None
    try:
        data = json.loads(blob)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    accounts = [a for a in _section(data, "Account") if a.get("home_account_id")]
    named = [a for a in accounts if config.account and a.get("username") == config.account]
    if named:
        accounts = named[:1]
    if len(accounts) != 1:
        return None
    home = accounts[0]["home_account_id"]
    host = (urlsplit(config.authority).hostname or "").lower()
    wanted = set(config.scopes)
    found = [
        at
        for at in _section(data, "AccessToken")
        if at.get("client_id") == config.client_id
        and at.get("home_account_id") == home
        and str(at.get("environment") or "").lower() == host
        and wanted <= set(str(at.get("target") or "").split())
    ]
    if len(found) != 1:
        return None
    secret, expires_on = found[0].get("secret"), str(found[0].get("expires_on") or "")
    if not isinstance(secret, str) or not secret or not expires_on.isdigit():
        return None
    expires = float(expires_on)
    if expires - _SPARE_SECONDS <= time.time():
        return None
    return secret, expires


def _section(data: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    entries = data.get(kind)
    if not isinstance(entries, dict):
        return []
    return [e for e in entries.values() if isinstance(e, dict)]


def _first_line(description: Any) -> str:
    text = str(description or "").strip()
    return text.splitlines()[0].strip() if text else ""


def _error_text(result: Mapping[str, Any]) -> str:
    error = str(result.get("error") or "error")
    line = _first_line(result.get("error_description"))
    return f"{error}: {line}" if line else error


# -- the device-code flow --------------------------------------------------------------------


class DeviceFlow:
    """One device-code sign-in a UI can drive: show the code, ``poll`` (blocking, in a thread),
    ``cancel`` at any time from any thread.

    ``waiter(seconds) -> bool`` waits between polls and returns True when cancelled; the
    default waits on the cancel event, so a cancel wakes the poller at once. Tests pass
    their own to record the intervals without sleeping.
    """

    MAX_NETWORK_FAILURES = 5

    def __init__(
        self,
        auth: RemoteAuth,
        flow: dict[str, Any],
        waiter: Callable[[float], bool] | None = None,
    ) -> None:
        self._auth = auth
        self._flow = flow
        self._cancel = threading.Event()
        self._waiter = waiter or self._cancel.wait
        self._outcome: LoginOutcome | None = None
        self._lock = threading.Lock()
        self.user_code: str = str(flow["user_code"])
        self.verification_uri: str = str(
            flow.get("verification_uri") or flow.get("verification_url") or ""
        )
        self.message: str = str(flow.get("message") or "")
        self.expires_at = datetime.fromtimestamp(float(flow["expires_at"]), UTC)
        #: Seconds between polls; grows by 5 on each ``slow_down``.
        self.interval: float = float(flow.get("interval", 5))

    def __repr__(self) -> str:  # the device code itself is a secret until redeemed
        return f"DeviceFlow(user_code={self.user_code!r}, uri={self.verification_uri!r})"

    @property
    def outcome(self) -> LoginOutcome | None:
        return self._outcome

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def poll(self) -> LoginOutcome:
        """Poll until approved, declined, expired, cancelled or failed (blocks)."""
        with self._lock:
            if self._outcome is None:
                self._outcome = self._run()
            return self._outcome

    def start(self, on_done: Callable[[LoginOutcome], None] | None = None) -> threading.Thread:
        """Poll in a daemon thread; ``on_done`` gets the outcome there."""

        def target() -> None:
            outcome = self.poll()
            if on_done is not None:
                on_done(outcome)

        thread = threading.Thread(target=target, name="device-code-poll", daemon=True)
        thread.start()
        return thread

    async def wait(self) -> LoginOutcome:
        """Poll in a worker thread; cancelling the awaiting task cancels the sign-in."""
        try:
            return await asyncio.to_thread(self.poll)
        except asyncio.CancelledError:
            self.cancel()
            raise

    def _run(self) -> LoginOutcome:
        failures = 0
        while True:
            if self._cancel.is_set():
                return Cancelled()
            if time.time() >= float(self._flow["expires_at"]):
                return Expired()
            # msal polls once per call this way (exit_condition true before any sleep),
            # and we wait here instead, on an event a cancel sets: msal's own loop only
            # checks its exit condition once a second and never when the interval is 0.
            self._flow["interval"] = 1
            try:
                result = self._auth.redeem_device_flow(self._flow)
            except _network_errors() as exc:
                failures += 1
                if failures >= self.MAX_NETWORK_FAILURES:
                    return Failed(f"cannot reach the sign-in service ({exc})", "network")
                if self._waiter(max(self.interval, 1.0)):
                    return Cancelled()
                continue
            failures = 0
            if "access_token" in result:
                return self._auth.finish_sign_in(result)
            error = str(result.get("error") or "")
            if error == "slow_down":
                self.interval += 5
            elif error == "authorization_declined":
                return Declined()
            elif error in ("expired_token", "code_expired"):
                return Expired()
            elif error != "authorization_pending":
                return Failed(_error_text(result), error)
            if self._waiter(self.interval):
                return Cancelled()


# -- one remote's sign-in state ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Account:
    username: str
    home_account_id: str
    environment: str


class RemoteAuth:
    """The msal application and token cache of one remote, persisted in a ``SecretStore``."""

    def __init__(
        self,
        remote: str,
        config: AuthConfig,
        store: Secrets,
        *,
        http_client: Any = None,
    ) -> None:
        self.remote = remote
        self.config = config
        self.store = store
        self._http = http_client
        self._app: msal.PublicClientApplication | None = None
        self._lock = threading.RLock()
        #: msal's cache of ``_seen_blob``, made when msal is first needed.
        self._cache_obj: msal.SerializableTokenCache | None = None
        self._seen_blob: str | None = None
        self._memo: tuple[str, float] | None = None  # access token, monotonic expiry
        #: The stored blob's access tokens were refused: only msal may decide now.
        self._stored_refused = False
        self._load()

    def __repr__(self) -> str:
        return f"RemoteAuth({self.remote!r}, authority={self.config.authority!r})"

    # -- cache and store -------------------------------------------------------------

    def _load(self) -> bool:
        """Read the stored cache; True when it differs from what this object last saw."""
        blob = self.store.load(self.remote)
        if blob == self._seen_blob:
            return False
        self._seen_blob = blob
        self._cache_obj = None
        self._memo = None
        self._stored_refused = False
        if self._app is not None:
            self._app.token_cache = self._cache
        return True

    @property
    def _cache(self) -> msal.SerializableTokenCache:
        """msal's token cache of the stored blob (loads msal)."""
        if self._cache_obj is None:
            import msal

            cache = msal.SerializableTokenCache()
            if self._seen_blob:
                with contextlib.suppress(ValueError):  # a damaged entry is as good as none
                    cache.deserialize(self._seen_blob)
            self._cache_obj = cache
        return self._cache_obj

    def persist(self) -> None:
        """Save the cache when msal changed it (a new refresh token, a new account)."""
        with self._lock:
            if self._cache_obj is not None and self._cache_obj.has_state_changed:
                blob = self._cache_obj.serialize()
                self.store.save(self.remote, blob)
                self._seen_blob = blob

    @property
    def app(self) -> msal.PublicClientApplication:
        """The msal application, built on first use (msal fetches the authority's
        OpenID configuration while constructing it)."""
        with self._lock:
            if self._app is None:
                import msal

                if self._http is None:
                    from core.backends.onedrive.msal_http import MsalHttpClient
                    from core.tls import tls_context

                    self._http = MsalHttpClient(verify=tls_context(self.config.ca_bundle))
                try:
                    self._app = msal.PublicClientApplication(
                        self.config.client_id,
                        authority=self.config.authority,
                        token_cache=self._cache,
                        http_client=self._http,
                        instance_discovery=None if self.config.instance_discovery else False,
                        app_name="skypane",
                        app_version=__version__,
                    )
                except _network_errors() as exc:
                    raise TransientError(
                        f"cannot reach the sign-in service at {self.config.authority}",
                        detail=str(exc),
                    ) from exc
                except ValueError as exc:
                    raise ConfigError(
                        f"sign-in authority {self.config.authority} is not usable", detail=str(exc)
                    ) from exc
            return self._app

    def accounts(self) -> list[Account]:
        """Accounts in the cache (read locally, no network)."""
        import msal

        found = list(self._cache.search(msal.TokenCache.CredentialType.ACCOUNT))
        return [
            Account(
                str(a.get("username") or ""),
                str(a.get("home_account_id") or ""),
                str(a.get("environment") or ""),
            )
            for a in found
        ]

    @property
    def signed_in(self) -> bool:
        import msal

        return bool(
            list(self._cache.search(msal.TokenCache.CredentialType.REFRESH_TOKEN))
        ) and bool(self.accounts())

    # -- device code -------------------------------------------------------------------

    def start_device_flow(self, waiter: Callable[[float], bool] | None = None) -> DeviceFlow:
        """Ask for a device code; ``Failed`` details become a ``ConfigError`` here."""
        try:
            flow = self.app.initiate_device_flow(scopes=list(self.config.scopes))
        except _network_errors() as exc:
            raise TransientError("cannot reach the sign-in service", detail=str(exc)) from exc
        if "user_code" not in flow:
            # Typical: AADSTS7000218 (public client flows not allowed), unknown client id.
            raise ConfigError(
                "the sign-in service refused to start a sign-in", detail=_error_text(flow)
            )
        return DeviceFlow(self, flow, waiter)

    def redeem_device_flow(self, flow: dict[str, Any]) -> dict[str, Any]:
        """One poll of the token endpoint (msal checks and caches the answer)."""
        result: dict[str, Any] = self.app.acquire_token_by_device_flow(
            flow, exit_condition=lambda _flow: True
        )
        return result

    def finish_sign_in(self, result: Mapping[str, Any]) -> LoginOutcome:
        """Keep only the account that just signed in, and store the cache."""
        claims = result.get("id_token_claims") or {}
        username = str(claims.get("preferred_username") or claims.get("upn") or "")
        with self._lock:
            accounts = self.app.get_accounts()
            mine = [a for a in accounts if a.get("username") == username] or accounts[:1]
            if not mine:
                return Failed("the sign-in service returned no account (no client_info?)")
            keep = mine[0]
            for other in accounts:
                if other.get("home_account_id") != keep.get("home_account_id"):
                    self.app.remove_account(other)
            self._memo = None
            self.persist()
        return SignedIn(str(keep.get("username") or username), str(keep["home_account_id"]))

    # -- tokens --------------------------------------------------------------------------

    def _account(self) -> dict[str, Any] | None:
        accounts = self.app.get_accounts()
        if self.config.account:
            named = [a for a in accounts if a.get("username") == self.config.account]
            if named:
                return dict(named[0])
        return dict(accounts[0]) if accounts else None

    def _sign_in_again(self, detail: str | None = None) -> AuthenticationRequired:
        return AuthenticationRequired(f"sign in again: skypane login {self.remote}", detail=detail)

    def cached_token(self) -> str | None:
        """An access token still good for 5 minutes, without msal or a thread: the one last
        handed out, else the stored cache's (``_stored_token``)."""
        memo = self._memo
        if memo is not None and memo[1] - _SPARE_SECONDS > time.monotonic():
            return memo[0]
        if self._stored_refused or self._cache_obj is not None:
            return None  # msal holds the cache now (and knows what changed in it)
        # Never wait here (this runs on the event loop): a refresh holding the lock is
        # waited for in a thread, by ``acquire_token``.
        if not self._lock.acquire(blocking=False):
            return None
        try:
            stored = _stored_token(self._seen_blob, self.config)
            if stored is None:
                return None
            token, expires = stored
            self._memo = (token, time.monotonic() + (expires - time.time()))
            return token
        finally:
            self._lock.release()

    def acquire_token(self, *, force_refresh: bool = False) -> str:
        """An access token, refreshed when needed (blocks). Raises ``AuthenticationRequired``
        when only a new sign-in helps, ``TransientError`` when the service is unreachable."""
        with self._lock:
            if not force_refresh and (token := self.cached_token()):
                return token
            # Another process (or the sign-in dialog) may have signed in meanwhile: its
            # tokens win over what this object holds in memory.
            self._load()
            try:
                return self._acquire(force_refresh)
            except AuthenticationRequired:
                # The remembered token is dead too: never hand it out again, neither from
                # the memo nor from msal's cache (which still holds it until it expires
                # and would give it to the next caller, who would meet the same 401).
                self._forget_access_tokens()
                if self._load():
                    return self._acquire(force_refresh)
                raise

    def _forget_access_tokens(self) -> None:
        import msal

        self._memo = None
        self._stored_refused = True
        kind = msal.TokenCache.CredentialType.ACCESS_TOKEN
        for entry in list(self._cache.search(kind)):
            self._cache.remove_at(entry)

    def _acquire(self, force_refresh: bool) -> str:
        import msal

        if not list(self._cache.search(msal.TokenCache.CredentialType.ACCOUNT)):
            raise self._sign_in_again("not signed in")
        account = self._account()
        if account is None:
            raise self._sign_in_again("not signed in")
        try:
            result = self.app.acquire_token_silent_with_error(
                list(self.config.scopes), account, force_refresh=force_refresh
            )
        except _network_errors() as exc:
            raise TransientError("cannot reach the sign-in service", detail=str(exc)) from exc
        finally:
            self.persist()
        if not result:
            raise self._sign_in_again("no usable token in the cache")
        if "access_token" in result:
            token = str(result["access_token"])
            lifetime = float(result.get("expires_in") or 0)
            self._memo = (token, time.monotonic() + lifetime) if lifetime > 0 else None
            return token
        error = str(result.get("error") or "")
        if error in _TRANSIENT_ERRORS:
            raise TransientError("the sign-in service is unavailable", detail=_error_text(result))
        raise self._sign_in_again(_error_text(result))

    # -- sign-out --------------------------------------------------------------------------

    def logout(self) -> list[str]:
        """Forget every account of this remote and delete its stored cache (works offline:
        Microsoft offers public clients no refresh-token revocation). Returns the names."""
        with self._lock:
            names = [a.username for a in self.accounts()]
            if self._app is not None:
                for account in self._app.get_accounts():
                    self._app.remove_account(account)
            self.store.delete(self.remote)
            self._seen_blob = None
            self._cache_obj = None
            self._memo = None
            if self._app is not None:
                self._app.token_cache = self._cache
            return names

    def close(self) -> None:
        close = getattr(self._http, "close", None)
        if callable(close):
            close()


# -- the seam the Graph client uses ------------------------------------------------------------


class MsalTokenProvider:
    """``TokenProvider`` over a ``RemoteAuth``: msal runs in a worker thread."""

    def __init__(self, auth: RemoteAuth) -> None:
        self.auth = auth

    def __repr__(self) -> str:
        return f"MsalTokenProvider({self.auth.remote!r})"

    async def access_token(self, *, force_refresh: bool = False) -> str:
        if not force_refresh and (token := self.auth.cached_token()):
            return token
        return await asyncio.to_thread(self.auth.acquire_token, force_refresh=force_refresh)

    def close(self) -> None:
        self.auth.close()


def remote_auth(remote: str, options: Mapping[str, Any], secrets: Any = None) -> RemoteAuth:
    """The sign-in state of ``remote`` as configured by ``options``."""
    return RemoteAuth(remote, AuthConfig.from_options(options), default_store(secrets))


def token_provider_for(remote: str, options: Mapping[str, Any], secrets: Any) -> MsalTokenProvider:
    """The token provider a OneDrive backend opened by ``from_config`` uses."""
    return MsalTokenProvider(remote_auth(remote, options, secrets))


__all__ = [
    "CLIENT_ID_ENV",
    "REGISTRATION_GUIDE",
    "Account",
    "AuthConfig",
    "Cancelled",
    "Declined",
    "DeviceFlow",
    "Expired",
    "Failed",
    "LoginOutcome",
    "MsalTokenProvider",
    "RemoteAuth",
    "SignedIn",
    "remote_auth",
    "resolve_client_id",
    "scopes_for",
    "token_provider_for",
    "validate_client_id",
    "validate_tenant",
]
