"""National clouds: which Graph endpoint and which sign-in host go together (GRAPH.md §16)."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Cloud:
    region: str
    graph: str  # scheme and host, no version
    login: str  # scheme and host of the authority
    label: str


CLOUDS: dict[str, Cloud] = {
    "global": Cloud(
        "global",
        "https://graph.microsoft.com",
        "https://login.microsoftonline.com",
        "Microsoft global (and US GCC)",
    ),
    "us": Cloud(
        "us",
        "https://graph.microsoft.us",
        "https://login.microsoftonline.us",
        "US Government L4 (GCC High)",
    ),
    "dod": Cloud(
        "dod",
        "https://dod-graph.microsoft.us",
        "https://login.microsoftonline.us",
        "US Government L5 (DoD)",
    ),
    "cn": Cloud(
        "cn",
        "https://microsoftgraph.chinacloudapi.cn",
        "https://login.chinacloudapi.cn",
        "China (operated by 21Vianet)",
    ),
}
RETIRED = {"de": "Microsoft Cloud Germany was retired in 2021; use the global cloud"}


def cloud(region: str) -> Cloud:
    """The endpoints of ``region``; a clear error for a retired or unknown one."""
    key = region.strip().lower() or "global"
    if key in RETIRED:
        raise ConfigError(f"region {region!r}: {RETIRED[key]}")
    try:
        return CLOUDS[key]
    except KeyError:
        raise ConfigError(f"unknown region {region!r} (known: {', '.join(CLOUDS)})") from None


def graph_base(region: str = "global", override: str | None = None) -> str:
    """The Graph base URL with ``/v1.0``: an explicit override wins over the region."""
    if override:
        base = override.rstrip("/")
        return base if base.endswith("/v1.0") else base + "/v1.0"
    return cloud(region).graph + "/v1.0"


def authority_url(
    region: str = "global", tenant: str = "common", override: str | None = None
) -> str:
    """The msal authority: ``{login}/{tenant}``, or an explicit override as given."""
    if override:
        return override.rstrip("/")
    return f"{cloud(region).login}/{tenant or 'common'}"
