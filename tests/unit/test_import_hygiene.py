"""core must stay free of UI code: importing all of it must not load textual, rich or tui."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import importlib, pkgutil, sys
import core
for mod in pkgutil.walk_packages(core.__path__, "core."):
    importlib.import_module(mod.name)
bad = {m for m in sys.modules if m.split(".")[0] in {"textual", "rich", "tui"}}
# httpx imports its own command-line module, which pulls in rich when it is installed:
# that is httpx's doing, not ours, so rich is tolerated only when httpx._main is loaded.
if "httpx._main" in sys.modules:
    bad = {m for m in bad if m.split(".")[0] != "rich"}
print(",".join(sorted(bad)))
"""


def test_core_imports_no_ui_modules() -> None:
    out = subprocess.run(
        [sys.executable, "-c", CODE], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "", f"core pulled in UI modules: {out.stdout}"


def test_headless_cli_does_not_import_textual() -> None:
    code = "import sys; from tui.cli import build_parser; build_parser(); print('textual' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "False"


UI_CODE = """
import importlib, pkgutil, sys
import tui
for mod in pkgutil.walk_packages(tui.__path__, "tui."):
    if mod.name != "tui.__main__":
        importlib.import_module(mod.name)
print(",".join(sorted(m for m in sys.modules if m.startswith(("core.backends.onedrive", "core.backends.sftp")))))
"""


def test_the_ui_loads_no_cloud_backend_by_importing() -> None:
    """tui knows backends only through core.registry: importing every UI module loads none
    of them (import-linter's contract checks the imports written; this checks what runs)."""
    out = subprocess.run(
        [sys.executable, "-c", UI_CODE], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "", f"the UI loaded backend modules: {out.stdout}"
