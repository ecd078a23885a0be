"""Bearer-token checks on Graph routes and the refusal of tokens on pre-authenticated URLs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request

from .errors import GraphError
from .identity_routes import base_url
from .model import User

if TYPE_CHECKING:
    from .emulator import Emulator

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"


def _unauthorized(emulator: Emulator, request: Request, message: str, expired: bool) -> GraphError:
    if emulator.config.flavour == "personal":
        error = "expired_token" if expired else "invalid_token"
        description = "Auth token expired. Try refreshing." if expired else message
        challenge = (
            f'Bearer realm="OneDriveAPI", error="{error}", error_description="{description}"'
        )
    else:
        challenge = (
            f'Bearer realm="", authorization_uri="{base_url(request)}/common/oauth2/authorize", '
            f'client_id="{GRAPH_APP_ID}"'
        )
    return GraphError(
        401, "InvalidAuthenticationToken", message, headers={"WWW-Authenticate": challenge}
    )


def authenticate(emulator: Emulator, request: Request) -> User:
    """The user whose bearer token the request carries, or 401 InvalidAuthenticationToken."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if not header or scheme.lower() != "bearer" or not token:
        raise _unauthorized(emulator, request, "Access token is empty.", expired=False)
    found = emulator.identity.check_access_token(token)
    if found is None:
        raise _unauthorized(emulator, request, "Access token validation failure.", expired=False)
    if (
        found != "expired"
        and emulator.faults.eligible(request.method, request.url.path)
        and (emulator.faults.roll(emulator.faults.expire_tokens_early))
    ):
        emulator.identity.expire_access_token(token)
        found = "expired"
    if isinstance(found, str):
        raise _unauthorized(
            emulator, request, "Access token has expired or is not yet valid.", expired=True
        )
    request.state.client_id = found.client_id  # the app the token was issued to
    return emulator.store.users[found.user_id]


def refuse_authorization(request: Request) -> None:
    """Pre-authenticated URLs carry their own credential; a bearer token gets 401 (unless
    ``EmulatorConfig.accept_bearer_on_preauth``, as some real accounts accept it)."""
    emulator: Emulator = request.app.state.emulator
    if emulator.config.accept_bearer_on_preauth:
        return
    if "authorization" in request.headers:
        raise GraphError(
            401,
            "unauthenticated",
            "Pre-authenticated URLs must be called without an Authorization header",
        )
