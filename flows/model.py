"""Plain values passed between the domain, the store and the transports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

OPEN = "open"
DONE = "done"

# The three parties a task can belong to.
US = "us"
PARTNER = "partner"
TOGETHER = "together"


@dataclass(frozen=True)
class ChatRef:
    """Where a conversation happens: one chat is one association."""

    transport: str  # "telegram" | "console"
    chat_id: str
    kind: str = "private"  # "private" | "group"
    title: str = ""

    @property
    def is_group(self) -> bool:
        return self.kind == "group"


@dataclass(frozen=True)
class MemberRef:
    """Who sent an event."""

    user_id: str
    name: str
    is_admin: bool = False
    # The member's own language as the transport knows it (Telegram's language_code), if we
    # ship it. A chat's plan keeps its language; this one is for a new plan and for notices.
    language: str | None = None


@dataclass
class Plan:
    """One partnership plan of one association, as stored.

    ``answers`` maps question key to the current value (option key, list of option keys,
    int 1-5, or text). ``meta`` holds the rest of the conversation state that must survive a
    restart: who answered what, group votes, a multi-select in progress, the edit flag,
    checklist ticks and task claims. Both are JSON-serialisable.
    """

    id: int | None
    state: str
    version: int = 0
    status: str = OPEN
    language: str = "en"
    answers: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def copy(self) -> Plan:
        """A deep copy (every event works on one, so that ``apply`` never mutates its input).

        ``answers`` and ``meta`` hold JSON data: copying that by hand takes a third of the
        time ``copy.deepcopy`` needs (which runs on every answer).
        """
        return Plan(
            id=self.id,
            state=self.state,
            version=self.version,
            status=self.status,
            language=self.language,
            answers=_clone(self.answers),
            meta=_clone(self.meta),
        )


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _clone(value: Any) -> Any:
    """A deep copy of JSON-like data; anything else goes through ``copy.deepcopy``.

    Scalars inside a dict or list are taken as they are, without a call each: most of a
    plan's values are (every event copies its plan)."""
    kind = type(value)
    if kind is dict:
        return {
            key: item if type(item) in _SCALARS else _clone(item) for key, item in value.items()
        }
    if kind is list:
        return [item if type(item) in _SCALARS else _clone(item) for item in value]
    if kind in _SCALARS:
        return value
    import copy

    return copy.deepcopy(value)


@dataclass(frozen=True)
class AnswerRecord:
    """One accepted answer, kept as history (``value`` None means skipped or cleared).

    In a group the history also keeps each member's part in a joint answer: a vote on a
    scale (``{"vote": 3}``) and a tick on a multi-select (``{"tick": "money", "on": True}``).
    """

    question: str
    value: Any
    member: MemberRef

    @property
    def contribution(self) -> bool:
        """A member's vote or tick towards a group's answer, not an answer itself."""
        return isinstance(self.value, dict)


@dataclass(frozen=True)
class TaskRecord:
    """One task of the split, as stored when a plan is finished, with its claim and tick."""

    key: str
    phase: str  # "prepare" | "run" | "follow_up"
    owner: str  # US | PARTNER (TOGETHER only in plans finished before tasks had a lead)
    resource: str | None  # the resource that decided the owner, if one did
    claimed_by: str | None = None  # the member of our side who took it
    done_by: str | None = None
    done_at: str | None = None  # ISO 8601, UTC
    claimed_by_id: str | None = None  # the claimer's user id (a private reminder goes there)
    due_on: str | None = None  # the due day, ISO 8601 ("2026-12-24"), in the association's zone
    # Why the owner has the task: a key under ``reason.``; worked out again from the answers,
    # not stored (``flows.tasks.split`` is deterministic).
    reason: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ChecklistRecord:
    """One checklist item of a plan: a built-in step (label None) or a member's own item."""

    key: str
    label: str | None = None  # only custom items carry their own text
    done_by: str | None = None
    done_at: str | None = None  # ISO 8601, UTC

    @property
    def custom(self) -> bool:
        return self.label is not None

    @property
    def done(self) -> bool:
        return self.done_by is not None


@dataclass(frozen=True)
class Invite:
    """A stored invite to a plan's partner, found by its code's hash."""

    plan_id: int  # the inviting side's plan
    inviter: str  # the inviting association's name (its chat title)
    inviter_chat_id: str
    plan_status: str
    answers: dict[str, Any]  # the inviting plan's answers (only its choices are shown)
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class OtherHalf:
    """The other half of a two-sided plan, as the store links it (read-only here)."""

    plan: Plan
    chat: ChatRef


@dataclass(frozen=True)
class FollowSettings:
    """A chat's reminder settings (issue 17)."""

    time_zone: str
    hour: int
    reminders: bool


@dataclass(frozen=True)
class ReviewAnswer:
    """One stored answer of a review or mid-term check."""

    kind: str  # "review" | "midterm"
    question: str  # "reached" | "worked" | "next"
    value: str
    member_name: str


@dataclass(frozen=True)
class DueReminder:
    """A claimed reminder row with what sending it needs (issue 17)."""

    id: int
    kind: str  # flows.followup: BEFORE | DUE | REVIEW | MIDTERM
    task_key: str  # "" for a review
    due_at: datetime  # UTC
    plan_id: int
    chat: ChatRef  # the chat the plan lives in
    time_zone: str
    language: str
    success_measure: str | None  # the plan's own "how will we know" answer
    claimed_by: str | None
    claimed_by_id: str | None
    due_on: str | None
    done: bool
    # The private chat of the member who took the task, when they have one with the bot.
    private_chat: ChatRef | None = None
    # A two-sided plan: the partner's half (its chat and plan), once a partner joined.
    partner_chat: ChatRef | None = None
    partner_plan_id: int | None = None
    # The reminder goes to the partner's chat (in ``language``, the partner plan's): the
    # partner alone owns the task and no member took it with a private chat of their own.
    to_partner: bool = False
    # The partner alone owns the task (not joint): its members tick it.
    partner_task: bool = False
