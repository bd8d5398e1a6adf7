"""A button, a command or an event can only act on its own chat's association."""

from __future__ import annotations

import pytest

from flows import events as ev
from flows import reply as kinds
from flows.model import ChatRef, MemberRef
from flows.service import PlanningService
from storage.store import SqlStore
from tests.storage.sql_helpers import count_rows

CHOIR = ChatRef("telegram", "-1001", "group", "Choir")
CLUB = ChatRef("telegram", "-1002", "group", "Chess club")
ANNA = MemberRef("1", "Anna")
MALLORY = MemberRef("666", "Mallory")


async def snapshot(store: SqlStore, chat: ChatRef):  # type: ignore[no-untyped-def]
    async with store.session(chat) as session:
        plan = await session.current_plan()
        history = await session.answer_history(plan.id) if plan and plan.id else []
        return plan, history


@pytest.mark.parametrize(
    "event",
    [
        ev.Answer("aims", ["joint_event"]),
        ev.Toggle("aims", "joint_event"),
        ev.Done("aims"),
        ev.Back("aims"),
        ev.Skip("aims"),
        ev.Edit("aims"),
        ev.Finish(),
        ev.TickItem("know_partner", True),
        ev.ClaimTask("event_venue"),
        ev.TickTask("event_venue", True),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_another_chats_plan_id_is_refused(store: SqlStore, event: ev.Event) -> None:
    service = PlanningService(store)
    await service.handle(CHOIR, ANNA, ev.Start())
    await service.handle(CHOIR, ANNA, ev.Toggle("aims", "share_information"))
    choir_before = await snapshot(store, CHOIR)
    choir_plan = choir_before[0]
    assert choir_plan is not None
    await service.handle(CLUB, MALLORY, ev.Start())
    club_before = await snapshot(store, CLUB)

    # Mallory, in the chess club, replays the choir's plan id and version.
    reply = await service.handle(CLUB, MALLORY, event, plan_id=choir_plan.id)
    assert reply.kind == kinds.STALE
    assert "does not belong to this chat" in reply.text
    assert await snapshot(store, CHOIR) == choir_before
    assert await snapshot(store, CLUB) == club_before


async def test_a_chat_without_a_plan_cannot_reach_another_chats_plan(store: SqlStore) -> None:
    service = PlanningService(store)
    await service.handle(CHOIR, ANNA, ev.Start())
    choir_before = await snapshot(store, CHOIR)
    assert choir_before[0] is not None
    reply = await service.handle(
        CLUB, MALLORY, ev.Answer("aims", ["joint_event"]), plan_id=choir_before[0].id
    )
    assert reply.kind == kinds.STALE
    assert await snapshot(store, CHOIR) == choir_before
    assert (await count_rows(store, CLUB)).get("plan", 0) == 0


async def test_forgetting_one_chat_leaves_the_others(store: SqlStore) -> None:
    service = PlanningService(store)
    for chat in (CHOIR, CLUB):
        await service.handle(chat, ANNA, ev.Start())
        await service.handle(chat, ANNA, ev.Answer("aims", ["joint_event"]))
    club_before = await snapshot(store, CLUB)
    reply = await service.forget(CHOIR)
    assert "deleted" in reply.text
    assert all(count == 0 for count in (await count_rows(store, CHOIR)).values())
    # Every row left in the whole database is the chess club's: none of the choir's remains.
    everything = await count_rows(store)
    club = await count_rows(store, CLUB)
    assert {k: v for k, v in everything.items() if v} == {k: v for k, v in club.items() if v}
    assert await snapshot(store, CLUB) == club_before
    again = await service.forget(CHOIR)
    assert "Nothing is stored" in again.text
