"""The options a OneDrive remote declares; the config wizard and ``skypane login`` use these."""

from __future__ import annotations

from core.backend import Option
from core.backends.onedrive.auth_config import (
    CLIENT_ID_ENV,
    REGISTRATION_GUIDE,
    validate_client_id,
    validate_tenant,
)

CHUNK_UNIT = 320 * 1024

OPTIONS: tuple[Option, ...] = (
    Option(
        "client_id",
        "Application (client) id of your own app registration",
        required=True,
        check=validate_client_id,
        guide=REGISTRATION_GUIDE,
        env=CLIENT_ID_ENV,
    ),
    Option(
        "tenant",
        "Tenant: common, organizations, consumers, or a tenant id/domain",
        "common",
        check=validate_tenant,
    ),
    Option(
        "region", "National cloud", "global", kind="choice", choices=("global", "us", "dod", "cn")
    ),
    Option("drive_id", "Drive id (chosen after sign-in)", filled_by_setup=True),
    Option(
        "drive_type",
        "Drive type",
        kind="choice",
        choices=("personal", "business", "documentLibrary"),
        filled_by_setup=True,
    ),
    Option(
        "account", "Signed-in account (filled in by sign-in)", advanced=True, filled_by_setup=True
    ),
    Option("read_only", "Ask only for read permissions", False, kind="bool", advanced=True),
    Option(
        "disable_site_permission",
        "Do not ask for Sites.Read.All",
        False,
        kind="bool",
        advanced=True,
    ),
    Option("graph_url", "Graph endpoint override (e.g. the emulator)", advanced=True),
    Option("authority", "Sign-in authority override (e.g. the emulator)", advanced=True),
    Option(
        "ca_bundle",
        "CA bundle (PEM) for TLS: corporate proxies, the emulator",
        kind="path",
        advanced=True,
    ),
    Option(
        "chunk_size",
        "Upload fragment size in bytes (multiple of 320 KiB)",
        10 * 1024 * 1024,
        kind="int",
        advanced=True,
    ),
    Option("list_chunk", "Entries per listing page (max 1000)", 1000, kind="int", advanced=True),
    Option(
        "expose_onenote_files",
        "Show OneNote notebooks in listings",
        False,
        kind="bool",
        advanced=True,
    ),
    Option(
        "no_versions",
        "Delete older versions after an overwrite (Business only)",
        False,
        kind="bool",
        advanced=True,
    ),
    Option(
        "hash_type",
        "Hash to verify with",
        "quickxor",
        kind="choice",
        choices=("quickxor", "sha1", "none"),
        advanced=True,
    ),
    Option("root_folder_id", "Start at this folder id instead of the drive root", advanced=True),
    Option(
        "encoding",
        "Map characters OneDrive refuses to look-alikes",
        True,
        kind="bool",
        advanced=True,
    ),
    Option("user_agent", "User-Agent header override", advanced=True),
    Option(
        "hard_delete",
        "Delete permanently instead of to the recycle bin",
        False,
        kind="bool",
        advanced=True,
    ),
    Option(
        "link_type",
        "Default share-link type",
        "view",
        kind="choice",
        choices=("view", "edit", "embed"),
        advanced=True,
    ),
    Option(
        "link_scope",
        "Default share-link scope",
        "anonymous",
        kind="choice",
        choices=("anonymous", "organization", "users"),
        advanced=True,
    ),
)
