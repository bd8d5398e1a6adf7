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
from flows.setup import ASKING, apply_setup, carry_into, our_name
from flows.texts import supported
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

    def language_for(self, member: MemberRef | None) -> str:
        """The language of a chat without a plan: the member's own, else the default."""
        return (member and supported(member.language)) or self.language

    async def handle(
        self,
        chat: ChatRef,
        member: MemberRef,
        event: ev.Event,
        *,
        plan_id: int | None = None,
    ) -> Reply:
        """The reply to ``event``, in the chat's language (``Reply.language`` says which)."""
        wanted = self.language_for(member)
        if isinstance(event, ev.Work | ev.Setup):
            for _ in range(WORK_ATTEMPTS):
                reply = await self._work(chat, member, event, plan_id, wanted)
                if reply is not None:
                    return reply
            return notice(kinds.CONFLICT, "ui.conflict", wanted)
        async with self.store.session(chat) as session:
            plan = await session.current_plan()
            lang = plan.language if plan is not None else wanted
            if plan_id is not None and (plan is None or plan.id != plan_id):
                # A button of an earlier plan of this chat, or of another chat's plan.
                return notice(kinds.STALE, "ui.foreign_button", lang, plan)
            if plan is None and isinstance(event, ev.SetLanguage):
                # The choice is kept with the chat's plan: start one, in that language.
                chosen = supported(event.language)
                if chosen is None:
                    return notice(kinds.INVALID, "ui.language_unknown", lang)
                plan = await session.create_plan(new_plan(chosen, chat.is_group), member)
                return notice(kinds.INFO, "ui.language_set", chosen, plan)
            if plan is None or isinstance(event, ev.Restart):
                if not isinstance(event, ev.Start | ev.Restart):
                    return notice(kinds.INFO, "ui.no_plan", lang)
                # A restart begins a new plan (the old one stays in the history), so buttons
                # still on screen from the old plan name a plan that is no longer current.
                # The new plan keeps the chat's language, and the association's parties.
                plan = await session.create_plan(new_plan(lang, chat.is_group, plan), member)
                return _in(current_reply(plan, plan.language, changed=True), plan.language)
            outcome = apply(plan, member, event)
            if not outcome.changed:
                return _in(outcome.reply, plan.language)
            if outcome.plan.status == DONE and plan.status != DONE:
                # /setup went to the finished plan while this one was open: keep the latest.
                earlier = await work_plan(session)
                if earlier is not None and earlier.id != plan.id:
                    carry_into(outcome.plan.meta, earlier.meta)
            saved = await session.save_plan(
                outcome.plan, plan.version, member, outcome.records, outcome.tasks
            )
            if saved:
                # Buttons carry the version they were shown at: the one just written.
                reply = replace(outcome.reply, version=outcome.plan.version)
                return _in(reply, outcome.plan.language)
            return await self._conflict(session, plan, outcome.reply.previous_question)

    async def _work(
        self,
        chat: ChatRef,
        member: MemberRef,
        event: ev.Work | ev.Setup,
        plan_id: int | None,
        wanted: str,
    ) -> Reply | None:
        """One attempt at a checklist, task-board or setup event; None when it lost a race."""
        async with self.store.session(chat) as session:
            plan = await work_plan(session)
            if plan is None:
                return notice(kinds.INFO, "ui.no_plan", wanted)
            if plan_id is not None and plan.id != plan_id:
                return notice(kinds.STALE, "ui.foreign_button", plan.language, plan)
            assert plan.id is not None
            if isinstance(event, ev.Setup):
                changed, reply = apply_setup(plan, member, event)
                if changed is None:
                    return _in(reply, plan.language)
                saved = await session.save_plan(changed, plan.version, member)
                return (
                    _in(replace(reply, version=changed.version), plan.language) if saved else None
                )
            tasks = await session.tasks(plan.id)
            stored = await session.checklist(plan.id)
            now = self.clock().isoformat(timespec="seconds")
            outcome = apply_work(plan, tasks, stored, member, event, now, chat.is_group)
            if not outcome.changed:
                return _in(outcome.reply, plan.language)
            seen = plan.version
            saved = await session.save_plan(
                plan, seen, member, tasks=outcome.tasks, checklist=outcome.checklist
            )
            reply = replace(outcome.reply, version=plan.version)
            return _in(reply, plan.language) if saved else None

    async def _conflict(self, session: PlanSession, plan: Plan, question: str | None) -> Reply:
        last = await session.last_answer(plan.id, question) if plan.id and question else None
        if last is not None:
            return notice(kinds.CONFLICT, "ui.conflict_by", plan.language, name=last.member.name)
        return notice(kinds.CONFLICT, "ui.conflict", plan.language)

    async def agreement(
        self, chat: ChatRef, today: date | None = None, *, member: MemberRef | None = None
    ) -> dict[str, Any] | Reply:
        """The finished plan as agreement data (for every export format), or why not.

        The data is in the plan's language (``doc["language"]``); its keys are the same in all.

        With ``member`` (a member exporting in a chat), a missing name of our association is
        asked for: the chat's next typed line on the finished plan is taken as the name.
        """
        async with self.store.session(chat) as session:
            plan = await work_plan(session)
            if plan is None:
                return notice(kinds.INFO, "ui.no_plan", self.language_for(member))
            if plan.status != DONE or plan.id is None:
                return notice(kinds.INFO, "export.not_finished", plan.language, plan)
            if member is not None and not our_name(plan) and not plan.meta.get(ASKING):
                asking = plan.copy()
                asking.meta[ASKING] = "name"
                # Losing a race only means someone else changed the plan: ask next time.
                if await session.save_plan(asking, plan.version, member):
                    plan = asking
            tasks = await session.tasks(plan.id)
            items = checklist_items(await session.checklist(plan.id), plan_forms(plan))
            now = self.clock()
            return agreement(plan, tasks, items, today or now.date(), now)

    async def plans(self, chat: ChatRef, *, member: MemberRef | None = None) -> Reply:
        """The chat's plans, newest first: which is open, which are finished."""
        async with self.store.session(chat) as session:
            plans = await session.plans()
        if not plans:
            return notice(kinds.INFO, "ui.no_plan", self.language_for(member))
        # The chat's language: that of its newest plan.
        return _in(plans_reply(plans, plans[0].language), plans[0].language)

    async def forget(self, chat: ChatRef, *, member: MemberRef | None = None) -> Reply:
        """Delete everything stored for the chat's association (its language choice too)."""
        existed = await self.store.forget_association(chat)
        key = "ui.forgotten" if existed else "ui.nothing_to_forget"
        return notice(kinds.INFO, key, self.language_for(member))

    async def chat_moved(self, chat: ChatRef, new_chat_id: str) -> bool:
        """A group became a supergroup: its association, plans and answers move with it."""
        return await self.store.move_association(chat, new_chat_id)


def _in(reply: Reply, language: str) -> Reply:
    """``reply`` marked with the language it was written in (notices already are)."""
    return reply if reply.language else replace(reply, language=language)
