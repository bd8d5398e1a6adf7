"""One process hammering a shared plan: answers whatever question is current until COUNT
answers were acknowledged.

Run as ``python -m tests.reliability.hammer_worker URL MEMBER COUNT OUT READY GO``: once its
store is open it creates READY and waits for GO, so that two workers start together whatever
their start-up takes; writes one JSON line per answer the service acknowledged to OUT.
Loopback databases only; bounded by ATTEMPTS_EACH times COUNT attempts (then exit 3: the
other process kept every answer from getting through).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from bot.locales import install_catalogs
from flows import events as ev
from flows import reply as kinds
from flows.model import ChatRef, MemberRef
from flows.questionnaire import MULTI, REVIEW, SCALE, TEXT, applicable, by_key
from flows.service import PlanningService
from storage.store import SqlStore

# A private chat: scale answers apply at once (in groups they would be votes).
CHAT = ChatRef("telegram", "777", "private", "Hammer club")
ATTEMPTS_EACH = 50  # attempts per answer before giving up
STARVED = 3  # exit status when the bound is reached


def value_for(question: str, member: str, i: int) -> Any:
    q = by_key(question)
    if q.kind == TEXT:
        return f"{member} #{i}"
    if q.kind == SCALE:
        return 1 + i % 5
    if q.kind == MULTI:
        return [q.options[i % len(q.options)]]
    return q.options[i % len(q.options)]


async def main(url: str, name: str, count: int, out: str, ready: Path, go: Path) -> int:
    install_catalogs()
    store = await SqlStore.open(url, migrate=False)
    service = PlanningService(store)
    member = MemberRef(name, name)
    acknowledged: list[dict[str, Any]] = []
    try:
        ready.touch()
        while not go.exists():
            await asyncio.sleep(0.005)
        for i in range(count * ATTEMPTS_EACH):
            if len(acknowledged) == count:
                break
            current = await service.handle(CHAT, member, ev.Start())
            if current.question == REVIEW:
                # Keep the plan moving: reopen a question from the review.
                keys = [q.key for q in applicable({})]
                await service.handle(CHAT, member, ev.Edit(keys[i % len(keys)]))
                continue
            question = current.question
            if question is None:
                continue
            value = value_for(question, name, i)
            reply = await service.handle(CHAT, member, ev.Answer(question, value))
            if reply.previous_question == question and reply.kind in (kinds.QUESTION, kinds.REVIEW):
                acknowledged.append({"question": question, "value": value})
    finally:
        await store.close()
        with open(out, "w", encoding="utf-8") as f:
            for row in acknowledged:
                f.write(json.dumps(row) + "\n")
    return 0 if len(acknowledged) == count else STARVED


if __name__ == "__main__":
    url, name, count, out, ready, go = sys.argv[1:7]
    sys.exit(asyncio.run(main(url, name, int(count), out, Path(ready), Path(go))))
