"""The use-case layer: one event from one member in one chat, in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flows import events as ev
from flows import reply as kinds
from flows import twosided
from flows.checklist import items as checklist_items
from flows.conversation import apply, new_plan
from flows.export import agreement
from flows.followup import REVIEW, local_today, reminders_moved, review_next, valid_zone
from flows.model import DONE, PARTNER, ChatRef, Invite, MemberRef, Plan
from flows.ports import PlanSession, PlanStore
from flows.questionnaire import OURS, THEIRS, first_unanswered, partner_half_answers, side_of
from flows.render import current_reply, notice, plans_reply
from flows.reply import Option, Reply, revised
from flows.setup import ASKING, apply_setup, carry_into, our_name
from flows.texts import supported, t
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
        invite_days: int = twosided.DEFAULT_INVITE_DAYS,
    ) -> None:
        self.store = store
        self.language = language
        self.clock = clock
        self.invite_days = invite_days

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
            if plan is not None and isinstance(event, ev.Restart) and _is_partner_half(plan):
                # The invite links this very plan: a new one would leave the link behind.
                return notice(kinds.INVALID, "two.no_restart", lang, plan)
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
                reply = await self._two_sided(session, chat, outcome.plan, outcome.reply)
                return _in(reply, plan.language)
            if outcome.plan.status == DONE and plan.status != DONE:
                # /setup went to the finished plan while this one was open: keep the latest.
                earlier = await work_plan(session)
                if earlier is not None and earlier.id != plan.id:
                    carry_into(outcome.plan.meta, earlier.meta)
            saved = await session.save_plan(
                outcome.plan, plan.version, member, outcome.records, outcome.tasks
            )
            if saved and outcome.tasks is not None:  # the plan was finished: its follow-up
                await session.schedule_follow_up(outcome.plan, outcome.tasks, self.clock())
            if saved:
                # Buttons carry the version they were shown at: the one just written.
                reply = _in(outcome.reply, outcome.plan.language, version=outcome.plan.version)
                reply = await self._two_sided(session, chat, outcome.plan, reply)
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
                return _in(reply, plan.language, version=changed.version) if saved else None
            # Due days are days in the member's own chat's time zone.
            today = local_today(self.clock(), (await session.follow_settings()).time_zone)
            half = None
            if isinstance(event, BOARD_EVENTS):
                half = await session.other_half(plan.id)
                if half is not None and side_of(plan.answers) == OURS:
                    return await self._shared_board(
                        session, plan, half.plan, plan, member, event, chat.is_group, today
                    )
            if half is None:
                tasks = await session.tasks(plan.id)
                stored = await session.checklist(plan.id)
                clock = self.clock()
                now = clock.isoformat(timespec="seconds")
                outcome = apply_work(
                    plan, tasks, stored, member, event, now, chat.is_group, today=today
                )
                if not outcome.changed:
                    return _in(outcome.reply, plan.language)
                seen = plan.version
                saved = await session.save_plan(
                    plan, seen, member, tasks=outcome.tasks, checklist=outcome.checklist
                )
                if saved and outcome.tasks is not None and reminders_moved(tasks, outcome.tasks):
                    await session.schedule_follow_up(plan, outcome.tasks, clock)
                return _in(outcome.reply, plan.language, version=plan.version) if saved else None
        # The partner's side: the board is that of the inviting side's plan (the link row
        # names it), written in a session of that chat. Its version check makes a stale read
        # lose, and the attempt is made again.
        assert isinstance(event, BOARD_EVENTS)
        async with self.store.session(half.chat) as host_session:
            return await self._shared_board(
                host_session, half.plan, plan, plan, member, event, chat.is_group, today
            )

    async def _shared_board(
        self,
        session: PlanSession,
        host: Plan,
        partner: Plan,
        viewer: Plan,
        member: MemberRef,
        event: ev.Work,
        group: bool,
        today: date,
    ) -> Reply | None:
        """The one task board of a two-sided plan, stored with the inviting side's plan, as
        ``viewer``'s side sees it: its own tasks first, ticked and taken by its own members
        (and the joint ones). Once both halves are done the board is the merged split; claims
        and ticks of tasks that stay are kept."""
        assert host.id is not None
        tasks = stored = await session.tasks(host.id)
        merged = host.status == DONE and partner.status == DONE
        refresh = merged and not host.meta.get(MERGED_BOARD)
        if refresh:
            fresh = twosided.merge(host.answers, partner.answers).tasks
            tasks = twosided.keep_progress(fresh, tasks)
            host = host.copy()
            host.meta[MERGED_BOARD] = True
        viewer_is_host = viewer.id == host.id
        view = twosided.for_viewer(tasks, viewer_is_host)
        shown = replace(host.copy(), language=viewer.language, id=viewer.id)
        clock = self.clock()
        now = clock.isoformat(timespec="seconds")
        outcome = apply_work(
            shown, view, [], member, event, now, group, two_sided=True, today=today
        )
        if not outcome.changed and not refresh:
            return _in(outcome.reply, viewer.language)
        changed = twosided.from_viewer(outcome.tasks or view, tasks)
        saved = await session.save_plan(host, host.version, member, tasks=changed)
        # The inviting side's plan holds the board, and so its reminders.
        if saved and reminders_moved(stored, changed):
            await session.schedule_follow_up(host, changed, clock)
        return _in(outcome.reply, viewer.language, version=viewer.version) if saved else None

    # -- two-sided plans ----------------------------------------------------------------------

    async def _two_sided(
        self, session: PlanSession, chat: ChatRef, plan: Plan, reply: Reply
    ) -> Reply:
        """A result of either half of a two-sided plan is the merged one, once both halves
        are done; until then the waiting side is told so."""
        if reply.kind != kinds.RESULT or plan.id is None:
            return reply
        lang = plan.language
        is_host = side_of(plan.answers) == OURS
        half = await session.other_half(plan.id)
        if half is None:
            if is_host:
                return replace(reply, can_invite=True)
            return notice(kinds.INFO, "two.partner_left", lang, plan)
        other = half.plan
        if other.status != DONE:
            if is_host:
                return replace(reply, notes=(*reply.notes, t("two.waiting_partner", lang)))
            return notice(kinds.INFO, "two.waiting_host", lang, plan, host=half.chat.title)
        ours, theirs = (plan, other) if is_host else (other, plan)
        host = half.chat.title if not is_host else chat.title
        host = host or t("two.host_unnamed", lang)
        partner = _partner_name(theirs, lang)
        text, details = twosided.merged_text(
            ours.answers,
            theirs.answers,
            viewer_is_host=is_host,
            host=host,
            partner=partner,
            lang=lang,
            shared=twosided.shared_texts(ours.meta),
        )
        return replace(reply, text=text, details=details)

    async def share_texts(self, chat: ChatRef, member: MemberRef, share: bool) -> Reply:
        """Let the partner read our members' own words (or stop it): /invite share|private."""
        for _ in range(WORK_ATTEMPTS):
            async with self.store.session(chat) as session:
                plan = await work_plan(session)
                if plan is None or plan.id is None:
                    return notice(kinds.INFO, "ui.no_plan", self.language_for(member))
                if _is_partner_half(plan):
                    return notice(kinds.INVALID, "two.partner_cannot_invite", plan.language, plan)
                key = "two.shared" if share else "two.unshared"
                if bool(plan.meta.get(twosided.SHARE_TEXTS)) == share:
                    return notice(kinds.INFO, key, plan.language, plan)
                changed = plan.copy()
                changed.meta[twosided.SHARE_TEXTS] = share
                if await session.save_plan(changed, plan.version, member):
                    return notice(kinds.INFO, key, plan.language, changed)
        return notice(kinds.CONFLICT, "ui.conflict", self.language_for(member))

    async def invite(self, chat: ChatRef, member: MemberRef, *, revoke: bool = False) -> Reply:
        """A new invite for the chat's plan (the old one is revoked), or, with ``revoke``,
        the live invite ended. The code is in ``Reply.invite_code``; only its hash is kept."""
        now = self.clock()
        async with self.store.session(chat) as session:
            plan = await work_plan(session)
            if plan is None or plan.id is None:
                return notice(kinds.INFO, "ui.no_plan", self.language_for(member))
            lang = plan.language
            if _is_partner_half(plan):
                return notice(kinds.INVALID, "two.partner_cannot_invite", lang, plan)
            if revoke:
                ended = await session.revoke_invites(plan.id, now)
                return notice(kinds.INFO, "two.revoked" if ended else "two.no_live_invite", lang)
            if await session.other_half(plan.id) is not None:
                return notice(kinds.INFO, "two.already_joined", lang, plan)
            code = twosided.new_code()
            expires = now + timedelta(days=self.invite_days)
            await session.create_invite(plan.id, twosided.code_hash(code), expires, now)
        reply = notice(kinds.INFO, "two.invite_made", lang, plan, days=self.invite_days)
        return replace(reply, invite_code=code)

    async def _live(self, session: PlanSession, chat: ChatRef, code: str) -> Invite | str:
        """The invite a code names if it can be used now, else the key of the line saying why."""
        if not twosided.well_formed(code):
            return "two.code_unknown"
        found = await session.invite(twosided.code_hash(code))
        if found is None:
            return "two.code_unknown"
        if found.revoked_at is not None:
            return "two.code_revoked"
        if found.used_at is not None:
            return "two.code_used"
        if found.expires_at <= self.clock():
            return "two.code_expired"
        if found.inviter_chat_id == chat.chat_id:
            return "two.own_invite"
        return found

    async def open_invite(self, chat: ChatRef, member: MemberRef, code: str) -> Reply:
        """What whoever opens an invite link sees: who invites, for what, what is shared;
        [Join] or [Decline]. A bad code gets one line and changes nothing."""
        lang = self.language_for(member)
        async with self.store.session(chat) as session:
            found = await self._live(session, chat, code)
        if isinstance(found, str):
            return notice(kinds.INVALID, found, lang)
        text = twosided.preview_text(found.inviter or "?", found.answers, lang)
        options = (
            Option(twosided.JOIN, t("two.join", lang)),
            Option(twosided.DECLINE, t("two.decline", lang)),
        )
        return Reply(kind=kinds.INVITE, text=text, options=options, language=lang)

    async def join(self, chat: ChatRef, member: MemberRef, code: str) -> Reply:
        """Join as the partner: the partner's half begins in this chat, at its first question.
        Of two people joining with one code at the same moment, one gets in."""
        lang = self.language_for(member)
        try:
            return await self._join(chat, member, code, lang)
        except _LostClaim:
            return notice(kinds.INVALID, "two.code_used", lang)

    async def _join(self, chat: ChatRef, member: MemberRef, code: str, lang: str) -> Reply:
        async with self.store.session(chat) as session:
            found = await self._live(session, chat, code)
            if isinstance(found, str):
                return notice(kinds.INVALID, found, lang)
            answers = partner_half_answers()
            meta: dict[str, Any] = {"host": {"plan": found.plan_id, "name": found.inviter}}
            if chat.is_group:
                meta["group"] = True
            plan = Plan(
                id=None, state=first_unanswered(answers), language=lang, answers=answers, meta=meta
            )
            plan = await session.create_plan(plan, member)
            assert plan.id is not None
            if not await session.claim_invite(twosided.code_hash(code), plan.id, self.clock()):
                raise _LostClaim  # rolls the new plan back
        reply = current_reply(plan, lang, changed=True)
        header = t("two.joined", lang, host=found.inviter or "?")
        return _in(replace(reply, header=header), lang)

    async def decline(self, chat: ChatRef, member: MemberRef, code: str) -> Reply:
        lang = self.language_for(member)
        async with self.store.session(chat) as session:
            found = await self._live(session, chat, code)
            if isinstance(found, str):
                return notice(kinds.INVALID, found, lang)
            await session.decline_invite(twosided.code_hash(code), self.clock())
        return notice(kinds.INFO, "two.declined", lang)

    async def partner_chats(self, chat: ChatRef) -> list[ChatRef]:
        """The chats holding the other half of this chat's plans (to tell them when it forgets)."""
        async with self.store.session(chat) as session:
            return await session.linked_chats()

    def partner_left(self) -> Reply:
        """What the other side is told when one side forgot its half."""
        return notice(kinds.INFO, "two.partner_left", self.language)

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
            if _is_partner_half(plan):
                half = await session.other_half(plan.id)
                if half is None:
                    return notice(kinds.INFO, "two.partner_left", plan.language, plan)
                if half.plan.status != DONE:
                    return notice(
                        kinds.INFO, "two.waiting_host", plan.language, plan, host=half.chat.title
                    )
                host_chat, host_plan, mine = half.chat, half.plan, plan
            else:
                host_chat = None
        if host_chat is not None:
            # The partner's export is the same agreement, read from the inviting side's plan,
            # without our members' own words unless we chose to share them.
            return await self._agreement(host_chat, host_plan, mine, today, viewer_is_host=False)
        return await self._agreement(chat, plan, None, today, member=member)

    async def _agreement(
        self,
        chat: ChatRef,
        plan: Plan,
        partner: Plan | None,
        today: date | None,
        *,
        member: MemberRef | None = None,
        viewer_is_host: bool = True,
    ) -> dict[str, Any] | Reply:
        async with self.store.session(chat) as session:
            assert plan.id is not None
            if member is not None and not our_name(plan) and not plan.meta.get(ASKING):
                asking = plan.copy()
                asking.meta[ASKING] = "name"
                # Losing a race only means someone else changed the plan: ask next time.
                if await session.save_plan(asking, plan.version, member):
                    plan = asking
            tasks = await session.tasks(plan.id)
            items = checklist_items(await session.checklist(plan.id), plan_forms(plan))
            now = self.clock()
            review = await session.review_answers(plan.id)
            half = partner or await self._partner_half(session, plan)
            if half is not None and half.status == DONE:
                # Both halves: the agreement is made of the merged answers and split, and the
                # partner's own half names it, ahead of /setup and of our guess
                # (flows.setup.partner_name reads meta["parties"] first).
                merged = twosided.merge(plan.answers, half.answers)
                plan = plan.copy()
                plan.answers = merged.answers
                if not viewer_is_host:
                    plan.answers = twosided.shared_view(
                        merged.answers, twosided.shared_texts(plan.meta)
                    )
                    plan.language = half.language  # the partner reads it in its own
                if not plan.meta.get(MERGED_BOARD):  # the board was not opened since
                    tasks = twosided.keep_progress(merged.tasks, tasks)
                name = twosided.partner_organisation(half.answers)
                if name:
                    plan.meta.setdefault("parties", {})["partner"] = name
            doc = agreement(plan, tasks, items, today or now.date(), now, review)
            if half is not None and str(half.answers.get("p_contact") or "").strip():
                doc["parties"][PARTNER]["contacts"] = [str(half.answers["p_contact"]).strip()]
            return doc

    async def partner_organisation(self, chat: ChatRef) -> str | None:
        """The name the joined partner gives itself for the chat's work plan, or None."""
        async with self.store.session(chat) as session:
            plan = await work_plan(session)
            half = None if plan is None else await self._partner_half(session, plan)
            return None if half is None else twosided.partner_organisation(half.answers)

    async def _partner_half(self, session: PlanSession, plan: Plan) -> Plan | None:
        """The partner's half of our plan, when a partner joined it."""
        if plan.id is None or side_of(plan.answers) != OURS:
            return None
        half = await session.other_half(plan.id)
        return None if half is None else half.plan

    async def set_reminders(self, chat: ChatRef, on: bool, member: MemberRef) -> Reply:
        """``/reminders on|off`` (who may ask is the transport's to check: admins in groups)."""
        lang = self.language_for(member)
        async with self.store.session(chat) as session:
            plan = await session.current_plan()
            lang = plan.language if plan is not None else lang
            if not await session.set_follow_settings(reminders=on):
                return notice(kinds.INFO, "ui.no_plan", lang)
        return notice(kinds.INFO, "remind.on" if on else "remind.off", lang)

    async def set_remind_time(
        self, chat: ChatRef, member: MemberRef, *, hour: int | None = None, zone: str | None = None
    ) -> Reply:
        """When the chat's reminders come: the local hour (0-23) or the time zone."""
        lang = self.language_for(member)
        if zone is not None and not valid_zone(zone):
            return notice(kinds.INVALID, "remind.bad_zone", lang, zone=zone)
        if hour is not None and not 0 <= hour <= 23:
            return notice(kinds.INVALID, "remind.usage", lang)
        async with self.store.session(chat) as session:
            plan = await session.current_plan()
            lang = plan.language if plan is not None else lang
            if not await session.set_follow_settings(time_zone=zone, hour=hour):
                return notice(kinds.INFO, "ui.no_plan", lang)
            now = await session.follow_settings()
            if plan is not None and plan.id is not None and plan.status == DONE:
                # The reminders still ahead move to the new hour.
                await session.schedule_follow_up(plan, await session.tasks(plan.id), self.clock())
        return notice(kinds.INFO, "remind.time_set", lang, hour=now.hour, zone=now.time_zone)

    async def review_answer(
        self,
        chat: ChatRef,
        member: MemberRef,
        plan_id: int | None,
        kind: str | None,
        step: str,
        value: str,
    ) -> Reply:
        """Store one review answer (``step``: reached | worked | next) and ask the next.

        ``plan_id``/``kind`` None: the chat's finished plan, and the kind of its review in
        progress (a typed answer names neither)."""
        async with self.store.session(chat) as session:
            if plan_id is None:
                plan = await work_plan(session)
            else:
                plan = next((p for p in await session.plans() if p.id == plan_id), None)
            if plan is None or plan.id is None or plan.status != DONE:
                return notice(kinds.STALE, "ui.foreign_button", self.language_for(member))
            if kind is None:
                earlier = await session.review_answers(plan.id)
                kind = earlier[-1].kind if earlier else REVIEW
            await session.save_review_answer(plan.id, kind, step, value, member, self.clock())
        following = review_next(step, plan.language)
        return Reply(
            kind=kinds.INFO,
            text=following.text,
            options=following.options,
            plan_id=plan.id,
            language=plan.language,
            changed=True,
        )

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


# Task-board events: on a two-sided plan they go to the one shared board.
BOARD_EVENTS = (
    ev.ShowTasks,
    ev.ClaimTask,
    ev.TickTask,
    ev.PickDue,
    ev.SetDue,
    ev.SnoozeTask,
    ev.FreeTask,
)
# Meta flag of the inviting plan: its tasks are the merged split of both halves.
MERGED_BOARD = "merged_board"


class _LostClaim(Exception):
    """Another chat used the invite between our check and our claim."""


def _is_partner_half(plan: Plan) -> bool:
    return side_of(plan.answers) == THEIRS


def _partner_name(theirs: Plan, lang: str) -> str:
    return str(theirs.answers.get("p_name") or t("two.partner_unnamed", lang))


def _in(reply: Reply, language: str, **changes: Any) -> Reply:
    """``reply`` marked with the language it was written in (notices already are), and with
    ``changes`` (one copy of its fields)."""
    if not reply.language:
        changes["language"] = language
    return revised(reply, **changes) if changes else reply
