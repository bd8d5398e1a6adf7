"""Callback data of the checklist and task-board buttons: ``w|<op>|<plan id>|<page>|<key>|<done>``.

Work buttons have a prefix of their own, so they never meet the question buttons' ``1|...``
(see ``callback_data``). Every tap carries the plan id (a button of another chat's or an older
plan is refused by the service) and the page it was drawn on. Ticks carry the state wanted, so
the service's retries after a lost race, and double taps, are harmless. ``decode`` is strict:
anything that ``encode`` would not have produced gives ``None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.telegram.callback_data import INT, SMALL_INT, checked_size, fits
from flows import events as ev

PREFIX = "w"
MAX_KEY = 32  # item keys are at most 16 characters, task keys at most 24
PATTERN = rf"^{PREFIX}\|"  # what the CallbackQueryHandler listens to

_KEY = rf"[a-z][a-z0-9_]{{0,{MAX_KEY - 1}}}"
_DATA = re.compile(rf"{PREFIX}\|([a-z])\|({INT})\|({SMALL_INT})\|({_KEY})?\|([01])?", re.ASCII)


class Op(StrEnum):
    ITEM = "i"  # set a checklist item to ``done``
    LIST = "l"  # show a page of the checklist
    TASK = "t"  # set a task to ``done``
    CLAIM = "c"  # take a task ("I'll take it")
    BOARD = "b"  # show a page of the task board
    DUE = "d"  # show a task's due-date choices
    # Quick picks of a due date, and clearing it (issue 17).
    THIS_WEEK = "w"
    NEXT_WEEK = "n"
    TWO_WEEKS = "f"
    MONTH = "m"
    NO_DATE = "x"


# Op -> the ``flows.followup.QUICK_PICKS`` name it sets ("" clears the date).
PICKS = {
    Op.THIS_WEEK: "this_week",
    Op.NEXT_WEEK: "next_week",
    Op.TWO_WEEKS: "two_weeks",
    Op.MONTH: "month",
    Op.NO_DATE: "",
}


_KEYED = frozenset({Op.ITEM, Op.TASK, Op.CLAIM, Op.DUE, *PICKS})  # name an item or a task
_STATEFUL = frozenset({Op.ITEM, Op.TASK})  # carry the state wanted
_CHECKLIST_OPS = frozenset({Op.ITEM, Op.LIST})


@dataclass(frozen=True)
class WorkButton:
    """One work button: ``w|<op>|<plan id>|<page>|<key>|<done>`` (empty fields: none).

    ``w|i|12|0|know_partner|1`` ticks "know_partner" of plan 12 (drawn on page 0),
    ``w|l|12|1||`` shows page 1 of the checklist, ``w|c|12|0|event_venue|`` takes a task.
    """

    op: Op
    plan_id: int
    page: int = 0
    key: str | None = None
    done: bool | None = None

    def __post_init__(self) -> None:
        problem = _problem(self)
        if problem:
            raise ValueError(f"invalid work button {self!r}: {problem}")

    @property
    def checklist(self) -> bool:
        """Whether it belongs to the checklist (else to the task board)."""
        return self.op in _CHECKLIST_OPS


def _problem(button: WorkButton) -> str | None:
    if button.plan_id < 1 or not 0 <= button.page <= 999:
        return "plan id must be positive and the page 0-999"
    if (button.key is not None) != (button.op in _KEYED):
        return "key given where none belongs, or missing"
    if button.key is not None and not re.fullmatch(_KEY, button.key, re.ASCII):
        return "key must be a short lower-case identifier"
    if (button.done is not None) != (button.op in _STATEFUL):
        return "state given where none belongs, or missing"
    return None


def encode(button: WorkButton) -> str:
    done = "" if button.done is None else str(int(button.done))
    return checked_size(
        f"{PREFIX}|{button.op.value}|{button.plan_id}|{button.page}|{button.key or ''}|{done}"
    )


def decode(raw: object) -> WorkButton | None:
    """The button behind ``raw``, or None when it is not exactly what ``encode`` produces."""
    if not fits(raw):
        return None
    match = _DATA.fullmatch(raw)
    if match is None:
        return None
    op_code, plan_id, page, key, done = match.groups()
    try:
        return WorkButton(
            Op(op_code), int(plan_id), int(page), key, None if done is None else done == "1"
        )
    except ValueError:
        return None


def to_event(button: WorkButton) -> ev.Work:
    """The domain event a tap on this button stands for."""
    page = button.page
    match button.op:
        case Op.ITEM:
            assert button.key is not None and button.done is not None
            return ev.TickItem(button.key, button.done, page)
        case Op.LIST:
            return ev.ShowChecklist(page)
        case Op.TASK:
            assert button.key is not None and button.done is not None
            return ev.TickTask(button.key, button.done, page)
        case Op.CLAIM:
            assert button.key is not None
            return ev.ClaimTask(button.key, page)
        case Op.BOARD:
            return ev.ShowTasks(page)
        case Op.DUE:
            assert button.key is not None
            return ev.PickDue(button.key, page)
        case op if op in PICKS:
            assert button.key is not None
            return ev.SetDue(button.key, PICKS[op], page)
    raise AssertionError(f"unhandled op {button.op!r}")  # pragma: no cover
