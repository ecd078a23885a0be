"""The command line's conflict question: answers, "all" in capitals, the keep-both name, and
end of input (Ctrl-D) stopping the job instead of asking forever."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from core.model import Entry
from core.transfer import ConflictAction, ConflictQuestion
from tui.cli.transfer import _prompt

WHEN = datetime(2025, 1, 1, tzinfo=UTC)


def question() -> ConflictQuestion:
    return ConflictQuestion(
        job_id="j",
        source=Entry("a.txt", "/src/a.txt", False, size=10, modified=WHEN),
        existing=Entry("a.txt", "/dst/a.txt", False, size=3, modified=WHEN),
        dest_path="/dst/a.txt",
        renamed_path="/dst/a (1).txt",
    )


def ask(monkeypatch: pytest.MonkeyPatch, typed: str) -> tuple[ConflictAction, bool, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(typed))
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    decision = _prompt(question())
    return decision.action, decision.apply_to_all, err.getvalue()


def test_a_capital_letter_answers_for_the_rest_of_the_job(monkeypatch: pytest.MonkeyPatch) -> None:
    action, to_all, shown = ask(monkeypatch, "R\n")
    assert (action, to_all) == (ConflictAction.RENAME, True)
    assert "[r]ename writes /dst/a (1).txt" in shown


def test_empty_and_unknown_answers_ask_again(monkeypatch: pytest.MonkeyPatch) -> None:
    action, to_all, shown = ask(monkeypatch, "\nx\ns\n")
    assert (action, to_all) == (ConflictAction.SKIP, False)
    assert shown.count("[o]verwrite") == 3


def test_end_of_input_cancels_instead_of_asking_forever(monkeypatch: pytest.MonkeyPatch) -> None:
    action, _, _ = ask(monkeypatch, "")
    assert action is ConflictAction.CANCEL
