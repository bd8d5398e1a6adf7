"""Two bot instances (two Applications, two SqlStore engines) on one PostgreSQL database.

The PostgreSQL server comes from ``tests/conftest.py`` (``pg_url``: this run's scratch
database; skipped, with the reason, when no server answers).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import pytest
from sqlalchemy import text
from test_tg_group import (
    ANNA,
    BEN,
    GROUP,
    button_data,
    group_ref,
    member,
    plan_of,
    toast_for,
    walk_to,
)
from tg_support import settled

from bot.telegram.callback_data import Action
from flows.service import PlanningService
from flows.texts import t
from storage.store import SqlStore
from tests.conftest import _drop_tables, run_in_thread

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("roomy_group_limit")]

WAIT = 60.0  # seconds to wait for both instances to queue up on the plan row


@pytest.fixture
async def two_stores(pg_url: str) -> AsyncIterator[tuple[SqlStore, SqlStore]]:
    """Two stores with their own engines (as in two processes), on empty tables."""
    run_in_thread(lambda: _drop_tables(pg_url))
    first = await SqlStore.open(pg_url, migrate=True)
    second = await SqlStore.open(pg_url, migrate=False)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def _waiting_on_locks(store: SqlStore) -> int:
    async with store.engine.connect() as conn:
        result = await conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
        return int(result.scalar_one())


async def race(store: SqlStore, plan_id: int, *updates: Coroutine[Any, Any, None]) -> None:
    """Run ``updates`` so that they certainly race: hold the plan's row, so that each reads
    the plan at the same version and then queues up to write it; let go once all wait."""
    async with store.engine.connect() as holder:
        held = await holder.begin()
        await holder.execute(text("SELECT id FROM plan WHERE id = :id FOR UPDATE"), {"id": plan_id})
        tasks = [asyncio.create_task(update) for update in updates]
        deadline = asyncio.get_running_loop().time() + WAIT
        while await _waiting_on_locks(store) < len(tasks):
            assert asyncio.get_running_loop().time() < deadline, "the updates never met"
            assert not any(task.done() for task in tasks), "an update finished without waiting"
            await asyncio.sleep(0.01)
        await held.rollback()
    await asyncio.gather(*tasks)


async def test_two_instances_apply_one_of_two_simultaneous_taps(
    make_bot: Any, two_stores: tuple[SqlStore, SqlStore]
) -> None:
    store_a, store_b = two_stores
    bot_a = await make_bot(PlanningService(store_a))
    bot_b = await make_bot(PlanningService(store_b))
    anna = member(bot_a, ANNA, "Anna")  # her taps reach instance A
    ben = member(bot_b, BEN, "Ben")  # his reach instance B
    await anna.say("/plan")
    question = await walk_to(anna, store_a, "strategy_goal")
    # One Telegram: instance B can edit the message that A sent.
    bot_b.request.messages[(GROUP, question["message_id"])] = dict(question)
    before = await plan_of(store_a)
    options = button_data(question, Action.ANSWER)
    calls = {bot_a: len(bot_a.request.calls), bot_b: len(bot_b.request.calls)}
    anna_tap = anna.tap_update(question, options[0])
    ben_tap = ben.tap_update(question, options[1])

    await race(
        store_a,
        before.id or 0,
        bot_a.app.process_update(anna_tap),
        bot_b.app.process_update(ben_tap),
    )
    await settled(bot_a.app, bot_b.app)
    # Exactly one answer applied; the stored plan is consistent from either instance.
    plan_a, plan_b = await plan_of(store_a), await plan_of(store_b)
    assert (plan_a.version, plan_a.answers, plan_a.state) == (
        plan_b.version,
        plan_b.answers,
        plan_b.state,
    )
    assert plan_a.version == before.version + 1
    assert plan_a.state == "target_benefit"
    async with store_b.session(group_ref()) as session:
        rows = [
            r for r in await session.answer_history(plan_a.id or 0) if r.question == "strategy_goal"
        ]
    assert len(rows) == 1
    winner = rows[0].member.name
    chosen = {"Anna": "more_members", "Ben": "visibility"}
    assert plan_a.answers["strategy_goal"] == rows[0].value == chosen[winner]
    assert plan_a.meta["answered_by"]["strategy_goal"] == winner
    # The loser's version-checked write found the plan moved on: told who answered first.
    loser_bot, loser_tap = (bot_b, ben_tap) if winner == "Anna" else (bot_a, anna_tap)
    winner_bot, winner_tap = (bot_a, anna_tap) if winner == "Anna" else (bot_b, ben_tap)
    assert toast_for(loser_bot, loser_tap.callback_query.id) == t("ui.conflict_by", name=winner)  # type: ignore[union-attr]
    assert toast_for(winner_bot, winner_tap.callback_query.id) is None  # type: ignore[union-attr]
    # Only the winner's instance touched the message and asked the next question.
    made = {bot: [c.method for c in bot.request.calls[calls[bot] :]] for bot in calls}
    assert made[loser_bot] == ["answerCallbackQuery"]
    assert "sendMessage" in made[winner_bot]  # target_benefit is a text question


async def test_simultaneous_votes_on_two_instances_are_both_counted(
    make_bot: Any, two_stores: tuple[SqlStore, SqlStore]
) -> None:
    store_a, store_b = two_stores
    bot_a = await make_bot(PlanningService(store_a))
    bot_b = await make_bot(PlanningService(store_b))
    anna, ben = member(bot_a, ANNA, "Anna"), member(bot_b, BEN, "Ben")
    await anna.say("/plan")
    scale = await walk_to(anna, store_a, "field_closeness")
    bot_b.request.messages[(GROUP, scale["message_id"])] = dict(scale)
    before = await plan_of(store_a)
    votes = button_data(scale, Action.ANSWER)
    anna_vote, ben_vote = anna.tap_update(scale, votes[3]), ben.tap_update(scale, votes[4])
    await race(
        store_a,
        before.id or 0,
        bot_a.app.process_update(anna_vote),
        bot_b.app.process_update(ben_vote),
    )
    await settled(bot_a.app, bot_b.app)
    # One vote lost the race to the other and was cast again: both count, nobody is refused.
    plan = await plan_of(store_b)
    stored = {v["name"]: v["value"] for v in plan.meta["votes"]["field_closeness"].values()}
    assert stored == {"Anna": 4, "Ben": 5}
    assert plan.version == before.version + 2 and plan.state == "field_closeness"
    # Nobody is refused: each is told their own (hidden) vote.
    anna_toast = toast_for(bot_a, anna_vote.callback_query.id)  # type: ignore[union-attr]
    assert anna_toast == t("ui.vote_counted", value=4)
    assert toast_for(bot_b, ben_vote.callback_query.id) == t("ui.vote_counted", value=5)  # type: ignore[union-attr]
