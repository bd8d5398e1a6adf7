"""The use-case layer: one event from one member in one chat, in one transaction."""

from __future__ import annotations

from dataclasses import replace

from flows import events as ev
from flows import reply as kinds
from flows.conversation import apply, new_plan
from flows.model import DONE, ChatRef, MemberRef
from flows.ports import PlanStore
from flows.render import current_reply, notice
from flows.reply import Reply


class PlanningService:
    """Loads the chat's plan, applies the event, writes the result if the plan did not move.

    Optimistic concurrency: the write only succeeds when the plan is still at the version that
    was read. When another member (or another bot instance) got there first, nothing is written
    and the member is told who answered.
    """

    def __init__(self, store: PlanStore, language: str = "en") -> None:
        self.store = store
        self.language = language

    async def handle(
        self,
        chat: ChatRef,
        member: MemberRef,
        event: ev.Event,
        *,
        plan_id: int | None = None,
    ) -> Reply:
        async with self.store.session(chat) as session:
            plan = await session.current_plan()
            if plan_id is not None and (plan is None or plan.id != plan_id):
                # A button of an earlier plan of this chat, or of another chat's plan.
                return notice(kinds.STALE, "ui.foreign_button", self.language, plan)
            if plan is None or (isinstance(event, ev.Restart) and plan.status == DONE):
                if not isinstance(event, ev.Start | ev.Restart):
                    return notice(kinds.INFO, "ui.no_plan", self.language)
                plan = await session.create_plan(new_plan(self.language, chat.is_group), member)
                return current_reply(plan, plan.language, changed=True)
            outcome = apply(plan, member, event)
            if not outcome.changed:
                return outcome.reply
            seen = plan.version
            saved = await session.save_plan(
                outcome.plan, seen, member, outcome.records, outcome.tasks
            )
            if saved:
                # Buttons carry the version they were shown at: the one just written.
                return replace(outcome.reply, version=outcome.plan.version)
            return await self._conflict(session, plan.id, outcome.reply.previous_question)

    async def _conflict(self, session, plan_id: int | None, question: str | None) -> Reply:  # type: ignore[no-untyped-def]
        last = await session.last_answer(plan_id, question) if plan_id and question else None
        if last is not None:
            return notice(kinds.CONFLICT, "ui.conflict_by", self.language, name=last.member.name)
        return notice(kinds.CONFLICT, "ui.conflict", self.language)
