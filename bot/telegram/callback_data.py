"""Compact, versioned callback data for inline buttons.

Telegram gives a button at most 64 bytes of callback data, and hands back whatever a client
sends, so the data is both small and treated as untrusted input. The format is::

    1|<plan_id>|<version>|<action>|<question index>|<option index>

``1`` is the format version (bump it to change the layout; old buttons then fail to parse and
are refused like any other stale button). Questions and options are referred to by their
position in ``flows.questionnaire.QUESTIONS`` to keep the data short; empty fields mean "none".
``decode`` is strict: anything that ``encode`` would not have produced gives ``None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import TypeGuard

from flows.events import Answer, Back, Done, Edit, Event, Finish, Revote, Skip, Start, Toggle
from flows.questionnaire import (
    CHOICE,
    MULTI,
    QUESTIONS,
    SCALE,
    by_key,
    is_question,
    question_index,
)

FORMAT = "1"
MAX_BYTES = 64  # Telegram's limit for callback_data

# Canonical non-negative integers only (no sign, no leading zeros), bounded in length so a
# forged button cannot smuggle a huge number into the service.
INT = r"0|[1-9][0-9]{0,17}"
SMALL_INT = r"0|[1-9][0-9]{0,2}"  # 0-999
_PATTERN = re.compile(
    rf"{FORMAT}\|({INT})\|({INT})\|([a-z])\|({SMALL_INT})?\|({SMALL_INT})?",
    re.ASCII,
)


def checked_size(raw: str) -> str:
    """``raw``, checked against Telegram's limit: encoders build only data that fits."""
    if len(raw.encode()) > MAX_BYTES:  # cannot happen with the bounded fields; be certain
        raise ValueError(f"callback data longer than {MAX_BYTES} bytes: {raw!r}")
    return raw


def fits(raw: object) -> TypeGuard[str]:
    """Whether ``raw`` can be callback data at all: a string within Telegram's limit."""
    return isinstance(raw, str) and len(raw.encode("utf-8", "replace")) <= MAX_BYTES


class Action(StrEnum):
    ANSWER = "a"  # choice or scale: pick one option
    TOGGLE = "t"  # multi: tick or untick one option
    DONE = "d"  # multi: apply the ticked options
    BACK = "b"
    SKIP = "s"
    EDIT = "e"  # review: change one answer
    FINISH = "f"  # review: accept and show the result
    USE = "u"  # group scale with votes far apart: use the middle value (the option)
    REVOTE = "r"  # group scale with votes far apart: clear the votes and vote again
    PICK = "p"  # review: show a page of the "change an answer" picker (page in the option field)


# Which question kinds each action applies to, and whether it names a question / an option.
_QUESTION_KINDS: dict[Action, frozenset[str]] = {
    Action.ANSWER: frozenset({CHOICE, SCALE}),
    Action.TOGGLE: frozenset({MULTI}),
    Action.DONE: frozenset({MULTI, SCALE}),
    Action.USE: frozenset({SCALE}),
    Action.REVOTE: frozenset({SCALE}),
}
_NEEDS_QUESTION = frozenset(
    {Action.ANSWER, Action.TOGGLE, Action.DONE, Action.SKIP, Action.EDIT, Action.USE, Action.REVOTE}
)
_MAY_NAME_QUESTION = _NEEDS_QUESTION | {Action.BACK}
_NEEDS_OPTION = frozenset({Action.ANSWER, Action.TOGGLE, Action.USE})
MAX_PAGE = 99


@dataclass(frozen=True)
class ButtonData:
    """What one button means: an action on a plan, as the plan was when it was shown."""

    plan_id: int
    version: int
    action: Action
    question: str | None = None  # question key
    option: str | None = None  # option key of ``question``
    page: int = 0  # PICK only: the page of the picker

    def __post_init__(self) -> None:
        # Refuse to build a button that decode() would reject: encode/decode stay inverse.
        problem = _problem(self)
        if problem:
            raise ValueError(f"invalid button {self!r}: {problem}")


def _problem(data: ButtonData) -> str | None:
    if data.plan_id < 1 or data.version < 0:
        return "plan id must be positive and version non-negative"
    if data.action == Action.PICK:
        if data.question is not None or data.option is not None:
            return "the picker takes no question or option"
        return None if 0 <= data.page <= MAX_PAGE else "page out of range"
    if data.page:
        return "only the picker has pages"
    if data.question is None:
        if data.action in _NEEDS_QUESTION:
            return "action needs a question"
        return "an option needs a question" if data.option is not None else None
    if data.action not in _MAY_NAME_QUESTION:
        return "action takes no question"
    if not is_question(data.question):
        return "unknown question"
    question = by_key(data.question)
    kinds = _QUESTION_KINDS.get(data.action)
    if kinds is not None and question.kind not in kinds:
        return f"action does not apply to a {question.kind} question"
    if data.option is None:
        return "action needs an option" if data.action in _NEEDS_OPTION else None
    if data.action not in _NEEDS_OPTION:
        return "action takes no option"
    if data.option not in question.options:
        return "unknown option"
    return None


def encode(data: ButtonData) -> str:
    return encode_button(
        data.plan_id, data.version, data.action, data.question, data.option, data.page
    )


def encode_button(
    plan_id: int,
    version: int,
    action: Action,
    question: str | None = None,
    option: str | None = None,
    page: int = 0,
) -> str:
    """``encode(ButtonData(...))`` for a keyboard's buttons: the same data and the same
    checks, but what names the action, question and option is checked once, not per button
    of every reply."""
    if plan_id < 1 or version < 0:
        ButtonData(plan_id, version, action, question, option, page)  # raises, saying why
    return checked_size(f"{FORMAT}|{plan_id}|{version}|{_tail(action, question, option, page)}")


@lru_cache(maxsize=4096)
def _tail(action: Action, question: str | None, option: str | None, page: int) -> str:
    """``<action>|<question index>|<option index>``, once the button is known to be valid."""
    ButtonData(1, 0, action, question, option, page)  # raises ValueError for an invalid one
    q_index = "" if question is None else str(question_index(question))
    o_index = str(page) if action == Action.PICK else ""
    if option is not None and question is not None:
        o_index = str(by_key(question).options.index(option))
    return f"{action.value}|{q_index}|{o_index}"


def decode(raw: object) -> ButtonData | None:
    """The button behind ``raw``, or None when it is not exactly what ``encode`` produces."""
    if not fits(raw):
        return None
    match = _PATTERN.fullmatch(raw)
    if match is None:
        return None
    plan_id, version, action_code, q_index, o_index = match.groups()
    try:
        action = Action(action_code)
    except ValueError:
        return None
    question: str | None = None
    option: str | None = None
    if action == Action.PICK:
        if q_index is not None or o_index is None:
            return None
        try:
            return ButtonData(int(plan_id), int(version), action, page=int(o_index))
        except ValueError:
            return None
    if q_index is not None:
        index = int(q_index)
        if index >= len(QUESTIONS):
            return None
        question = QUESTIONS[index].key
    if o_index is not None:
        if question is None:
            return None
        options = by_key(question).options
        index = int(o_index)
        if index >= len(options):
            return None
        option = options[index]
    try:
        return ButtonData(int(plan_id), int(version), action, question, option)
    except ValueError:
        return None


def to_event(data: ButtonData) -> Event:
    """The domain event a tap on this button stands for."""
    match data.action:
        case Action.ANSWER:
            assert data.question is not None and data.option is not None
            if by_key(data.question).kind == SCALE:
                return Answer(data.question, int(data.option))  # the service wants 1..5
            return Answer(data.question, data.option)
        case Action.TOGGLE:
            assert data.question is not None and data.option is not None
            return Toggle(data.question, data.option)
        case Action.DONE:
            assert data.question is not None
            return Done(data.question)
        case Action.BACK:
            return Back(data.question)
        case Action.SKIP:
            return Skip(data.question)
        case Action.EDIT:
            assert data.question is not None
            return Edit(data.question)
        case Action.FINISH:
            return Finish()
        case Action.USE:
            assert data.question is not None and data.option is not None
            return Done(data.question, use=int(data.option))
        case Action.REVOTE:
            assert data.question is not None
            return Revote(data.question)
        case Action.PICK:
            return Start()  # only shows where the plan stands; the picker is drawn from it
    raise AssertionError(f"unhandled action {data.action!r}")  # pragma: no cover


# --- the /forget confirmation ----------------------------------------------------------------
#
#     f|<issued at, Unix seconds>|<y or n>
#
# Not tied to a plan (forgetting deletes every plan), so it has a format of its own that
# ``decode`` refuses. The time lets an old confirmation expire instead of deleting everything
# when someone taps it weeks later.

_FORGET_PATTERN = re.compile(r"f\|(0|[1-9][0-9]{0,11})\|([yn])", re.ASCII)


@dataclass(frozen=True)
class ForgetData:
    confirm: bool  # True: "Delete everything"; False: "Keep"
    issued: int  # when the question was asked, Unix seconds


def encode_forget(data: ForgetData) -> str:
    if not 0 <= data.issued < 10**12:
        raise ValueError(f"invalid issue time {data.issued!r}")
    return f"f|{data.issued}|{'y' if data.confirm else 'n'}"


def decode_forget(raw: object) -> ForgetData | None:
    """The confirmation button behind ``raw``, or None when it is not one."""
    return _decode_confirmation(_FORGET_PATTERN, raw)


def _decode_confirmation(pattern: re.Pattern[str], raw: object) -> ForgetData | None:
    if not fits(raw):
        return None
    match = pattern.fullmatch(raw)
    if match is None:
        return None
    return ForgetData(confirm=match.group(2) == "y", issued=int(match.group(1)))


# --- the /restart confirmation and the buttons under a result --------------------------------
#
#     x|<issued at, Unix seconds>|<y or n>          /restart: start a new plan, or keep going
#     r|<plan id>|<c, t, a or w>                    Checklist, Tasks, Agreement, Why this?

_RESTART_PATTERN = re.compile(r"x\|(0|[1-9][0-9]{0,11})\|([yn])", re.ASCII)
_RESULT_PATTERN = re.compile(rf"r\|({INT})\|([ctawi])", re.ASCII)
RESULT_ACTIONS = {"c": "checklist", "t": "tasks", "a": "agreement", "w": "why", "i": "invite"}


def encode_restart(data: ForgetData) -> str:
    return "x" + encode_forget(data)[1:]


def decode_restart(raw: object) -> ForgetData | None:
    """The /restart confirmation button behind ``raw``, or None when it is not one."""
    return _decode_confirmation(_RESTART_PATTERN, raw)


@dataclass(frozen=True)
class ResultButton:
    plan_id: int
    what: str  # "checklist" | "tasks" | "agreement" | "why" | "invite"


def encode_result(data: ResultButton) -> str:
    code = next(c for c, what in RESULT_ACTIONS.items() if what == data.what)
    return checked_size(f"r|{data.plan_id}|{code}")


def decode_result(raw: object) -> ResultButton | None:
    if not fits(raw):
        return None
    match = _RESULT_PATTERN.fullmatch(raw)
    if match is None or int(match.group(1)) < 1:
        return None
    return ResultButton(int(match.group(1)), RESULT_ACTIONS[match.group(2)])


# [Join] / [No, thanks] under an opened invite: the code rides along (at most 64 - 4 bytes).
_INVITE_PATTERN = re.compile(r"i\|([jd])\|([A-Za-z0-9_-]{1,60})", re.ASCII)


@dataclass(frozen=True)
class InviteAnswer:
    join: bool
    code: str


def encode_invite(data: InviteAnswer) -> str:
    return checked_size(f"i|{'j' if data.join else 'd'}|{data.code}")


def decode_invite(raw: object) -> InviteAnswer | None:
    if not fits(raw):
        return None
    match = _INVITE_PATTERN.fullmatch(raw)
    if match is None:
        return None
    return InviteAnswer(match.group(1) == "j", match.group(2))
