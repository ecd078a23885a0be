"""Demo mode: a seeded Graph emulator on a free loopback port and a ``demo`` remote for it.

Everything lives under ``data_dir()/demo``: the drive (kept between runs; ``reset`` starts
over), the emulator's throwaway CA, and a private ``config.toml`` holding only the demo
remote. The user's real configuration and remotes are never read or written, and the
demo's tokens stay in memory, so each start goes through the real device-code sign-in
(which the emulator approves by itself after a few seconds).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from core.config import Config, RemoteConfig, load_config
from core.dirs import data_dir, private_dir
from core.emulator import Emulator, EmulatorConfig, start_server
from core.emulator.server import RunningServer

REMOTE = "demo"
#: Any well-formed id works with the emulator; this one spells out what it is.
CLIENT_ID = "00000000-0000-0000-0000-00000000de70"
#: Seconds before the emulator approves the demo's device code by itself.
AUTO_APPROVE_AFTER = 4.0


def demo_dir() -> Path:
    return data_dir() / "demo"


@dataclass
class DemoSession:
    """A running demo: stop it when the app exits."""

    server: RunningServer
    emulator: Emulator
    config: Config
    folder: Path
    remote: RemoteConfig = field(init=False)

    def __post_init__(self) -> None:
        self.remote = self.config.remote(REMOTE)

    def stop(self) -> None:
        self.server.stop()
        self.emulator.close()


def start_demo(
    *, reset: bool = False, auto_approve_after: float | None = AUTO_APPROVE_AFTER
) -> DemoSession:
    """Start (or continue) the demo drive and return its session."""
    folder = demo_dir()
    if reset and folder.exists():
        shutil.rmtree(folder)
    private_dir(folder)
    drive_dir = folder / "drive"
    seeded = drive_dir.exists() and any(drive_dir.iterdir())
    emulator = Emulator(
        EmulatorConfig(
            flavour="business",
            state_dir=drive_dir,
            seed="empty" if seeded else "demo",
            device_code_interval=1,
            auto_approve_after=auto_approve_after,
        )
    )
    try:
        server = start_server(emulator, "127.0.0.1", 0)
    except BaseException:
        emulator.close()
        raise
    config = load_config(folder / "config.toml")
    config.set_remote(
        RemoteConfig(
            REMOTE,
            "onedrive",
            {
                "client_id": CLIENT_ID,
                "tenant": "common",
                "authority": server.authority,
                "graph_url": server.graph_url,
                "ca_bundle": str(server.ca_bundle),
                "drive_id": emulator.drive_id,
                "drive_type": "business",
            },
        )
    )
    config.save()
    return DemoSession(server, emulator, config, folder)
