"""OptionForm: a form generated from a backend's declared options (``core.backend.Option``).

One row per option: a text box (str, path, int), a checkbox (bool) or a drop-down (choice),
labelled with the option's help. Advanced options stay hidden until ``show_advanced``.
``values()`` returns typed values and names the option when one cannot be read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select

from core.backend import Option
from core.errors import ConfigError

#: A check of one option's text: returns the cleaned value or raises ``ConfigError``.
Check = Callable[[str], Any]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


class OptionForm(Vertical):
    """The rows for ``options`` with ``values`` (else the defaults) filled in."""

    DEFAULT_CSS = """
    OptionForm { height: auto; }
    OptionForm .option-row { height: auto; margin-bottom: 1; }
    OptionForm .option-row > .option-name { width: 26; text-style: bold; }
    OptionForm .option-row > Vertical { width: 1fr; height: auto; }
    OptionForm .option-row Input, OptionForm .option-row Select { width: 1fr; }
    OptionForm .option-row Input { background: $boost; }
    OptionForm .option-row .option-help { color: $text-muted; width: 100%; }
    OptionForm .-advanced { display: none; }
    OptionForm.-show-advanced .-advanced { display: block; }
    """

    def __init__(
        self,
        options: Iterable[Option],
        values: Mapping[str, Any] | None = None,
        *,
        checks: Mapping[str, Check] | None = None,
        autofocus: bool = False,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.autofocus = autofocus
        self.options = tuple(options)
        self.initial = dict(values or {})
        self.checks = dict(checks or {})

    def _value(self, option: Option) -> Any:
        return self.initial.get(option.name, option.default)

    def _field(self, option: Option) -> Widget:
        fid = f"opt-{option.name}"
        value = self._value(option)
        if option.kind == "bool":
            return Checkbox(option.help, bool(value), id=fid, compact=True)
        if option.kind == "choice":
            choices = [(c, c) for c in option.choices]
            current = value if value in option.choices else Select.NULL
            return Select(
                choices, value=current, allow_blank=not option.required, id=fid, compact=True
            )
        offered = list(option.suggestions()) if option.suggestions is not None else []
        return Input(
            _text(value),
            placeholder=_text(option.default)
            or (f"e.g. {', '.join(offered[:3])}" if offered else "")
            or ("required" if option.required else ""),
            suggester=SuggestFromList(offered, case_sensitive=False) if offered else None,
            password=option.secret,
            type="integer" if option.kind == "int" else "text",
            id=fid,
            compact=True,
        )

    def compose(self) -> ComposeResult:
        for option in self.options:
            classes = "option-row" + (" -advanced" if option.advanced else "")
            with Horizontal(classes=classes, id=f"row-{option.name}"):
                label = option.name.replace("_", " ") + (" *" if option.required else "")
                yield Label(label, classes="option-name")
                with Vertical():
                    yield self._field(option)
                    if option.kind != "bool":
                        yield Label(option.help, classes="option-help")

    def on_mount(self) -> None:
        if self.autofocus:
            self.call_after_refresh(self.focus_first)

    def focus_first(self) -> None:
        """Focus the first field that can take input."""
        for widget in self.query("Input, Select, Checkbox"):
            if widget.focusable:
                widget.focus()
                return

    def show_advanced(self, show: bool) -> None:
        self.set_class(show, "-show-advanced")

    def field(self, name: str) -> Widget:
        return self.query_one(f"#opt-{name}")

    def values(self) -> dict[str, Any]:
        """Typed values of every option; ``None`` for an empty text box.

        Raises ``ConfigError`` naming the first option that is missing or wrong.
        """
        out: dict[str, Any] = {}
        for option in self.options:
            widget = self.field(option.name)
            value: Any
            if isinstance(widget, Checkbox):
                value = widget.value
            elif isinstance(widget, Select):
                value = None if widget.value is Select.NULL else widget.value
            else:
                assert isinstance(widget, Input)
                text = widget.value.strip()
                value = text or None
                if value is not None and option.kind == "int":
                    try:
                        value = int(text)
                    except ValueError:
                        raise ConfigError(f"{option.name}: expected a whole number") from None
                if value is not None and option.name in self.checks:
                    value = self.checks[option.name](text)
            if value is None and option.required:
                raise ConfigError(f"{option.name}: required ({option.help})")
            out[option.name] = value
        return out
