"""HTTP side of the identity emulator: discovery, devicecode, token, the verification page."""

from __future__ import annotations

import base64
import hmac
import html
import time
import uuid
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote_plus

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from .identity import OAuthError

if TYPE_CHECKING:
    from .emulator import Emulator

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def base_url(request: Request) -> str:
    """Scheme and authority the client used, for absolute URLs in responses."""
    host = request.headers.get("host") or f"{request.url.hostname}:{request.url.port}"
    return f"{request.url.scheme}://{host}"


async def read_form(request: Request) -> dict[str, str]:
    body = (await request.body()).decode("utf-8", "replace")
    return {key: values[-1] for key, values in parse_qs(body, keep_blank_values=True).items()}


def oauth_error_response(error: OAuthError) -> JSONResponse:
    now = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
    trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
    description = (
        f"AADSTS{error.aadsts}: {error.description}\r\nTrace ID: {trace}\r\n"
        f"Correlation ID: {correlation}\r\nTimestamp: {now}"
    )
    return JSONResponse(
        {
            "error": error.error,
            "error_description": description,
            "error_codes": [error.aadsts],
            "timestamp": now,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": f"https://login.microsoftonline.com/error?code={error.aadsts}",
        },
        status_code=error.status,
    )


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    """``client_secret_basic``: the client id and secret of an ``Authorization: Basic`` header
    (each form-urlencoded before base64, RFC 6749 §2.3.1)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise OAuthError("invalid_client", "The Authorization header is malformed.") from None
    user, colon, password = decoded.partition(":")
    if not colon:
        raise OAuthError("invalid_client", "The Authorization header is malformed.")
    return unquote_plus(user), unquote_plus(password)


def authenticate_client(emulator: Emulator, request: Request, form: dict[str, str]) -> str:
    """The client id of a token request, its credentials checked as Entra ID does.

    A public client (any id not in ``confidential_clients``) must present no secret
    (AADSTS700025); a confidential one must present its own, in the body
    (``client_secret_post``) or in an ``Authorization: Basic`` header (``client_secret_basic``).
    """
    basic = _basic_credentials(request)
    client_id = form.get("client_id", "")
    secret = form.get("client_secret")
    if basic is not None:
        if client_id and client_id != basic[0]:
            raise OAuthError(
                "invalid_request",
                "The client_id in the body differs from the Authorization header.",
            )
        if secret is not None:
            raise OAuthError(
                "invalid_request", "Client credentials were given in both body and header."
            )
        client_id, secret = basic
    if not client_id:
        raise OAuthError("invalid_request", "The request body must contain 'client_id'.")
    known = emulator.config.confidential_clients.get(client_id)
    assertion = form.get("client_assertion")
    if known is None:
        if secret is not None or assertion is not None:
            raise OAuthError(
                "invalid_client",
                "Client is public so neither 'client_assertion' nor 'client_secret' should be "
                "presented.",
                code=700025,
            )
        return client_id
    if assertion is not None:
        raise OAuthError(
            "invalid_client", "Client assertions are not supported by the emulator.", status=401
        )
    if secret is None:
        raise OAuthError(
            "invalid_client",
            "The request body must contain the following parameter: 'client_assertion' or "
            "'client_secret'.",
            code=7000218,
            status=401,
        )
    if not hmac.compare_digest(secret.encode(), known.encode()):
        raise OAuthError(
            "invalid_client", "Invalid client secret provided.", code=7000215, status=401
        )
    return client_id


def identity_routes(emulator: Emulator) -> list[Route]:
    """Routes of the identity platform (GRAPH.md §17, §18.9)."""
    identity = emulator.identity

    async def openid_configuration(request: Request) -> Response:
        tenant = request.path_params["tenant"]
        base = f"{base_url(request)}/{tenant}"
        return JSONResponse(
            {
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "issuer": f"{base_url(request)}/{emulator.me.tenant_id}/v2.0",
                "jwks_uri": f"{base}/discovery/v2.0/keys",
                "response_types_supported": ["code", "id_token", "code id_token", "token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "tenant_region_scope": None,
            }
        )

    async def devicecode(request: Request) -> Response:
        form = await read_form(request)
        try:
            code = identity.new_device_code(form.get("client_id", ""), form.get("scope", ""))
        except OAuthError as error:
            return oauth_error_response(error)
        uri = f"{base_url(request)}/devicelogin"
        return JSONResponse(
            {
                "device_code": code.device_code,
                "user_code": code.user_code,
                "verification_uri": uri,
                "expires_in": int(code.expires_at - code.issued_at),
                "interval": code.interval,
                "message": (
                    f"To sign in, use a web browser to open the page {uri} and enter the code "
                    f"{code.user_code} to authenticate."
                ),
            }
        )

    async def token(request: Request) -> Response:
        form = await read_form(request)
        grant = form.get("grant_type", "")
        client_info = form.get("client_info") == "1"
        issuer_base = base_url(request)
        try:
            client_id = authenticate_client(emulator, request, form)
            if grant == DEVICE_CODE_GRANT:
                device_code = form.get("device_code") or form.get("code") or ""
                code = identity.poll(device_code, emulator.me.id)
                if code.client_id != client_id:
                    raise OAuthError("invalid_grant", "The device code belongs to another client.")
                user = emulator.store.users[code.user_id or emulator.me.id]
                body = identity.issue(
                    user,
                    client_id,
                    code.scope,
                    client_info=client_info,
                    issuer=f"{issuer_base}/{user.tenant_id}/v2.0",
                )
            elif grant == "refresh_token":
                refresh = identity.redeem_refresh_token(form.get("refresh_token", ""), client_id)
                user = emulator.store.users[refresh.user_id]
                body = identity.issue(
                    user,
                    client_id,
                    form.get("scope") or refresh.scope,
                    client_info=client_info,
                    issuer=f"{issuer_base}/{user.tenant_id}/v2.0",
                )
            else:
                raise OAuthError(
                    "unsupported_grant_type", f"The grant type '{grant}' is not supported."
                )
        except OAuthError as error:
            return oauth_error_response(error)
        return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    async def authorize(request: Request) -> Response:
        return HTMLResponse(
            "<h1>Not supported</h1><p>The skypane emulator signs in with the device code flow.</p>",
            status_code=400,
        )

    async def devicelogin(request: Request) -> Response:
        if request.method == "GET":
            return HTMLResponse(_page(code=request.query_params.get("code", "")))
        form = await read_form(request)
        user_code = form.get("code", "")
        approve = form.get("action", "approve") != "decline"
        found = identity.find_user_code(user_code)
        if found is None:
            return HTMLResponse(
                _page(code=user_code, error="That code wasn't recognised. Check it and try again."),
                status_code=400,
            )
        try:
            identity.decide(user_code, approve, emulator.me.id)
        except ValueError:
            return HTMLResponse(
                _page(code=user_code, error="That code has expired or was already used."),
                status_code=400,
            )
        if approve:
            text = (
                f"You have signed in as {html.escape(emulator.me.email)} on your device. "
                "You may now close this window."
            )
        else:
            text = "You declined the sign-in. You may now close this window."
        return HTMLResponse(_frame(f"<p id='result'>{text}</p>"))

    return [
        Route("/{tenant}/v2.0/.well-known/openid-configuration", openid_configuration),
        Route("/{tenant}/oauth2/v2.0/devicecode", devicecode, methods=["POST"]),
        Route("/{tenant}/oauth2/v2.0/token", token, methods=["POST"]),
        Route("/{tenant}/oauth2/v2.0/authorize", authorize),
        Route("/devicelogin", devicelogin, methods=["GET", "POST"]),
    ]


def _frame(body: str) -> str:
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>skypane emulator: sign in"
        "</title><style>body{font-family:sans-serif;max-width:30em;margin:4em auto}"
        "input{font-size:1.4em;letter-spacing:.1em}button{font-size:1.1em;margin:.5em .5em 0 0}"
        ".error{color:#b00}</style></head><body><h1>Enter code</h1>"
        f"{body}</body></html>"
    )


def _page(code: str = "", error: str | None = None) -> str:
    message = f"<p class='error'>{html.escape(error)}</p>" if error else ""
    return _frame(
        f"{message}<p>Enter the code shown on your device to allow it to access your drive.</p>"
        "<form method='post' action='/devicelogin'>"
        f"<input name='code' autofocus autocomplete='off' value='{html.escape(code)}'><br>"
        "<button name='action' value='approve'>Approve</button>"
        "<button name='action' value='decline'>Decline</button></form>"
    )
