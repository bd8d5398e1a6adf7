"""PlanningService on the real store (SQLite and PostgreSQL): one event, one transaction."""

from __future__ import annotations

import asyncio

from flows import events as ev
from flows import reply as kinds
from flows.model import ChatRef, MemberRef
from flows.service import PlanningService
from flows.texts import t
from storage.store import SqlStore
from tests.flows.languages import play

GROUP = ChatRef("telegram", "-42", "group", "Dance club")
ANNA = MemberRef("1", "Anna")
BEN = MemberRef("2", "Ben")


async def test_restart_begins_a_new_plan_and_old_buttons_go_stale(store: SqlStore) -> None:
    service = PlanningService(store)
    first = await service.handle(GROUP, ANNA, ev.Start())
    await service.handle(GROUP, ANNA, ev.Text("1"), plan_id=first.plan_id)
    restarted = await service.handle(GROUP, ANNA, ev.Restart())
    assert restarted.question == "aims" and restarted.plan_id != first.plan_id
    old = await service.handle(
        GROUP, BEN, ev.Answer("aims", ["joint_event"]), plan_id=first.plan_id
    )
    assert old.kind == kinds.STALE
    async with store.session(GROUP) as session:
        plan = await session.current_plan()
        assert plan is not None and plan.id == restarted.plan_id and plan.answers == {}
        assert len(await session.answer_history(first.plan_id or 0)) == 1  # history kept


async def test_two_members_answering_at_once_apply_one_answer(store: SqlStore) -> None:
    service = PlanningService(store)
    shown = await service.handle(GROUP, ANNA, ev.Start())
    await service.handle(GROUP, ANNA, ev.Answer("aims", ["joint_event"]), plan_id=shown.plan_id)
    replies = await asyncio.gather(
        service.handle(GROUP, ANNA, ev.Answer("strategy_goal", "funding"), plan_id=shown.plan_id),
        service.handle(GROUP, BEN, ev.Answer("strategy_goal", "influence"), plan_id=shown.plan_id),
    )
    applied = [r for r in replies if r.previous_question == "strategy_goal"]
    refused = [r for r in replies if r not in applied]
    assert len(applied) == 1 and len(refused) == 1
    assert refused[0].kind in (kinds.CONFLICT, kinds.STALE)
    if refused[0].kind == kinds.CONFLICT:
        assert applied[0].answered_by in refused[0].text  # told who answered first
    async with store.session(GROUP) as session:
        plan = await session.current_plan()
        assert plan is not None and plan.id is not None
        history = [
            a for a in await session.answer_history(plan.id) if a.question == "strategy_goal"
        ]
    assert len(history) == 1 and history[0].member.name == applied[0].answered_by
    assert plan.answers["strategy_goal"] == history[0].value


async def test_replies_carry_the_version_they_were_made_from(store: SqlStore) -> None:
    service = PlanningService(store)
    first = await service.handle(GROUP, ANNA, ev.Start())
    second = await service.handle(GROUP, ANNA, ev.Text("1"))
    async with store.session(GROUP) as session:
        plan = await session.current_plan()
    assert plan is not None and second.version == plan.version
    assert first.version is not None and second.version == first.version + 1


async def test_the_parties_belong_to_the_association_across_plans(store: SqlStore) -> None:
    service = PlanningService(store)
    chat = ChatRef("telegram", "77")
    anna = MemberRef("1", "Anna", language="en")
    await play(service, chat, anna)
    await service.handle(chat, anna, ev.Setup("name", "First Name ry"))
    await service.handle(chat, anna, ev.Setup("contact", "Anna, anna@example.org"))
    await service.handle(chat, anna, ev.Restart())
    # While the new plan is open, /setup works on the finished one (the one /export shows) ...
    reply = await service.handle(chat, anna, ev.Setup("name", "Second Name ry"))
    assert reply.text == t("setup.name_saved", value="Second Name ry")
    doc = await service.agreement(chat)
    assert isinstance(doc, dict) and doc["parties"]["us"]["name"] == "Second Name ry"
    # ... and the new plan has it when it is finished: never asked again.
    await play(service, chat, anna)
    doc = await service.agreement(chat, member=anna)
    assert isinstance(doc, dict)
    assert doc["parties"]["us"] == {
        "name": "Second Name ry",
        "contacts": ["Anna, anna@example.org"],
    }


async def test_an_export_without_our_name_asks_and_the_next_line_answers(store: SqlStore) -> None:
    service = PlanningService(store)
    chat = ChatRef("telegram", "78")
    anna = MemberRef("1", "Anna", language="en")
    await play(service, chat, anna)
    assert (await service.handle(chat, anna, ev.Text("Kallio ry"))).text == t("ui.finished")
    doc = await service.agreement(chat)  # the command line does not ask
    assert isinstance(doc, dict) and "our_name" in doc["open_points"]
    await service.agreement(chat, member=anna)
    reply = await service.handle(chat, anna, ev.Text("  Kallio   ry "))
    assert reply.text == t("setup.name_saved", value="Kallio ry")
    doc = await service.agreement(chat, member=anna)
    assert isinstance(doc, dict) and doc["parties"]["us"]["name"] == "Kallio ry"
    assert (await service.handle(chat, anna, ev.Text("thanks"))).text == t("ui.finished")
