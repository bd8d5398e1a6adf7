"""Version conflicts are counted: a write another member or instance beat."""

from __future__ import annotations

from bot.metered_store import CountingStore
from bot.metrics import Metrics
from flows import events as ev
from flows.model import ChatRef, MemberRef
from flows.service import PlanningService
from storage.store import SqlStore
from tests.storage.sql_helpers import count_rows

CHAT = ChatRef("telegram", "-100777", "group", "Club")


def conflicts(metrics: Metrics) -> float:
    value = metrics.registry.get_sample_value("partnerbot_version_conflicts_total")
    return value or 0.0


async def test_a_lost_race_is_counted_once(store: SqlStore) -> None:
    metrics = Metrics()
    counted = CountingStore(store, metrics)
    service = PlanningService(counted)
    aino, pekka = MemberRef("1", "Aino"), MemberRef("2", "Pekka")
    await service.handle(CHAT, aino, ev.Start())
    async with counted.session(CHAT) as first, counted.session(CHAT) as second:
        plan_a = await first.current_plan()
        plan_b = await second.current_plan()
        assert plan_a is not None and plan_b is not None
        assert await first.save_plan(plan_a, plan_a.version, aino)
    async with counted.session(CHAT) as third:
        assert not await third.save_plan(plan_b, plan_b.version, pekka)  # seen before Aino's
    assert conflicts(metrics) == 1.0
    # Everything else passes through unchanged.
    assert (await count_rows(counted, CHAT))["plan"] == 1
    assert conflicts(metrics) == 1.0
