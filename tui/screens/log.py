"""The error log: every error shown as a notification, with its details, newest last."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, RichLog

from core.errors import SkypaneError
from core.names import display


@dataclass(frozen=True, slots=True)
class ErrorRecord:
    when: datetime
    summary: str
    message: str
    detail: str

    @classmethod
    def from_exception(cls, when: datetime, summary: str, error: BaseException) -> ErrorRecord:
        if isinstance(error, SkypaneError):
            detail = "\n".join(
                part
                for part in (
                    f"type: {type(error).__name__}",
                    f"path: {error.path}" if error.path else "",
                    f"detail: {error.detail}" if error.detail else "",
                )
                if part
            )
        else:
            # Not one of ours: a bug; the traceback is what a report needs.
            detail = "".join(traceback.format_exception(error)).rstrip()
        # Messages carry names from disks and servers: shown escaped, line by line.
        return cls(
            when,
            display(summary),
            display(str(error) or type(error).__name__),
            "\n".join(display(line) for line in detail.splitlines()),
        )


def report_error(app: App[object], summary: str, error: BaseException) -> ErrorRecord:
    """Notify the user and keep the details for the log screen (the app's ``error_log``)."""
    clock = getattr(app, "clock", None)
    when = clock() if callable(clock) else datetime.now(UTC)
    record = ErrorRecord.from_exception(when, summary, error)
    log = getattr(app, "error_log", None)
    if isinstance(log, list):
        log.append(record)
    app.notify(record.message, title=record.summary, severity="error", timeout=8, markup=False)
    return record


class LogScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,f10,ctrl+e", "close", "Close", id="log-close")
    ]

    def __init__(self, records: list[ErrorRecord]) -> None:
        super().__init__(classes="full")
        self._records = records

    def compose(self) -> ComposeResult:
        yield Label(f" Errors ({len(self._records)})", id="screen-title")
        yield RichLog(id="log-text", wrap=True, markup=False, highlight=False)
        yield Footer()

    def on_mount(self) -> None:
        log = self.query_one(RichLog)
        if not self._records:
            log.write("No errors so far.")
        for record in self._records:
            log.write(f"{record.when:%H:%M:%S}  {record.summary}")
            log.write(f"    {record.message}")
            for line in record.detail.splitlines():
                log.write(f"    {line}")
            log.write("")
        log.focus()

    def action_close(self) -> None:
        self.dismiss(None)
