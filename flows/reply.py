"""What the service answers: transport-neutral, already in the member's language."""

from __future__ import annotations

from dataclasses import dataclass, field

# Reply kinds. A transport picks its layout by kind; it never writes domain text itself.
QUESTION = "question"  # a question to answer (with options unless it is a text question)
REVIEW = "review"  # all answers, with Finish and Edit actions
RESULT = "result"  # the recommendation and the task split
CHECKLIST = "checklist"  # a page of checklist items to tick
BOARD = "board"  # a page of the task board: tick done, claim ours
INFO = "info"  # a summary or a notice; nothing to answer
INVALID = "invalid"  # bad input: nothing changed; says what is expected
STALE = "stale"  # a button of an earlier step: nothing changed
CONFLICT = "conflict"  # someone else answered first: nothing changed


@dataclass(frozen=True)
class Option:
    key: str
    label: str
    selected: bool = False


@dataclass(frozen=True)
class Reply:
    kind: str
    text: str
    question: str | None = None  # the key of the question shown, if any
    question_kind: str | None = None  # "choice" | "multi" | "scale" | "text"
    options: tuple[Option, ...] = ()
    progress: tuple[int, int] | None = None  # (part of the questionnaire, parts in all)
    part: str | None = None  # the key of that part ("partner"); its name is ``part.<key>``
    number: int | None = None  # the question's place in this plan: one more per answer
    skippable: bool = False
    can_go_back: bool = False
    plan_id: int | None = None
    version: int | None = None  # the plan version this reply was made from
    answered_by: str | None = None  # who gave the answer this reply confirms or reports
    answer_text: str | None = None  # the accepted answer, to show on the answered question
    previous_question: str | None = None  # the question the accepted answer was for
    changed: bool = False  # True when the event changed stored state
    notes: tuple[str, ...] = field(default=())  # extra lines (e.g. warnings)
    page: tuple[int, int] | None = None  # (page shown, counting from 0; pages in all)
    # The same message for a transport without buttons (the console): no word of tapping.
    plain_text: str | None = None
    # In a group: who answered the step before and how ("Group: 3 (median of …) — closed by
    # Đorđe"). Shown on top of every drawing of this step, so no redraw loses it.
    header: str | None = None
    # In a group, a scale whose votes lie far apart: the middle value the group may use
    # (the transport offers "Use 3" and "Vote again" instead of the scale).
    spread: int | None = None
    # RESULT: the full reasoning, shown on request (the first message stays short).
    details: str | None = None
    language: str = ""  # the language the text is in (the plan's, or the member's)
