"""What the domain needs from a store. ``storage`` implements it; tests may too."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from flows.model import AnswerRecord, ChatRef, ChecklistRecord, MemberRef, Plan, TaskRecord


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
        """

    async def tasks(self, plan_id: int) -> list[TaskRecord]:
        """The plan's tasks in stored order, with claims and ticks."""

    async def checklist(self, plan_id: int) -> list[ChecklistRecord]:
        """The plan's stored checklist items in stored order (ticked or custom ones)."""

    async def last_answer(self, plan_id: int, question: str) -> AnswerRecord | None:
        """The latest history row for one question of a plan."""

    async def answer_history(self, plan_id: int) -> list[AnswerRecord]:
        """Every answer of a plan, oldest first."""


class PlanStore(Protocol):
    def session(self, chat: ChatRef) -> AbstractAsyncContextManager[PlanSession]:
        """Open one transaction scoped to ``chat``'s association."""

    async def forget_association(self, chat: ChatRef) -> bool:
        """Delete the chat's association and everything under it, for good."""

    async def move_association(self, chat: ChatRef, new_chat_id: str) -> bool:
        """The chat got a new id (a group became a supergroup): keep its association."""
