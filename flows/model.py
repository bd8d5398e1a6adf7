"""Plain values passed between the domain, the store and the transports."""

from __future__ import annotations

from dataclasses import dataclass, field
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


_SCALARS = (str, int, float, bool, type(None))


def _clone(value: Any) -> Any:
    """A deep copy of JSON-like data; anything else goes through ``copy.deepcopy``."""
    kind = type(value)
    if kind is dict:
        return {key: _clone(item) for key, item in value.items()}
    if kind is list:
        return [_clone(item) for item in value]
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
