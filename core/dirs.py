"""Where skypane keeps its files: platform directories, overridable by environment variables."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "skypane"


def _dir(env: str, default: str) -> Path:
    value = os.environ.get(env)
    return Path(value) if value else Path(default)


def config_dir() -> Path:
    """Folder of ``config.toml`` (``SKYPANE_CONFIG_DIR`` overrides)."""
    return _dir("SKYPANE_CONFIG_DIR", platformdirs.user_config_dir(APP))


def data_dir() -> Path:
    """Folder for long-lived data: the token file fallback, the demo drive (``SKYPANE_DATA_DIR``)."""
    return _dir("SKYPANE_DATA_DIR", platformdirs.user_data_dir(APP))


def state_dir() -> Path:
    """Folder for the transfer journal and logs (``SKYPANE_STATE_DIR``)."""
    return _dir("SKYPANE_STATE_DIR", platformdirs.user_state_dir(APP))


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) readable by the owner only, and return it."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path
