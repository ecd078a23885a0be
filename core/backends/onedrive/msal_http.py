"""msal's HTTP through the backend's HTTP stack (``core.backends.onedrive.http``).

msal's default transport is a requests.Session whose ``verify=`` is silently ignored when
``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` are set (GRAPH.md §21). Handing msal this small
adapter instead gives sign-in the same TLS trust and proxy policy as the Graph client: its
``httpx.Client`` comes from ``http.make_sync_client`` (msal is synchronous).
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import Any

import httpx
import requests.exceptions

from core.backends.onedrive.http import ProxyPolicy, make_sync_client

DEFAULT_TIMEOUT = 30.0


class MsalResponse:
    """The response shape msal reads: status_code, text, headers, raise_for_status()."""

    __slots__ = ("headers", "status_code", "text")

    def __init__(self, status_code: int, text: str, headers: Mapping[str, str]) -> None:
        self.status_code = status_code
        self.text = text
        self.headers = headers

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            # requests' own type: msal catches RequestException to fall back to cached tokens.
            raise requests.exceptions.HTTPError(f"HTTP {self.status_code} from the sign-in service")

    def __repr__(self) -> str:  # never the body: it may hold tokens
        return f"MsalResponse(status_code={self.status_code})"


def _without_none(values: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (values or {}).items() if v is not None}


class MsalHttpClient:
    """An ``http_client`` for ``msal.PublicClientApplication`` over ``httpx.Client``."""

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | None = None,
        ca_bundle: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        proxies: ProxyPolicy | None = None,
    ) -> None:
        self._client = make_sync_client(
            ca_bundle=ca_bundle,
            context=verify,
            timeout=timeout,
            transport=transport,
            proxies=proxies,
        )

    def get(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> MsalResponse:
        return self._send("GET", url, params=params, headers=headers, timeout=kwargs.get("timeout"))

    def post(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | str | bytes | None = None,
        headers: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> MsalResponse:
        return self._send(
            "POST", url, params=params, data=data, headers=headers, timeout=kwargs.get("timeout")
        )

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, Any] | None,
        data: Mapping[str, Any] | str | bytes | None = None,
        timeout: float | None = None,
    ) -> MsalResponse:
        extra: dict[str, Any] = {}
        if isinstance(data, Mapping):
            # requests leaves out None form values; httpx would send them as empty strings.
            extra["data"] = _without_none(data)
        elif data is not None:
            extra["content"] = data.encode() if isinstance(data, str) else data
        if timeout is not None:
            extra["timeout"] = timeout
        try:
            response = self._client.request(
                method,
                url,
                params=_without_none(params) or None,
                headers={k: str(v) for k, v in _without_none(headers).items()},
                **extra,
            )
        except httpx.TransportError as exc:
            raise requests.exceptions.ConnectionError(
                f"cannot reach {httpx.URL(url).host}: {type(exc).__name__}: {exc}"
            ) from exc
        return MsalResponse(response.status_code, response.text, response.headers)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> MsalHttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
