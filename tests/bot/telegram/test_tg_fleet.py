"""Two real ``partnerbot run`` processes in webhook mode on one PostgreSQL, behind a "load
balancer" that alternates between them: every answer is applied once, every plan finishes
consistent, and each member sees each question once, also when Telegram delivers an update
twice and the copy reaches the other instance."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tg_fake_api import FakeBotApi
from tg_fleet import (
    Instance,
    Poster,
    Walker,
    await_ready,
    free_port,
    questions_sent,
    start_instance,
    walk_all,
    webhook_env,
)

from flows.model import DONE, ChatRef
from storage.migrate import upgrade_async
from storage.store import SqlStore
from tests.conftest import _drop_tables, run_in_thread

pytestmark = pytest.mark.postgres

CHATS = 20
MIN_UPDATES = 400


@pytest.fixture
def fleet_db(pg_url: str) -> str:
    run_in_thread(lambda: _drop_tables(pg_url))
    return pg_url


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as fake:
        yield fake


def start_fleet(api: FakeBotApi, db: str, tmp_path: Path, count: int = 2) -> list[Instance]:
    instances = []
    for n in range(count):
        env = webhook_env(
            api,
            db,
            tmp_path,
            free_port(),
            # One instance registers the webhook; the others must not race it.
            PARTNERBOT_WEBHOOK_SET_ON_START="true" if n == 0 else "false",
        )
        instances.append(start_instance(env, tmp_path, f"bot{n}"))
    for instance in instances:
        await_ready(instance)
    return instances


async def stored_plans(db: str, chat_ids: list[int]) -> dict[int, tuple[Any, list[Any]]]:
    store = await SqlStore.open(db, migrate=False)
    try:
        found = {}
        for chat_id in chat_ids:
            async with store.session(ChatRef("telegram", str(chat_id))) as session:
                plan = await session.current_plan()
                assert plan is not None and plan.id is not None
                found[chat_id] = (plan, await session.answer_history(plan.id))
        return found
    finally:
        await store.close()


async def test_two_instances_serve_twenty_chats(
    api: FakeBotApi, fleet_db: str, tmp_path: Path
) -> None:
    await upgrade_async(fleet_db)  # "partnerbot db upgrade", once, before the fleet starts
    instances = start_fleet(api, fleet_db, tmp_path)
    try:
        async with httpx.AsyncClient(trust_env=False, timeout=120) as client:
            poster = Poster(instances, client)
            walkers = [
                # Some members' updates are delivered twice: after the first was handled (a
                # lost 200 from Telegram's point of view), the copy to the other instance;
                # or to both instances at the same moment.
                Walker(
                    1000 + n,
                    api,
                    poster,
                    duplicate_every=9 if n % 2 else 0,
                    race_every=7 if n % 4 == 0 else 0,
                )
                for n in range(CHATS)
            ]
            await walk_all(walkers)
        duplicates = sum(w.duplicates for w in walkers)
        assert poster.posted >= MIN_UPDATES
        assert set(poster.statuses) == {200}

        plans = await stored_plans(fleet_db, [w.chat_id for w in walkers])
        for walker in walkers:
            plan, history = plans[walker.chat_id]
            # Finished, with exactly the answers the member gave, each stored once.
            assert plan.status == DONE
            assert plan.answers == walker.answers
            stored = [(row.question, row.value) for row in history]
            assert sorted(stored) == sorted(walker.answers.items())
            # Each question was sent once, in the order the member answered them.
            assert questions_sent(api, walker.chat_id) == walker.order
            assert len(set(walker.order)) == len(walker.order)

        # Both instances did real work, and each copy was dropped by one of them.
        handled = [i.metric("partnerbot_updates_total") for i in instances]
        assert all(count > 0 for count in handled)
        assert sum(handled) == poster.posted - duplicates
        assert sum(i.metric("partnerbot_updates_duplicate_total") for i in instances) == (
            duplicates
        )
        # The webhook was registered by one instance only, with the secret.
        registered = [p for path, p in api.calls() if path.endswith("/setWebhook")]
        assert len(registered) == 1
        assert registered[0]["secret_token"] == "fleet_Secret-0123456789"
        assert registered[0]["url"] == "https://bot.example.org/telegram"
    finally:
        codes = [instance.terminate() for instance in instances]
    assert codes == [0, 0], "\n".join(i.stderr()[-3000:] for i in instances)
