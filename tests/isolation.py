"""One private HOME for a test, a benchmark or a screenshot run: every XDG and skypane folder
inside it and a keyring that holds nothing, so nothing of the user's is read or written."""

from __future__ import annotations

from pathlib import Path

#: Variable → folder below the private home ("" is the home itself).
FOLDERS = (
    ("HOME", ""),
    ("XDG_CONFIG_HOME", ".config"),
    ("XDG_DATA_HOME", ".local/share"),
    ("XDG_STATE_HOME", ".local/state"),
    ("XDG_CACHE_HOME", ".cache"),
    ("SKYPANE_CONFIG_DIR", "skypane-config"),
    ("SKYPANE_DATA_DIR", "skypane-data"),
    ("SKYPANE_STATE_DIR", "skypane-state"),
)


def private_home(home: Path) -> dict[str, str]:
    """Create the folders under ``home``; the environment variables that point at them."""
    env: dict[str, str] = {}
    for var, sub in FOLDERS:
        target = home / sub if sub else home
        target.mkdir(parents=True, exist_ok=True)
        env[var] = str(target)
    # Never the user's keyring; tests that need one install their own.
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    return env
