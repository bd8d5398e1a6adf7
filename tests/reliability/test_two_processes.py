"""Two processes answering the same plan at once, on one database: the plan stays consistent
and every acknowledged answer is in the history."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from flows import events as ev
from flows.model import MemberRef
from flows.questionnaire import REVIEW, applicable
from flows.service import PlanningService
from storage.migrate import upgrade_async
from storage.store import SqlStore
from tests.reliability.hammer_worker import CHAT

ROOT = Path(__file__).resolve().parents[2]
ANSWERS_EACH = 60


async def test_two_processes_hammering_one_plan(db_url: str, tmp_path: Path) -> None:
    await upgrade_async(db_url)
    store = await SqlStore.open(db_url, migrate=False)
    service = PlanningService(store)
    await service.handle(CHAT, MemberRef("0", "Setup"), ev.Start())

    outs = [tmp_path / f"worker{n}.jsonl" for n in (1, 2)]
    ready = [tmp_path / f"ready{n}" for n in (1, 2)]
    go = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.reliability.hammer_worker",
                db_url,
                f"w{n}",
                str(ANSWERS_EACH),
                str(out),
                str(mark),
                str(go),
            ],
            cwd=ROOT,
        )
        for n, out, mark in zip((1, 2), outs, ready, strict=True)
    ]
    # Both start hammering together, whatever each one's start-up took.
    for _ in range(12_000):
        if all(mark.exists() for mark in ready) or any(w.poll() is not None for w in workers):
            break
        await asyncio.sleep(0.01)
    go.touch()
    for worker in workers:
        assert worker.wait(timeout=120) == 0  # each got ANSWERS_EACH answers through

    acknowledged = [json.loads(line) for out in outs for line in out.read_text().splitlines()]
    async with store.session(CHAT) as session:
        plan = await session.current_plan()
        assert plan is not None and plan.id is not None
        history = await session.answer_history(plan.id)
    await store.close()

    # Both processes got their answers through, and none was lost.
    assert len(acknowledged) == 2 * ANSWERS_EACH
    assert {row.member.name for row in history} >= {"w1", "w2"}
    stored = [(row.question, row.value) for row in history]
    for row in acknowledged:
        assert (row["question"], row["value"]) in stored
    # Exactly one write per version: the setup plan, then one per history row or move.
    assert len(history) == len(acknowledged)
    # The plan's answers are the latest history value of each question.
    latest = {}
    for row in history:
        latest[row.question] = row.value
    assert plan.answers == latest
    assert plan.state == REVIEW or plan.state in [q.key for q in applicable(plan.answers)]
