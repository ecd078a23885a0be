"""A local Microsoft Graph + Microsoft identity server for tests, benchmarks and demo mode.

``Emulator`` holds the state, ``create_app`` serves it as an ASGI app (in-process through
``httpx.ASGITransport``), ``start_server`` serves it over TLS on 127.0.0.1.
"""

from __future__ import annotations

from .app import create_app
from .clock import Clock
from .config import EmulatorConfig, Flavour
from .emulator import Emulator
from .faults import ConnectionDropped, Faults, RequestLog, RequestRecord
from .server import RunningServer, start_server

__all__ = [
    "Clock",
    "ConnectionDropped",
    "Emulator",
    "EmulatorConfig",
    "Faults",
    "Flavour",
    "RequestLog",
    "RequestRecord",
    "RunningServer",
    "create_app",
    "start_server",
]
