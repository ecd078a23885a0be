"""Sign-in settings from a remote's options, and msal's HTTP adapter."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import requests.exceptions

from core.backends.onedrive.auth import (
    REGISTRATION_GUIDE,
    AuthConfig,
    resolve_client_id,
    scopes_for,
    validate_client_id,
    validate_tenant,
)
from core.backends.onedrive.msal_http import MsalHttpClient
from core.errors import ConfigError
from core.tls import tls_context

GUID = "12345678-ABCD-4ef0-9876-0123456789ab"


def test_client_id_must_be_a_guid() -> None:
    assert validate_client_id(f"  {GUID} ") == GUID.lower()
    for bad in ("", "skypane", GUID[:-1], GUID + "0", "{" + GUID + "}"):
        with pytest.raises(ConfigError, match="expected a GUID"):
            validate_client_id(bad)


def test_client_id_from_the_environment_when_the_remote_has_none() -> None:
    assert resolve_client_id({}, {"SKYPANE_CLIENT_ID": GUID}) == GUID.lower()
    other = "00000000-0000-0000-0000-000000000001"
    assert resolve_client_id({"client_id": other}, {"SKYPANE_CLIENT_ID": GUID}) == other
    with pytest.raises(ConfigError, match="--client-id or SKYPANE_CLIENT_ID"):
        resolve_client_id({}, {})


def test_tenants() -> None:
    for good in ("common", "organizations", "consumers", "contoso.onmicrosoft.com", GUID):
        assert validate_tenant(good) == good
    assert validate_tenant("") == "common"
    with pytest.raises(ConfigError):
        validate_tenant("a/b")


def test_scopes() -> None:
    assert scopes_for() == ("Files.ReadWrite.All", "Sites.Read.All")
    assert scopes_for(read_only=True) == ("Files.Read.All", "Sites.Read.All")
    assert scopes_for(disable_site_permission=True) == ("Files.ReadWrite.All",)
    assert scopes_for(resource="https://graph.microsoft.us") == (
        "https://graph.microsoft.us/Files.ReadWrite.All",
        "https://graph.microsoft.us/Sites.Read.All",
    )


def test_auth_config_from_options() -> None:
    config = AuthConfig.from_options({"client_id": GUID, "tenant": "organizations"}, {})
    assert config.authority == "https://login.microsoftonline.com/organizations"
    assert config.instance_discovery  # a real Microsoft host: normal msal behaviour

    china = AuthConfig.from_options({"client_id": GUID, "region": "cn"}, {})
    assert china.authority == "https://login.chinacloudapi.cn/common"
    assert china.scopes[0] == "https://microsoftgraph.chinacloudapi.cn/Files.ReadWrite.All"

    emulated = AuthConfig.from_options(
        {
            "client_id": GUID,
            "authority": "https://127.0.0.1:8443/common/",
            "graph_url": "https://127.0.0.1:8443",
            "read_only": "true",
            "account": "alice@outlook.com",
        },
        {},
    )
    assert emulated.authority == "https://127.0.0.1:8443/common"
    assert not emulated.instance_discovery  # never ask login.microsoftonline.com about it
    assert emulated.scopes == ("Files.Read.All", "Sites.Read.All")
    assert emulated.account == "alice@outlook.com"

    with pytest.raises(ConfigError, match="retired"):
        AuthConfig.from_options({"client_id": GUID, "region": "de"}, {})


def test_registration_guide_names_what_a_user_must_set() -> None:
    for needle in (
        "Allow public client flows",
        "Files.ReadWrite.All",
        "Sites.Read.All",
        "offline_access",
        "User.Read",
        "personal Microsoft accounts",
        "SKYPANE_CLIENT_ID",
    ):
        assert needle in REGISTRATION_GUIDE


def test_adapter_drops_none_and_sends_forms() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(400, json={"error": "authorization_pending"})

    client = MsalHttpClient(transport=httpx.MockTransport(handler))
    response = client.post(
        "https://login.example/common/oauth2/v2.0/token",
        params={"a": "1", "b": None},
        data={"client_id": "x", "claims": None},
        headers={"x-client-sku": "MSAL.Python", "X-AnchorMailbox": None},
    )
    assert response.status_code == 400 and "authorization_pending" in response.text
    request = seen[0]
    assert request.url.params == httpx.QueryParams({"a": "1"})
    assert request.content == b"client_id=x"
    assert "x-anchormailbox" not in request.headers
    assert request.headers["x-client-sku"] == "MSAL.Python"
    with pytest.raises(requests.exceptions.HTTPError):
        response.raise_for_status()
    assert "authorization_pending" not in repr(response)


def test_adapter_turns_transport_errors_into_requests_connection_errors() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = MsalHttpClient(transport=httpx.MockTransport(handler))
    with pytest.raises(requests.exceptions.ConnectionError, match=r"login\.example"):
        client.get("https://login.example/common/v2.0/.well-known/openid-configuration")


def test_missing_or_broken_ca_bundle(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="CA bundle not found"):
        tls_context("/nonexistent/ca.pem")
    broken = tmp_path / "broken.pem"
    broken.write_text("not a certificate")
    with pytest.raises(ConfigError, match="not a usable PEM"):
        tls_context(str(broken))
    assert tls_context(None).verify_mode.name == "CERT_REQUIRED"
