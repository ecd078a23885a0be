"""Every keyed action in one table: the F1 help and the command palette are built from it.

Bindings live on the classes that handle them (MainScreen, Pane, FileList, TransferPanel,
the App); this module only lists them with the part of the UI that runs them, so nothing
can be left out of the palette by accident.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider

#: Where an action runs: the App, the MainScreen, the active Pane, its FileList, the transfer panel.
TARGETS = ("app", "screen", "pane", "list", "transfers")


@dataclass(frozen=True, slots=True)
class ActionInfo:
    section: str
    target: str
    binding: Binding

    @property
    def id(self) -> str:
        return self.binding.id or self.binding.action

    def keys(self, keymap: dict[str, str]) -> str:
        return keymap.get(self.id, self.binding.key)


def gather(groups: Iterable[tuple[str, str, Sequence[BindingType]]]) -> list[ActionInfo]:
    out = []
    for section, target, bindings in groups:
        for binding in bindings:
            if isinstance(binding, Binding) and binding.description:
                out.append(ActionInfo(section, target, binding))
    return out


def display_keys(keys: str) -> str:
    """``f5,ctrl+c`` → ``F5 / Ctrl+C`` (readable in help and palette)."""
    names = {
        "plus": "+",
        "minus": "-",
        "asterisk": "*",
        "full_stop": ".",
        "space": "Space",
        "question_mark": "?",
    }
    out = []
    for key in keys.split(","):
        parts = [names.get(p, p) for p in key.strip().split("+") if p] or ["+"]
        out.append("+".join(p if len(p) == 1 else p[:1].upper() + p[1:] for p in parts))
    return " / ".join(out)


class ActionProvider(Provider):
    """Command palette entries for every action the bindings table knows."""

    def _actions(self) -> list[ActionInfo]:
        return list(getattr(self.app, "actions", []))

    def _run(self, info: ActionInfo) -> None:
        runner = getattr(self.app, "run_keyed_action", None)
        if runner is not None:
            runner(info)

    def _help(self, info: ActionInfo) -> str:
        keymap: dict[str, str] = getattr(self.app, "keymap", {})
        return f"{info.section} · {display_keys(info.keys(keymap))}"

    async def discover(self) -> Hits:
        for info in self._actions():
            yield DiscoveryHit(
                info.binding.description,
                lambda info=info: self._run(info),
                help=self._help(info),
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for info in self._actions():
            text = info.binding.description
            score = matcher.match(f"{text} {info.section}")
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(text),
                    lambda info=info: self._run(info),
                    text=text,
                    help=self._help(info),
                )
