"""What a member can do. Transports turn taps, commands and typed lines into these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Start:
    """Open the conversation: resume the open plan at its question, or begin a new one."""


@dataclass(frozen=True)
class Answer:
    """A value for ``question``: an option key, a list of option keys, an int 1-5, or text.

    ``question`` is the question the member saw; when it is no longer the current one the
    answer is stale and changes nothing.
    """

    question: str
    value: Any


@dataclass(frozen=True)
class Text:
    """A typed line for the current question: a number, an option label, a list, or text.

    ``question`` is the question the line answers when the transport knows it (e.g. a reply
    to that question's message in a group); when it is no longer the current one the line is
    stale and changes nothing, so it is never taken as the answer to the next question.
    """

    text: str
    question: str | None = None


@dataclass(frozen=True)
class Toggle:
    """Tick or untick one option of a multi-select question."""

    question: str
    option: str


@dataclass(frozen=True)
class Done:
    """Apply the current selection of a multi-select question (or the votes of a scale).

    ``use`` answers the group's "Use 3 / Vote again" question after a wide spread of votes:
    the middle value the member agreed to. When the votes changed meanwhile, nothing is applied.
    """

    question: str
    use: int | None = None


@dataclass(frozen=True)
class Revote:
    """In a group, clear the votes on a scale question so that everyone votes again."""

    question: str


@dataclass(frozen=True)
class Back:
    """Go to the previous question; ``question`` is where the member tapped Back, if known."""

    question: str | None = None


@dataclass(frozen=True)
class Skip:
    question: str | None = None


@dataclass(frozen=True)
class Edit:
    """From the review step: change the answer to ``question``."""

    question: str


@dataclass(frozen=True)
class Finish:
    """From the review step: accept the answers and get the recommendation."""


@dataclass(frozen=True)
class Restart:
    """Throw the current plan's answers away and begin again."""


@dataclass(frozen=True)
class SetLanguage:
    """The chat's language from now on (a member's choice; in a group, an administrator's)."""

    language: str


@dataclass(frozen=True)
class Summary:
    """Show the answers so far (or the result of a finished plan); changes nothing."""


@dataclass(frozen=True)
class ShowChecklist:
    page: int = 0


@dataclass(frozen=True)
class TickItem:
    """Set a checklist item to ``done`` (the state the member asked for, so repeats are safe)."""

    item: str
    done: bool
    page: int = 0


@dataclass(frozen=True)
class AddItem:
    text: str


@dataclass(frozen=True)
class ShowTasks:
    page: int = 0


@dataclass(frozen=True)
class ClaimTask:
    """A member of our side takes a task ("I'll take it")."""

    task: str
    page: int = 0


@dataclass(frozen=True)
class TickTask:
    task: str
    done: bool
    page: int = 0


@dataclass(frozen=True)
class PickDue:
    """Show the due-date choices of a task (the quick picks, and how to type a date)."""

    task: str
    page: int = 0


@dataclass(frozen=True)
class SetDue:
    """Give a task a due day: a quick pick (``flows.followup.QUICK_PICKS``), a typed date
    (``24.12.``, ``24.12.2026``, ``2026-12-24``), or "" to clear it."""

    task: str
    when: str
    page: int = 0


@dataclass(frozen=True)
class SnoozeTask:
    """Move a task's due day a week later (a reminder's "Snooze a week")."""

    task: str


@dataclass(frozen=True)
class FreeTask:
    """The member who took a task cannot do it: the task is free again (a reminder's button)."""

    task: str


@dataclass(frozen=True)
class Setup:
    """Set who the parties are: ``field`` is "name" (our organisation), "partner" (the
    partner organisation) or "contact" (the sender's own contact line); None shows the
    current values. A value of "-" clears the field."""

    field: str | None = None
    value: str = ""


Conversation = (
    Start
    | Answer
    | Text
    | Toggle
    | Done
    | Revote
    | Back
    | Skip
    | Edit
    | Finish
    | Restart
    | Summary
    | SetLanguage
)
Work = (
    ShowChecklist
    | TickItem
    | AddItem
    | ShowTasks
    | ClaimTask
    | TickTask
    | PickDue
    | SetDue
    | SnoozeTask
    | FreeTask
)
Event = Conversation | Work | Setup
