"""Two-sided plans through the service, on both databases: invite, join, both halves, the
merged result, disagreements, privacy, expiry, revocation, forged codes, concurrent writers."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from flows import events as ev
from flows import reply as kinds
from flows.model import ChatRef, MemberRef
from flows.questionnaire import MULTI, SCALE, TEXT, by_key
from flows.reply import Reply
from flows.service import PlanningService
from storage.models import PartnerInviteRow
from storage.store import SqlStore
from tests.storage.conftest import Query
from tests.storage.sql_helpers import count_rows

HOST = ChatRef("telegram", "42", "private", "Chess club")
THEM = ChatRef("telegram", "-200", "group", "Youth centre group")
OTHER = ChatRef("telegram", "-300", "group", "Someone else")
ANNA = MemberRef("1", "Anna")
YUSUF = MemberRef("7", "Yusuf")
EVE = MemberRef("9", "Eve")

SECRET = "Our board must not lose face"  # a free-text answer of ours
OURS = {
    "aims": ["joint_event"],
    "partner_kind": "association",
    "value_closeness": 5,
    "field_closeness": 4,
    "time_span": "several_years",
    "partner_offers": ["money"],  # our guess
    "target_benefit": SECRET,
    "success_measure": SECRET,
}
THEIRS = {
    "p_name": "Youth Centre",
    "p_kind": "association",
    "p_offer": ["premises", "volunteers"],
    "p_value_closeness": 2,
    "p_field_closeness": 4,
    "p_time_span": "one_day",
    "p_value_conflict": "alcohol",
    "p_contact": "Yusuf, 040 123",
}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _default(key: str) -> Any:
    question = by_key(key)
    if question.kind == TEXT:
        return "some words"
    if question.kind == SCALE:
        return 3
    if question.kind == MULTI:
        return [question.options[0]]
    return question.options[0]


async def play(
    service: PlanningService, chat: ChatRef, member: MemberRef, answers: dict[str, Any]
) -> Reply:
    """Answer every question the plan asks (from ``answers``, else a plain default), finish."""
    reply = await service.handle(chat, member, ev.Start())
    for _ in range(60):
        if reply.kind == kinds.REVIEW:
            return await service.handle(chat, member, ev.Finish())
        assert reply.kind == kinds.QUESTION, reply.text
        key = reply.question
        assert key is not None
        reply = await service.handle(chat, member, ev.Answer(key, answers.get(key, _default(key))))
        if reply.kind == kinds.QUESTION and reply.question == key:
            # In a group a vote or a tick waits for Done.
            reply = await service.handle(chat, member, ev.Done(key))
    raise AssertionError("the questionnaire did not end")


async def invited(service: PlanningService) -> str:
    await play(service, HOST, ANNA, OURS)
    reply = await service.invite(HOST, ANNA)
    assert reply.invite_code is not None
    return reply.invite_code


async def test_invite_join_both_halves_merged_result(store: SqlStore, query: Query) -> None:
    service = PlanningService(store, clock=Clock())
    code = await invited(service)
    assert len(code) <= 64 and set(code) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
    )
    # Only the hash is stored.
    rows = await query(select(PartnerInviteRow.token_hash))
    assert [r[0] for r in rows] == [hashlib.sha256(code.encode()).hexdigest()]

    preview = await service.open_invite(THEM, YUSUF, code)
    assert preview.kind == kinds.INVITE
    assert "Chess club" in preview.text and "joint event" in preview.text.lower()
    assert SECRET not in preview.text
    assert [o.key for o in preview.options] == ["join", "decline"]

    first = await service.join(THEM, YUSUF, code)
    assert first.kind == kinds.QUESTION and first.question == "p_name"
    assert "Chess club" in (first.header or "")

    done = await play(service, THEM, YUSUF, THEIRS)
    # Both halves done: the partner sees the merged result, from its own side.
    assert "Joint plan of Chess club and Youth Centre" in done.text
    assert "Closeness of values: you 2, the partner 5" in done.text
    assert "Time span: you One day, the partner Several years" in done.text
    assert "Value conflict: you Alcohol, the partner no concern" in done.text
    assert SECRET not in done.text and SECRET not in (done.details or "")

    ours = await service.handle(HOST, ANNA, ev.Summary())
    assert "Joint plan of Chess club and Youth Centre" in ours.text
    assert "Closeness of values: you 5, the partner 2" in ours.text
    assert "Value conflict: you no concern, the partner Alcohol" in ours.text
    # The partner's offer replaced our guess of money.
    details = ours.details or ""
    assert "premises" in details.lower() and "money" not in details.lower()


async def test_the_host_waits_and_the_partner_waits(store: SqlStore) -> None:
    service = PlanningService(store, clock=Clock())
    await play(service, HOST, ANNA, {**OURS})
    code = (await service.invite(HOST, ANNA)).invite_code
    assert code
    await service.join(THEM, YUSUF, code)
    ours = await service.handle(HOST, ANNA, ev.Summary())
    assert ours.kind == kinds.RESULT
    assert "Your partner has not finished its half yet." in ours.notes[-1]


async def test_bad_codes_get_one_line_and_change_nothing(store: SqlStore) -> None:
    clock = Clock()
    service = PlanningService(store, clock=clock, invite_days=14)
    code = await invited(service)
    before = await count_rows(store)

    forged = await service.join(THEM, YUSUF, "x" * 43)
    assert forged.text == "This invite link is not valid. Ask for a new link."
    odd = await service.open_invite(THEM, YUSUF, "bad code!")
    assert odd.text == forged.text
    own = await service.join(HOST, ANNA, code)
    assert own.text == "This is your own invite. Send the link to your partner."

    clock.now += timedelta(days=14, seconds=1)
    expired = await service.join(THEM, YUSUF, code)
    assert expired.text == "This invite link has expired. Ask for a new link."
    assert await count_rows(store) == before

    clock.now -= timedelta(days=1)  # still valid: a new invite revokes this one
    newer = (await service.invite(HOST, ANNA)).invite_code
    assert newer and newer != code
    revoked = await service.open_invite(THEM, YUSUF, code)
    assert revoked.text == "This invite link was ended. Ask for a new link."
    ended = await service.invite(HOST, ANNA, revoke=True)
    assert ended.text == "The invite has ended. The link does not work any more."
    assert (await service.join(THEM, YUSUF, newer)).text == revoked.text
    assert (await service.invite(HOST, ANNA, revoke=True)).text == (
        "There is no open invite to end."
    )

    third = (await service.invite(HOST, ANNA)).invite_code
    assert third
    await service.join(THEM, YUSUF, third)
    used = await service.join(OTHER, EVE, third)
    assert used.text == "This invite link has already been used. Ask for a new link."
    assert (await count_rows(store, OTHER))["plan"] == 0


async def test_two_chats_joining_at_once_one_gets_in(store: SqlStore) -> None:
    service = PlanningService(store, clock=Clock())
    code = await invited(service)
    first, second = await asyncio.gather(
        service.join(THEM, YUSUF, code), service.join(OTHER, EVE, code)
    )
    kinds_seen = sorted([first.kind, second.kind])
    assert kinds_seen == [kinds.INVALID, kinds.QUESTION]
    plans = (await count_rows(store, THEM))["plan"] + (await count_rows(store, OTHER))["plan"]
    assert plans == 1


async def test_both_sides_answering_at_the_same_moment(store: SqlStore) -> None:
    service = PlanningService(store, clock=Clock())
    await service.handle(HOST, ANNA, ev.Start())
    code = (await service.invite(HOST, ANNA)).invite_code
    assert code
    await service.join(THEM, YUSUF, code)
    # Each side writes its own half: neither write is lost.
    ours, theirs = await asyncio.gather(
        service.handle(HOST, ANNA, ev.Answer("aims", ["joint_event"])),
        service.handle(THEM, YUSUF, ev.Answer("p_name", "Youth Centre")),
    )
    assert ours.changed and theirs.changed
    summary = await service.handle(THEM, YUSUF, ev.Summary())
    assert "Youth Centre" in summary.text


async def test_forget_on_one_side_leaves_the_other(store: SqlStore) -> None:
    service = PlanningService(store, clock=Clock())
    code = await invited(service)
    await service.join(THEM, YUSUF, code)
    await play(service, THEM, YUSUF, THEIRS)

    assert await service.partner_chats(THEM) == [ChatRef("telegram", "42", title="Chess club")]
    await service.forget(THEM, member=YUSUF)
    assert (await count_rows(store, THEM))["plan"] == 0
    # Ours is kept, and is our own result again.
    ours = await service.handle(HOST, ANNA, ev.Summary())
    assert ours.kind == kinds.RESULT and "Joint plan" not in ours.text
    assert (await count_rows(store, HOST))["answer"] > 0


async def test_the_host_forgetting_tells_the_partner(store: SqlStore) -> None:
    service = PlanningService(store, clock=Clock())
    code = await invited(service)
    await service.join(THEM, YUSUF, code)
    await play(service, THEM, YUSUF, THEIRS)
    assert [c.chat_id for c in await service.partner_chats(HOST)] == ["-200"]
    await service.forget(HOST, member=ANNA)
    theirs = await service.handle(THEM, YUSUF, ev.Summary())
    assert theirs.text == "Your partner left the joint plan and deleted its answers."


async def test_the_partner_half_cannot_invite_or_restart(store: SqlStore) -> None:
    service = PlanningService(store, clock=Clock())
    code = await invited(service)
    await service.join(THEM, YUSUF, code)
    invite = await service.invite(THEM, YUSUF)
    assert invite.invite_code is None and invite.kind == kinds.INVALID
    restart = await service.handle(THEM, YUSUF, ev.Restart())
    assert restart.kind == kinds.INVALID
    assert (await count_rows(store, THEM))["plan"] == 1


async def test_decline_ends_the_invite(store: SqlStore) -> None:
    service = PlanningService(store, clock=Clock())
    code = await invited(service)
    said_no = await service.decline(THEM, YUSUF, code)
    assert said_no.text == "You said no. Nothing about you was stored."
    assert (await count_rows(store, THEM))["association"] == 0
    assert (await service.join(THEM, YUSUF, code)).kind == kinds.INVALID


async def test_the_agreement_names_both_organisations(store: SqlStore) -> None:
    service = PlanningService(store, clock=Clock())
    code = await invited(service)
    assert await service.partner_organisation(HOST) is None
    await service.join(THEM, YUSUF, code)
    await play(service, THEM, YUSUF, THEIRS)
    assert await service.partner_organisation(HOST) == "Youth Centre"
    doc = await service.agreement(HOST)
    assert isinstance(doc, dict)
    partner = doc["parties"]["partner"]
    assert partner["name"] == "Youth Centre"
    assert partner["contacts"] == ["Yusuf, 040 123"]  # its own contact person


async def _board_tasks(store: SqlStore) -> list[Any]:
    async with store.session(HOST) as session:
        plan = await session.current_plan()
        assert plan is not None and plan.id is not None
        return await session.tasks(plan.id)


async def merged_board(
    store: SqlStore, partner: MemberRef
) -> tuple[PlanningService, dict[str, Any], str, str]:
    """Both halves done and the shared board made: the service, the board's tasks by key, a
    task of the partner's alone and one of ours."""
    from flows.model import PARTNER, US
    from flows.tasks import is_joint

    service = PlanningService(store, clock=Clock())
    code = await invited(service)
    await service.join(THEM, partner, code)
    await play(service, THEM, partner, THEIRS)
    await service.handle(HOST, ANNA, ev.ShowTasks())  # the board becomes the merged split
    tasks = {task.key: task for task in await _board_tasks(store)}
    theirs = next(k for k, x in tasks.items() if x.owner == PARTNER and not is_joint(x))
    ours = next(k for k, x in tasks.items() if x.owner == US and not is_joint(x))
    return service, tasks, theirs, ours


def _ticks(reply: Reply) -> list[str]:
    return [o.key.removeprefix("tick:") for o in reply.options if o.key.startswith("tick:")]


async def test_one_shared_board_each_side_its_own_tasks(store: SqlStore) -> None:
    from flows.model import PARTNER, US
    from flows.tasks import is_joint

    service = PlanningService(store, clock=Clock())
    code = await invited(service)
    await service.join(THEM, YUSUF, code)
    await play(service, THEM, YUSUF, THEIRS)

    ours = await service.handle(HOST, ANNA, ev.ShowTasks())
    assert ours.kind == kinds.BOARD
    tasks = {task.key: task for task in await _board_tasks(store)}
    # The merged split: the partner's own offer (premises) decides tasks, not our guess.
    owners = [tasks[key].owner for key in _ticks(ours)]
    assert owners == sorted(owners, key=lambda owner: owner != US)  # ours first

    theirs = await service.handle(THEM, YUSUF, ev.ShowTasks())
    assert theirs.kind == kinds.BOARD and theirs.plan_id != ours.plan_id
    seen = [tasks[key].owner for key in _ticks(theirs)]
    assert seen == sorted(seen, key=lambda owner: owner != PARTNER)  # theirs first
    # The same board (one page each, its own first): the same count, the same tasks.
    assert theirs.text.splitlines()[0] == ours.text.splitlines()[0]
    assert set(_ticks(theirs)) <= set(tasks)

    their_task = next(k for k, x in tasks.items() if x.owner == PARTNER and not is_joint(x))
    our_task = next(k for k, x in tasks.items() if x.owner == US and not is_joint(x))
    before = await _board_tasks(store)
    refused = await service.handle(THEM, YUSUF, ev.TickTask(our_task, True))
    assert refused.text == t_("two.not_your_task")
    refused = await service.handle(THEM, YUSUF, ev.ClaimTask(our_task))
    assert refused.kind == kinds.INVALID
    assert await _board_tasks(store) == before

    # Both sides at the same moment, each on its own task: both are kept.
    a, b = await asyncio.gather(
        service.handle(HOST, ANNA, ev.TickTask(our_task, True)),
        service.handle(THEM, YUSUF, ev.ClaimTask(their_task)),
    )
    assert a.kind == kinds.BOARD and b.kind == kinds.BOARD
    after = {task.key: task for task in await _board_tasks(store)}
    assert after[our_task].done_by == "Anna"
    assert after[their_task].claimed_by == "Yusuf"


async def test_due_days_on_the_shared_board_each_side_its_own(
    store: SqlStore, query: Query
) -> None:
    from datetime import date

    from flows.texts import format_day
    from storage.models import ReminderRow

    service, tasks, their_task, our_task = await merged_board(store, YUSUF)

    before = await _board_tasks(store)
    refused = await service.handle(THEM, YUSUF, ev.SetDue(our_task, "2026-05-20"))
    assert refused.text == t_("two.not_your_task")
    assert await _board_tasks(store) == before

    await service.handle(THEM, YUSUF, ev.ClaimTask(their_task))
    dated = await service.handle(THEM, YUSUF, ev.SetDue(their_task, "2026-05-20"))
    assert dated.kind == kinds.BOARD
    after = {task.key: task for task in await _board_tasks(store)}
    # The partner's due day and claim are stored on the one board, the other tasks untouched.
    assert after[their_task].due_on == "2026-05-20"
    assert after[their_task].claimed_by == "Yusuf" and after[their_task].claimed_by_id == "7"
    assert after[our_task] == tasks[our_task]
    # The inviting side sees the day, and its plan owes the reminders of it.
    ours = await service.handle(HOST, ANNA, ev.ShowTasks())
    assert format_day(date(2026, 5, 20), "en") in ours.text
    rows = await query(select(ReminderRow.task_key))
    assert their_task in {r[0] for r in rows}


def t_(key: str) -> str:
    from flows.texts import t

    return t(key)


async def test_the_partner_reads_our_words_only_when_we_share_them(store: SqlStore) -> None:
    service = PlanningService(store, clock=Clock())
    code = await invited(service)
    await service.join(THEM, YUSUF, code)
    await play(service, THEM, YUSUF, THEIRS)

    theirs = await service.agreement(THEM)
    assert isinstance(theirs, dict)
    assert SECRET not in str(theirs)
    assert theirs["parties"]["partner"]["name"] == "Youth Centre"
    ours = await service.agreement(HOST)
    assert isinstance(ours, dict) and SECRET in str(ours)
    assert ours["form"] == theirs["form"] and ours["tasks"] == theirs["tasks"]

    shared = await service.share_texts(HOST, ANNA, True)
    assert shared.text.startswith("Your partner can now read")
    theirs = await service.agreement(THEM)
    assert SECRET in str(theirs)
    assert (await service.share_texts(THEM, YUSUF, True)).kind == kinds.INVALID

    await service.share_texts(HOST, ANNA, False)
    assert SECRET not in str(await service.agreement(THEM))
