"""One process hammering a shared plan: answers whatever question is current, N times.

Run as ``python -m tests.reliability.hammer_worker URL MEMBER COUNT OUT``; writes one JSON line
per answer the service acknowledged to OUT. Loopback databases only; bounded by COUNT.
"""

from __future__ import annotations

import asyncio
import json
import sys
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


def value_for(question: str, member: str, i: int) -> Any:
    q = by_key(question)
    if q.kind == TEXT:
        return f"{member} #{i}"
    if q.kind == SCALE:
        return 1 + i % 5
    if q.kind == MULTI:
        return [q.options[i % len(q.options)]]
    return q.options[i % len(q.options)]


async def main(url: str, name: str, count: int, out: str) -> None:
    install_catalogs()
    store = await SqlStore.open(url, migrate=False)
    service = PlanningService(store)
    member = MemberRef(name, name)
    acknowledged = []
    try:
        for i in range(count):
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


if __name__ == "__main__":
    url, name, count, out = sys.argv[1:5]
    asyncio.run(main(url, name, int(count), out))
