"""How a device-code sign-in ends: plain values, importable without msal (the TUI's
login dialog needs them at start-up; msal and its HTTP stack load only when a sign-in runs)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Cancelled", "Declined", "Expired", "Failed", "LoginOutcome", "SignedIn"]


@dataclass(frozen=True, slots=True)
class SignedIn:
    account: str
    home_account_id: str


@dataclass(frozen=True, slots=True)
class Declined:
    message: str = "the sign-in was declined on the verification page"


@dataclass(frozen=True, slots=True)
class Expired:
    message: str = "the code expired before the sign-in was approved"


@dataclass(frozen=True, slots=True)
class Cancelled:
    message: str = "sign-in cancelled"


@dataclass(frozen=True, slots=True)
class Failed:
    message: str
    error: str = ""


LoginOutcome = SignedIn | Declined | Expired | Cancelled | Failed
