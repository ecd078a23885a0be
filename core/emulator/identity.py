"""Microsoft identity platform state: device codes, access and refresh tokens (GRAPH.md §17).

Pure state and rules; the HTTP side is in ``identity_routes.py``.
"""

from __future__ import annotations

import base64
import json
import secrets
import string
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from .clock import Clock
from .config import EmulatorConfig
from .model import User

PERSONAL_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"

#: AADSTS numbers used in error descriptions (for realism; clients branch on ``error``).
_AADSTS = {
    "authorization_pending": 70016,
    "authorization_declined": 70000,
    "bad_verification_code": 70000,
    "expired_token": 70019,
    "slow_down": 70016,
    "invalid_grant": 70000,
    "invalid_request": 900144,
    "invalid_client": 700016,
    "unsupported_grant_type": 70003,
}


class OAuthError(Exception):
    """An OAuth error answered with HTTP 400 (or ``status``) and the Entra ID body."""

    def __init__(
        self, error: str, description: str, *, code: int | None = None, status: int = 400
    ) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.code = code
        self.status = status

    @property
    def aadsts(self) -> int:
        return self.code or _AADSTS.get(self.error, 90000)


@dataclass(slots=True)
class DeviceCode:
    device_code: str
    user_code: str
    client_id: str
    scope: str
    issued_at: float
    expires_at: float
    interval: int
    approve_at: float | None
    last_poll: float | None = None
    state: str = "pending"  # pending | approved | declined | redeemed
    user_id: str | None = None


@dataclass(slots=True)
class AccessToken:
    user_id: str
    client_id: str
    scope: str
    expires_at: float


@dataclass(slots=True)
class RefreshToken:
    user_id: str
    client_id: str
    scope: str
    revoked: bool = False


@dataclass
class Identity:
    """Device codes and tokens of one emulator."""

    config: EmulatorConfig
    clock: Clock
    device_codes: dict[str, DeviceCode] = field(default_factory=dict)
    user_codes: dict[str, str] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    # ------------------------------------------------------------- device codes
    def new_device_code(self, client_id: str, scope: str) -> DeviceCode:
        if not client_id:
            raise OAuthError("invalid_request", "The request body must contain 'client_id'.")
        if not scope.strip():
            raise OAuthError("invalid_request", "The request body must contain 'scope'.")
        now = self.clock.now()
        alphabet = string.ascii_uppercase + string.digits
        with self.lock:
            user_code = "".join(secrets.choice(alphabet) for _ in range(8))
            while user_code in self.user_codes:
                user_code = "".join(secrets.choice(alphabet) for _ in range(8))
            approve_after = self.config.auto_approve_after
            code = DeviceCode(
                device_code="DAQABAAEAAA" + secrets.token_urlsafe(96),
                user_code=user_code,
                client_id=client_id,
                scope=scope,
                issued_at=now,
                expires_at=now + self.config.device_code_lifetime,
                interval=self.config.device_code_interval,
                approve_at=None if approve_after is None else now + approve_after,
            )
            self.device_codes[code.device_code] = code
            self.user_codes[user_code] = code.device_code
        return code

    def find_user_code(self, user_code: str) -> DeviceCode | None:
        normalized = user_code.strip().upper().replace("-", "").replace(" ", "")
        with self.lock:
            device_code = self.user_codes.get(normalized)
            return self.device_codes.get(device_code) if device_code else None

    def decide(self, user_code: str, approve: bool, user_id: str) -> DeviceCode:
        """Approve or decline a pending code (the verification page, or a test)."""
        with self.lock:
            code = self.find_user_code(user_code)
            if code is None:
                raise KeyError(user_code)
            if code.state != "pending" or self.clock.now() >= code.expires_at:
                raise ValueError(f"code {user_code} is no longer pending")
            code.state = "approved" if approve else "declined"
            code.user_id = user_id
            return code

    def poll(self, device_code: str, default_user: str) -> DeviceCode:
        """One poll of the token endpoint: the approved code, or an :class:`OAuthError`."""
        now = self.clock.now()
        with self.lock:
            code = self.device_codes.get(device_code)
            if code is None:
                raise OAuthError("bad_verification_code", "The device code is not recognised.")
            if code.state == "redeemed":
                raise OAuthError("invalid_grant", "The device code has already been redeemed.")
            if code.state == "declined":
                raise OAuthError("authorization_declined", "The user declined the sign-in.")
            if code.state == "pending" and now >= code.expires_at:
                raise OAuthError("expired_token", "The device code has expired.")
            if code.state == "pending" and code.approve_at is not None and now >= code.approve_at:
                code.state, code.user_id = "approved", default_user
            if code.state == "pending":
                too_soon = (
                    code.interval > 0
                    and code.last_poll is not None
                    and now - code.last_poll < code.interval
                )
                code.last_poll = now
                if too_soon:
                    raise OAuthError("slow_down", "Polling too fast; slow down.")
                raise OAuthError(
                    "authorization_pending",
                    "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
                )
            code.state = "redeemed"
            return code

    # ------------------------------------------------------------- tokens
    def issue(
        self, user: User, client_id: str, scope: str, *, client_info: bool, issuer: str
    ) -> dict[str, object]:
        """A token response body for ``user`` (GRAPH.md §17.4)."""
        now = self.clock.now()
        lifetime = self.config.access_token_lifetime
        scopes = scope.split()
        access = "EwB" + secrets.token_urlsafe(48)
        with self.lock:
            self.access_tokens[access] = AccessToken(user.id, client_id, scope, now + lifetime)
        body: dict[str, object] = {
            "token_type": "Bearer",
            "scope": scope,
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": access,
        }
        if "offline_access" in scopes:
            refresh = "M.C5" + secrets.token_urlsafe(64)
            with self.lock:
                self.refresh_tokens[refresh] = RefreshToken(user.id, client_id, scope)
            body["refresh_token"] = refresh
        if "openid" in scopes:
            body["id_token"] = id_token(user, client_id, issuer, int(now))
        if client_info:
            body["client_info"] = b64url(
                json.dumps({"uid": user.id, "utid": user.tenant_id}).encode()
            )
        return body

    def redeem_refresh_token(self, token: str, client_id: str) -> RefreshToken:
        with self.lock:
            found = self.refresh_tokens.get(token)
            if found is None or found.revoked:
                raise OAuthError(
                    "invalid_grant",
                    "The refresh token has expired or is invalid due to sign-in frequency "
                    "checks by conditional access.",
                )
            if found.client_id != client_id:
                raise OAuthError("invalid_grant", "The refresh token was issued to another client.")
            if self.config.single_use_refresh_tokens:
                found.revoked = True
            return found

    def check_access_token(self, token: str) -> AccessToken | str | None:
        """The token's record, ``None`` when unknown, ``"expired"`` when expired."""
        with self.lock:
            found = self.access_tokens.get(token)
        if found is None:
            return None
        if self.clock.now() >= found.expires_at:
            return "expired"
        return found

    def expire_access_tokens(self) -> None:
        with self.lock:
            for token in self.access_tokens.values():
                token.expires_at = 0.0

    def expire_access_token(self, token: str) -> None:
        with self.lock:
            found = self.access_tokens.get(token)
            if found is not None:
                found.expires_at = 0.0

    def revoke_refresh_tokens(self) -> None:
        with self.lock:
            for token in self.refresh_tokens.values():
                token.revoked = True


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def id_token(user: User, client_id: str, issuer: str, now: int) -> str:
    """A three-part unsigned JWT, which is all MSAL reads (GRAPH.md §18.8)."""
    header = {"typ": "JWT", "alg": "none"}
    claims = {
        "aud": client_id,
        "iss": issuer,
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "sub": b64url(user.id.encode())[:43],
        "oid": user.id,
        "tid": user.tenant_id,
        "name": user.display_name,
        "preferred_username": user.email,
        "ver": "2.0",
    }
    return f"{_encode_part(header)}.{_encode_part(claims)}."


def _encode_part(part: Mapping[str, object]) -> str:
    return b64url(json.dumps(part, separators=(",", ":")).encode())
