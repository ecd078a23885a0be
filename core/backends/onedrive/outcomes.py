"""How a device-code sign-in ends: the generic outcomes of ``core.setup`` (plain values,
importable without msal), under the names the OneDrive sign-in code uses."""

from __future__ import annotations

from core.setup import Cancelled, Declined, Expired, Failed, SignedIn
from core.setup import SignInOutcome as LoginOutcome

__all__ = ["Cancelled", "Declined", "Expired", "Failed", "LoginOutcome", "SignedIn"]
