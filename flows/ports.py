"""What the domain needs from a store. ``storage`` implements it; tests may too."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from flows.model import (
    AnswerRecord,
    ChatRef,
    ChecklistRecord,
    FollowSettings,
    Invite,
    MemberRef,
    OtherHalf,
    Plan,
    ReviewAnswer,
    TaskRecord,
)


class PlanSession(Protocol):
    """One event's unit of work: everything in it commits together or not at all."""

    async def current_plan(self) -> Plan | None:
        """The chat's latest plan (open or done), or None when it has none."""

    async def plans(self) -> list[Plan]:
        """The chat's latest plans (open or done), newest first."""

    async def create_plan(self, plan: Plan, member: MemberRef) -> Plan:
        """Store a new plan (the association and member rows are created when missing).

        Returns the plan with its id and version set. Earlier open plans of the chat are closed.
        """

    async def save_plan(
        self,
        plan: Plan,
        seen_version: int,
        member: MemberRef,
        answers: Sequence[AnswerRecord] = (),
        tasks: Sequence[TaskRecord] | None = None,
        checklist: Sequence[ChecklistRecord] | None = None,
    ) -> bool:
        """Write ``plan`` only if its stored version is still ``seen_version``.

        On success the stored version becomes ``seen_version + 1`` (and ``plan.version`` is set
        to it), ``answers`` are appended to the history, and when ``tasks`` (``checklist``) is
        given the plan's tasks (checklist items) are replaced by it, in order. Returns False,
        writing nothing, when another writer got there first.

        A save of the plan alone (no tasks, no checklist) that is the session's first write is
        the event's one write: it is stored when this returns, even if the event fails later,
        and the session takes no more writes (one round trip on PostgreSQL).
        """

    async def tasks(self, plan_id: int) -> list[TaskRecord]:
        """The plan's tasks in stored order, with claims and ticks."""

    async def checklist(self, plan_id: int) -> list[ChecklistRecord]:
        """The plan's stored checklist items in stored order (ticked or custom ones)."""

    async def last_answer(self, plan_id: int, question: str) -> AnswerRecord | None:
        """The latest history row for one question of a plan."""

    async def answer_history(self, plan_id: int) -> list[AnswerRecord]:
        """Every answer of a plan, oldest first."""

    # Two-sided plans. Codes are never stored: only their hash reaches the store.

    async def create_invite(
        self, plan_id: int, token_hash: str, expires_at: datetime, now: datetime
    ) -> int:
        """A new invite to the chat's plan ``plan_id``; earlier live ones are revoked (count)."""

    async def revoke_invites(self, plan_id: int, now: datetime) -> int:
        """End the plan's live invite; how many were live."""

    async def invite(self, token_hash: str) -> Invite | None:
        """The invite with this code hash, whatever its state, or None."""

    async def claim_invite(self, token_hash: str, partner_plan_id: int, now: datetime) -> bool:
        """Use a live invite for the partner's half; exactly one of concurrent claims wins."""

    async def decline_invite(self, token_hash: str, now: datetime) -> bool:
        """End a live invite because the partner said no."""

    async def other_half(self, plan_id: int) -> OtherHalf | None:
        """The plan an invite joined to ``plan_id``, on either side, or None."""

    async def linked_chats(self) -> list[ChatRef]:
        """The chats holding the other half of this chat's plans."""

    async def follow_settings(self) -> FollowSettings:
        """The chat's time zone, reminder hour and whether it wants reminders."""

    async def set_follow_settings(
        self,
        *,
        reminders: bool | None = None,
        time_zone: str | None = None,
        hour: int | None = None,
    ) -> bool:
        """Change the chat's reminder settings; False when the chat has no association yet."""

    async def schedule_follow_up(
        self, plan: Plan, tasks: Sequence[TaskRecord], now: datetime
    ) -> None:
        """Make the plan's reminders match its tasks' due days; a finished plan gets its
        review (and, for a long partnership, a mid-term check) once."""

    async def save_review_answer(
        self, plan_id: int, kind: str, question: str, value: str, member: MemberRef, now: datetime
    ) -> None:
        """Store one answer of a review or mid-term check."""

    async def review_answers(self, plan_id: int) -> list[ReviewAnswer]:
        """The plan's review answers, oldest first."""


class PlanStore(Protocol):
    def session(self, chat: ChatRef) -> AbstractAsyncContextManager[PlanSession]:
        """Open one transaction scoped to ``chat``'s association."""

    async def forget_association(self, chat: ChatRef) -> bool:
        """Delete the chat's association and everything under it, for good."""

    async def move_association(self, chat: ChatRef, new_chat_id: str) -> bool:
        """The chat got a new id (a group became a supergroup): keep its association."""
