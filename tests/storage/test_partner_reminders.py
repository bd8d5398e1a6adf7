"""Reminders of a two-sided plan, on both databases: a task of the partner's that no member
with a private chat took is reminded in the partner's chat, in its language, once; our
tasks and the review stay in ours; each chat's /reminders off counts for its own."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from flows import events as ev
from flows.model import ChatRef, MemberRef
from flows.service import PlanningService
from flows.texts import t
from storage.store import SqlStore
from tests.storage.test_sql_reminders import Outbox
from tests.storage.test_two_sided import ANNA, HOST, THEM, Clock, merged_board

YUSUF_FI = MemberRef("7", "Yusuf", language="fi")  # the partner's group plans in Finnish
# 20 May 2026 is due: the day before, at 10:00 in Helsinki (UTC+3).
DAY_BEFORE = datetime(2026, 5, 19, 7, tzinfo=UTC)


async def _two_sided_with_due_days(store: SqlStore) -> tuple[PlanningService, str, str]:
    """Both halves done; a task of the partner's alone and one of ours, each due 20 May."""
    service, _, theirs, ours = await merged_board(store, YUSUF_FI)
    await service.handle(THEM, YUSUF_FI, ev.SetDue(theirs, "2026-05-20"))
    await service.handle(HOST, ANNA, ev.SetDue(ours, "2026-05-20"))
    return service, theirs, ours


async def test_a_partner_task_is_reminded_in_the_partners_chat_once(store: SqlStore) -> None:
    clock, outbox = Clock(), Outbox()
    _, theirs, ours = await _two_sided_with_due_days(store)
    clock.now = DAY_BEFORE
    # Two instances sweeping at the same moment: each reminder is sent once.
    other = await SqlStore.open(store.url, migrate=False)
    try:
        first, second = await asyncio.gather(
            asyncio.create_task(_sweep(store, outbox, clock)),
            asyncio.create_task(_sweep(other, outbox, clock)),
        )
    finally:
        await other.close()
    assert first + second == 2 and len(outbox.sent) == 2
    where = {due.task_key: (chat.chat_id, msg) for chat, due, msg in outbox.sent}
    assert where[ours][0] == HOST.chat_id
    our_name = t(f"task.{ours}")
    assert where[ours][1].text == t("remind.tomorrow", "en", task=our_name, day="20 May 2026")
    # The partner's task: its chat, in its language (Finnish), never ours.
    chat_id, msg = where[theirs]
    assert chat_id == THEM.chat_id and msg.language == "fi"
    assert msg.text == t("remind.tomorrow", "fi", task=t(f"task.{theirs}", "fi"), day="20.5.2026")
    [due] = [due for _, due, _ in outbox.sent if due.task_key == theirs]
    assert due.to_partner and due.partner_chat == ChatRef("telegram", THEM.chat_id)
    # Sent: never again, by any sweep.
    clock.now = datetime(2026, 5, 19, 9, tzinfo=UTC)
    assert await _sweep(store, outbox, clock) == 0 and len(outbox.sent) == 2


async def _sweep(store: SqlStore, outbox: Outbox, clock: Clock) -> int:
    from bot.reminders import sweep

    return (await sweep(store, outbox, clock)).sent


async def test_each_chat_turns_its_own_reminders_off(store: SqlStore) -> None:
    clock, outbox = Clock(), Outbox()
    service, theirs, ours = await _two_sided_with_due_days(store)
    # Our chat off: the partner still gets its own task's reminder; ours waits.
    await service.set_reminders(HOST, False, ANNA)
    clock.now = DAY_BEFORE
    assert await _sweep(store, outbox, clock) == 1
    assert [(c.chat_id, d.task_key) for c, d, _ in outbox.sent] == [(THEM.chat_id, theirs)]
    # The partner's chat off (and ours on again): only ours, nothing more for the partner.
    await service.set_reminders(THEM, False, YUSUF_FI)
    await service.set_reminders(HOST, True, ANNA)
    clock.now = datetime(2026, 5, 20, 7, tzinfo=UTC)  # the day itself
    await _sweep(store, outbox, clock)
    assert [(c.chat_id, d.task_key) for c, d, _ in outbox.sent[1:]] == [
        (HOST.chat_id, ours),
        (HOST.chat_id, ours),
    ]
    # The partner's chat on again: its day's reminder comes, late, once.
    await service.set_reminders(THEM, True, YUSUF_FI)
    clock.now = datetime(2026, 5, 20, 9, tzinfo=UTC)
    assert await _sweep(store, outbox, clock) == 1
    chat, due, msg = outbox.sent[-1]
    assert (chat.chat_id, due.task_key, due.kind) == (THEM.chat_id, theirs, "due")
    assert msg.text.startswith(t("remind.late", "fi"))


async def test_a_partner_task_taken_by_a_member_with_a_chat_goes_to_them(store: SqlStore) -> None:
    clock, outbox = Clock(), Outbox()
    service, theirs, _ = await _two_sided_with_due_days(store)
    await service.handle(THEM, YUSUF_FI, ev.ClaimTask(theirs))
    await service.handle(ChatRef("telegram", "7", "private", "Yusuf"), YUSUF_FI, ev.Start())
    clock.now = DAY_BEFORE
    await _sweep(store, outbox, clock)
    [due] = [due for chat, due, _ in outbox.sent if chat.chat_id == "7"]
    assert due.task_key == theirs and not due.to_partner and due.partner_task
    assert THEM.chat_id not in [chat.chat_id for chat, _, _ in outbox.sent]


async def test_done_from_the_partners_side_before_its_day_sends_nothing(store: SqlStore) -> None:
    clock, outbox = Clock(), Outbox()
    service, theirs, _ = await _two_sided_with_due_days(store)
    await service.handle(THEM, YUSUF_FI, ev.TickTask(theirs, True))
    clock.now = DAY_BEFORE
    await _sweep(store, outbox, clock)
    assert [due.task_key for _, due, _ in outbox.sent if due.task_key == theirs] == []
