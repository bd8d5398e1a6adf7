"""Concurrent writers: of two writes on one plan version exactly one wins, on every backend,
between tasks, between engines and between processes; nothing waits in vain or errors."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from flows.model import AnswerRecord, ChatRef, ChecklistRecord, MemberRef, TaskRecord
from storage.store import SqlStore
from tests.storage.sql_helpers import ALICE, BOB, GROUP, answer, count_rows, new_plan

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 30


async def test_stale_write_after_a_commit_loses(store: SqlStore) -> None:
    plan = await new_plan(store)
    async with store.session(GROUP) as s:
        alice_view = await s.current_plan()
    async with store.session(GROUP) as s:
        bob_view = await s.current_plan()
    assert alice_view is not None and bob_view is not None
    assert alice_view.version == bob_view.version == 1

    alice_view.state = "offer"
    alice_view.answers["goals"] = ["event"]
    async with store.session(GROUP) as s:
        assert await s.save_plan(alice_view, 1, ALICE, [AnswerRecord("goals", ["event"], ALICE)])

    bob_view.state = "need"
    bob_view.answers["goals"] = ["network"]
    task = TaskRecord("announce", "run", "us", None)
    item = ChecklistRecord("c1", "Bring clocks")
    async with store.session(GROUP) as s:
        lost = await s.save_plan(
            bob_view, 1, BOB, [AnswerRecord("goals", ["network"], BOB)], [task], [item]
        )
    assert lost is False
    assert bob_view.version == 1

    async with store.session(GROUP) as s:
        stored = await s.current_plan()
        assert stored is not None
        assert (stored.state, stored.version, stored.answers) == ("offer", 2, {"goals": ["event"]})
        assert plan.id is not None
        assert await s.answer_history(plan.id) == [AnswerRecord("goals", ["event"], ALICE)]
    counts = await count_rows(store, GROUP)
    # The loser wrote nothing at all: no answer, task or item, not even its member row.
    assert (counts["answer"], counts["task"], counts["checklist_item"]) == (1, 0, 0)
    assert counts["member"] == 1


async def _race(stores: list[SqlStore], members: list[MemberRef]) -> list[bool]:
    """Every member loads the plan in its own session, waits for all, then saves."""
    barrier = asyncio.Barrier(len(members))

    async def attempt(store: SqlStore, member: MemberRef) -> bool:
        async with store.session(GROUP) as s:
            plan = await s.current_plan()
            assert plan is not None
            seen = plan.version
            await barrier.wait()
            plan.state = f"by-{member.user_id}"
            plan.answers["goals"] = [member.name]
            record = AnswerRecord("goals", [member.name], member)
            return await s.save_plan(plan, seen, member, [record])

    attempts = [attempt(stores[i % len(stores)], m) for i, m in enumerate(members)]
    return await asyncio.wait_for(asyncio.gather(*attempts), TIMEOUT)


@pytest.mark.parametrize("writers", [2, 8])
@pytest.mark.parametrize("engines", [1, 2], ids=["one-engine", "two-engines"])
async def test_concurrent_stale_writes_exactly_one_wins(
    store: SqlStore,
    open_store: Callable[[], Awaitable[SqlStore]],
    writers: int,
    engines: int,
) -> None:
    """Two engines on one database stand for two bot instances (on SQLite: one file)."""
    plan = await new_plan(store)
    stores = [store] + [await open_store() for _ in range(engines - 1)]
    members = [MemberRef(str(n), f"member{n}") for n in range(writers)]

    results = await _race(stores, members)

    assert results.count(True) == 1
    winner = members[results.index(True)]
    async with store.session(GROUP) as s:
        stored = await s.current_plan()
        assert stored is not None
        assert stored.version == 2
        assert stored.state == f"by-{winner.user_id}"
        assert stored.answers == {"goals": [winner.name]}
        assert plan.id is not None
        assert await s.answer_history(plan.id) == [AnswerRecord("goals", [winner.name], winner)]


async def test_writers_of_different_chats_all_succeed(store: SqlStore) -> None:
    """Read-then-write sessions of many chats at once: they queue for the lock, none fails.

    (With a plain deferred BEGIN, SQLite answers such upgrades with "database is locked".)
    """
    chats = [ChatRef("telegram", str(1000 + n)) for n in range(12)]
    for chat in chats:
        await new_plan(store, chat)
    barrier = asyncio.Barrier(len(chats))

    async def event(chat: ChatRef) -> bool:
        async with store.session(chat) as s:
            plan = await s.current_plan()
            assert plan is not None
            await barrier.wait()
            plan.answers["goals"] = [chat.chat_id]
            ok = await s.save_plan(plan, plan.version, ALICE, [AnswerRecord("goals", 1, ALICE)])
            await asyncio.sleep(0.01)  # hold the transaction a little, as real work would
            return ok

    assert await asyncio.wait_for(asyncio.gather(*map(event, chats)), TIMEOUT) == [True] * 12
    assert (await count_rows(store))["answer"] == 12


async def test_a_writer_waits_for_a_held_lock(store: SqlStore) -> None:
    """A long transaction of one chat delays, but does not fail, another chat's write."""
    await new_plan(store, GROUP)
    other = ChatRef("telegram", "7")
    await new_plan(store, other)
    holding = asyncio.Event()

    async def long_event() -> bool:
        async with store.session(GROUP) as s:
            plan = await s.current_plan()
            assert plan is not None
            ok = await s.save_plan(plan, 1, ALICE)
            holding.set()
            await asyncio.sleep(0.5)
            return ok

    async def short_event() -> bool:
        await holding.wait()
        return await answer(store, other, BOB, "goals", ["event"])

    assert await asyncio.wait_for(asyncio.gather(long_event(), short_event()), TIMEOUT) == [
        True,
        True,
    ]


_WORKER = """
import asyncio, sys
from flows.model import AnswerRecord, ChatRef, MemberRef
from storage.store import SqlStore

async def main(url: str, who: str, n: int) -> None:
    store = await SqlStore.open(url, migrate=False)
    chat, me = ChatRef("telegram", "-100", "group"), MemberRef(who, who)
    done = lost = 0
    while done < n:
        async with store.session(chat) as s:
            plan = await s.current_plan()
            seen = plan.version
            count = plan.answers.get("count", 0) + 1
            plan.answers["count"] = count
            if await s.save_plan(plan, seen, me, [AnswerRecord("count", count, me)]):
                done += 1
            else:
                lost += 1
    await store.close()
    print(lost)

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


async def test_processes_never_lose_an_update(store: SqlStore, db_url: str) -> None:
    """Several processes increment one counter through the version check: no lost update."""
    plan = await new_plan(store, answers={"count": 0})
    processes, increments = 3, 15
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _WORKER,
            db_url,
            f"p{n}",
            str(increments),
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for n in range(processes)
    ]
    outputs = await asyncio.wait_for(asyncio.gather(*(w.communicate() for w in workers)), 120)
    for worker, (_out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err.decode()

    total = processes * increments
    async with store.session(GROUP) as s:
        stored = await s.current_plan()
        assert stored is not None
        assert stored.answers == {"count": total}
        assert stored.version == 1 + total
        assert plan.id is not None
        history = await s.answer_history(plan.id)
    # Every increment was stored exactly once, in order: 1, 2, ..., total.
    assert [r.value for r in history] == list(range(1, total + 1))
