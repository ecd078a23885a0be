"""OneDrive / SharePoint through Microsoft Graph."""

from __future__ import annotations

import sys
import types

# httpx's __init__ imports its own command-line tool, which loads click, rich and pygments
# whenever they are installed: about a third of a second of start-up (and CPU) for every
# skypane process that talks to OneDrive. skypane never runs that tool, so unless httpx is
# already loaded it gets a stand-in (httpx only needs a ``main`` from it).
if "httpx" not in sys.modules and "httpx._main" not in sys.modules:

    def _no_cli() -> None:
        raise SystemExit("httpx's command-line tool is not available inside skypane")

    _cli = types.ModuleType("httpx._main", "Stand-in for httpx's command-line tool.")
    _cli.main = _no_cli  # type: ignore[attr-defined]
    sys.modules["httpx._main"] = _cli
