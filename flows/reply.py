"""What the service answers: transport-neutral, already in the member's language."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

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
INVITE = "invite"  # an invite opened by the partner: who invites, for what; join or decline


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
    # A new invite's code (shown once: only its hash is stored); the transport makes the link.
    invite_code: str | None = None
    # RESULT of a plan whose partner has not joined: the transport offers [Invite the partner].
    can_invite: bool = False


_REPLY_FIELDS = frozenset(f.name for f in fields(Reply))


def revised(reply: Reply, **changes: Any) -> Reply:
    """``dataclasses.replace(reply, **changes)``, at a seventh of its cost: the service marks
    every event's reply (its language, the version just written), and ``replace`` walks all
    of a Reply's 25 fields and runs its frozen ``__init__``. A Reply has no ``__post_init__``
    and no field outside ``__init__``, so copying its fields is the same."""
    if type(reply) is not Reply:  # a subclass may have more to it
        return replace(reply, **changes)
    unknown = changes.keys() - _REPLY_FIELDS
    if unknown:
        raise TypeError(f"Reply has no field {', '.join(sorted(unknown))}")
    new = object.__new__(Reply)
    new.__dict__.update(reply.__dict__, **changes)
    return new
