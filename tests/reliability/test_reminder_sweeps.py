"""Reminders are sent exactly once by two instances sweeping one database, and a process
killed between the claim and the send leaves its reminders to be sent after the lease
(at-least-once: see bot/reminders.py)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from bot.reminders import LEASE, sweep
from flows import events as ev
from flows.model import ChatRef, MemberRef
from flows.service import PlanningService
from storage.migrate import upgrade_async
from storage.models import ReminderRow
from storage.store import SqlStore
from tests.reliability.sweep_worker import DIED

ROOT = Path(__file__).resolve().parents[2]
CHAT = ChatRef("telegram", "888", "private", "Sweep club")
NOW = datetime(2026, 12, 1, 8, tzinfo=UTC)
REMINDERS = 500

reminder = ReminderRow.__table__


async def _seed(url: str, count: int) -> SqlStore:
    """A plan with ``count`` reviews due before NOW (distinct times: one row each)."""
    await upgrade_async(url)
    store = await SqlStore.open(url, migrate=False)
    await PlanningService(store).handle(CHAT, MemberRef("1", "Setup"), ev.Start())
    async with store.session(CHAT) as session:
        plan = await session.current_plan()
    assert plan is not None
    rows = [
        {
            "plan_id": plan.id,
            "kind": "review",
            "task_key": "",
            "due_at": NOW - timedelta(minutes=i),
            "attempts": 0,
        }
        for i in range(count)
    ]
    async with store.engine.begin() as conn:
        await conn.execute(insert(reminder), rows)
    return store


def _worker(url: str, out: Path, mode: str, go: Path) -> subprocess.Popen[bytes]:
    args = ["-m", "tests.reliability.sweep_worker", url, str(out), mode, NOW.isoformat()]
    return subprocess.Popen([sys.executable, *args, str(go)], cwd=ROOT)


async def _unsent(store: SqlStore) -> list[tuple[int, int]]:
    async with store.engine.connect() as conn:
        query = select(reminder.c.id, reminder.c.attempts).where(reminder.c.sent_at.is_(None))
        return sorted(tuple(row) for row in await conn.execute(query))  # type: ignore[misc]


async def test_two_processes_send_each_of_500_reminders_once(db_url: str, tmp_path: Path) -> None:
    store = await _seed(db_url, REMINDERS)
    async with store.engine.connect() as conn:
        ids = sorted(row[0] for row in await conn.execute(select(reminder.c.id)))
    go = tmp_path / "go"
    outs = [tmp_path / f"sent{n}.txt" for n in (1, 2)]
    workers = [_worker(db_url, out, "send", go) for out in outs]
    go.touch()
    for worker in workers:
        assert worker.wait(timeout=180) == 0

    sent = [[int(x) for x in out.read_text().split()] for out in outs]
    together = sorted(sent[0] + sent[1])
    assert together == ids  # every reminder sent, and none twice
    assert len(ids) == REMINDERS
    assert await _unsent(store) == []  # and every one is marked sent
    print(f"worker 1 sent {len(sent[0])}, worker 2 sent {len(sent[1])}")
    await store.close()


async def test_a_process_killed_between_claim_and_send(db_url: str, tmp_path: Path) -> None:
    store = await _seed(db_url, 3)
    go = tmp_path / "go"
    go.touch()
    dying = _worker(db_url, tmp_path / "never.txt", "die", go)
    assert dying.wait(timeout=120) == DIED
    assert not (tmp_path / "never.txt").read_text()  # it died before sending anything

    # Its claims hold until the lease runs out: no other instance sends them meanwhile.
    unsent = await _unsent(store)
    assert [attempts for _, attempts in unsent] == [1, 1, 1]
    sent: list[int] = []

    async def send(chat, due, message):  # type: ignore[no-untyped-def]
        from bot.reminders import Delivery

        sent.append(due.id)
        return Delivery.SENT

    assert (await sweep(store, send, lambda: NOW + LEASE - timedelta(seconds=1))).claimed == 0
    # Then the next sweep sends each of them, once: at-least-once delivery.
    counts = await sweep(store, send, lambda: NOW + LEASE)
    assert (counts.claimed, counts.sent) == (3, 3)
    assert sorted(sent) == [rid for rid, _ in unsent]
    assert await _unsent(store) == []
    assert (await sweep(store, send, lambda: NOW + 2 * LEASE)).claimed == 0
    await store.close()
