"""The seam between sign-in (``auth.py``) and the Graph client (``graph.py``)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class TokenProvider(Protocol):
    """Hands out a bearer token for Graph; ``force_refresh`` after a 401 for an expired token.

    Raises ``core.errors.AuthenticationRequired`` when only a new interactive sign-in helps.
    """

    async def access_token(self, *, force_refresh: bool = False) -> str: ...
