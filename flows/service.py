"""The use-case layer: one event from one member in one chat, in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from flows import events as ev
from flows import reply as kinds
from flows.checklist import items as checklist_items
from flows.conversation import apply, new_plan
from flows.export import agreement
from flows.model import DONE, ChatRef, MemberRef, Plan
from flows.ports import PlanSession, PlanStore
from flows.render import current_reply, notice, plans_reply
from flows.reply import Reply
from flows.workboard import apply_work, plan_forms

# Checklist ticks and task claims commute (each names the state it wants), so a write that
# lost the race is simply tried again on the fresh plan: no tick is ever lost.
WORK_ATTEMPTS = 5


def _utc_now() -> datetime:
    return datetime.now(UTC)


async def work_plan(session: PlanSession) -> Plan | None:
    """The plan the checklist, the task board and the agreement are about: the current plan
    when it is finished, else the latest finished one (a /restart does not take the work of a
    finished plan out of reach), else the open plan (its preparation steps)."""
    current = await session.current_plan()
    if current is None or current.status == DONE:
        return current
    finished = next((p for p in await session.plans() if p.status == DONE), None)
    return finished or current


class PlanningService:
    """Loads the chat's plan, applies the event, writes the result if the plan did not move.

    Optimistic concurrency: the write only succeeds when the plan is still at the version that
    was read. When another member (or another bot instance) got there first, nothing is written
    and the member is told who answered.
    """

    def __init__(
        self,
        store: PlanStore,
        language: str = "en",
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.store = store
        self.language = language
        self.clock = clock

    async def handle(
        self,
        chat: ChatRef,
        member: MemberRef,
        event: ev.Event,
        *,
        plan_id: int | None = None,
    ) -> Reply:
        if isinstance(event, ev.Work):
            for _ in range(WORK_ATTEMPTS):
                reply = await self._work(chat, member, event, plan_id)
                if reply is not None:
                    return reply
            return notice(kinds.CONFLICT, "ui.conflict", self.language)
        async with self.store.session(chat) as session:
            plan = await session.current_plan()
            if plan_id is not None and (plan is None or plan.id != plan_id):
                # A button of an earlier plan of this chat, or of another chat's plan.
                return notice(kinds.STALE, "ui.foreign_button", self.language, plan)
            if plan is None or isinstance(event, ev.Restart):
                if not isinstance(event, ev.Start | ev.Restart):
                    return notice(kinds.INFO, "ui.no_plan", self.language)
                # A restart begins a new plan (the old one stays in the history), so buttons
                # still on screen from the old plan name a plan that is no longer current.
                plan = await session.create_plan(new_plan(self.language, chat.is_group), member)
                return current_reply(plan, plan.language, changed=True)
            outcome = apply(plan, member, event)
            if not outcome.changed:
                return outcome.reply
            saved = await session.save_plan(
                outcome.plan, plan.version, member, outcome.records, outcome.tasks
            )
            if saved:
                # Buttons carry the version they were shown at: the one just written.
                return replace(outcome.reply, version=outcome.plan.version)
            return await self._conflict(session, plan.id, outcome.reply.previous_question)

    async def _work(
        self, chat: ChatRef, member: MemberRef, event: ev.Work, plan_id: int | None
    ) -> Reply | None:
        """One attempt at a checklist or task-board event; None when it lost a race."""
        async with self.store.session(chat) as session:
            plan = await work_plan(session)
            if plan is None:
                return notice(kinds.INFO, "ui.no_plan", self.language)
            if plan_id is not None and plan.id != plan_id:
                return notice(kinds.STALE, "ui.foreign_button", self.language, plan)
            assert plan.id is not None
            tasks = await session.tasks(plan.id)
            stored = await session.checklist(plan.id)
            now = self.clock().isoformat(timespec="seconds")
            outcome = apply_work(plan, tasks, stored, member, event, now, chat.is_group)
            if not outcome.changed:
                return outcome.reply
            seen = plan.version
            saved = await session.save_plan(
                plan, seen, member, tasks=outcome.tasks, checklist=outcome.checklist
            )
            return replace(outcome.reply, version=plan.version) if saved else None

    async def _conflict(
        self, session: PlanSession, plan_id: int | None, question: str | None
    ) -> Reply:
        last = await session.last_answer(plan_id, question) if plan_id and question else None
        if last is not None:
            return notice(kinds.CONFLICT, "ui.conflict_by", self.language, name=last.member.name)
        return notice(kinds.CONFLICT, "ui.conflict", self.language)

    async def agreement(self, chat: ChatRef, today: date | None = None) -> dict[str, Any] | Reply:
        """The finished plan as agreement data (for every export format), or why not."""
        async with self.store.session(chat) as session:
            plan = await work_plan(session)
            if plan is None:
                return notice(kinds.INFO, "ui.no_plan", self.language)
            if plan.status != DONE or plan.id is None:
                return notice(kinds.INFO, "export.not_finished", self.language, plan)
            tasks = await session.tasks(plan.id)
            items = checklist_items(await session.checklist(plan.id), plan_forms(plan))
            day = today or self.clock().date()
            return agreement(plan, chat.title or chat.chat_id, tasks, items, day)

    async def plans(self, chat: ChatRef) -> Reply:
        """The chat's plans, newest first: which is open, which are finished."""
        async with self.store.session(chat) as session:
            plans = await session.plans()
        if not plans:
            return notice(kinds.INFO, "ui.no_plan", self.language)
        return plans_reply(plans, self.language)

    async def forget(self, chat: ChatRef) -> Reply:
        """Delete everything stored for the chat's association."""
        existed = await self.store.forget_association(chat)
        return notice(
            kinds.INFO, "ui.forgotten" if existed else "ui.nothing_to_forget", self.language
        )

    async def chat_moved(self, chat: ChatRef, new_chat_id: str) -> bool:
        """A group became a supergroup: its association, plans and answers move with it."""
        return await self.store.move_association(chat, new_chat_id)
