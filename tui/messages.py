"""Messages that arrive in bursts, as dataclasses that merge in Textual's queue.

A transfer reports progress many times a second per job and a held arrow key moves the cursor
as fast as the terminal repeats it; only the newest of each matters. Textual's message loop asks
the message it is about to handle whether the next one waiting in the queue may replace it
(``Message.can_replace``); these say yes to a newer message about the same job or the same list,
so a burst collapses to its last message instead of backing up the queue behind a slow frame.

Only messages that carry a whole state (a snapshot, the entry now under the cursor) merge; a
message that reports an event (a job done, a drop) never does.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message
from textual.widget import Widget

from core.model import Entry
from core.transfer import Job, ProgressSnapshot


@dataclass(eq=False)
class TransferProgress(Message):
    """The newest state of ``job``; a newer one for the same job replaces it in the queue."""

    job: Job
    snapshot: ProgressSnapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, TransferProgress) and message.job.id == self.job.id


@dataclass(eq=False)
class TransferDone(Message):
    """``job`` ended (done, failed or cancelled): told once, never merged."""

    job: Job


@dataclass(eq=False)
class CursorMoved(Message, namespace="file_list"):
    """The cursor of ``file_list`` is now on ``entry``; a newer move of the same list replaces
    it. (``FileList.CursorMoved``; the namespace keeps its handler name ``on_file_list_cursor_moved``.)"""

    file_list: Widget
    entry: Entry | None

    @property
    def control(self) -> Widget:
        return self.file_list

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, CursorMoved) and message.file_list is self.file_list
