"""What taking an update on costs a webhook instance (``storage.updates.UpdateLog.claim``).

In webhook mode every update first claims its id in the database, one extra round trip, so
that a copy Telegram delivers again is dropped by whichever instance sees it second. This
measures that claim against the baseline of one stored answer (``PlanningService.handle``
with an answer, the per-update database work), in the same process, on SQLite and, when a
server answers, PostgreSQL. Prints medians and the ratio; run ``python -m bench.claim``.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench import pg
from bot.locales import install_catalogs
from flows import events as ev
from flows.model import ChatRef, MemberRef
from flows.service import PlanningService
from storage.db import default_sqlite_url
from storage.store import SqlStore
from storage.updates import UpdateLog

ROUNDS = 400


async def measure(url: str) -> tuple[float, float]:
    """(median seconds of one claim, median seconds of one stored answer)."""
    store = await SqlStore.open(url)
    try:
        log = UpdateLog.open(url)
        service = PlanningService(store)
        chat, member = ChatRef("telegram", "1"), MemberRef("1", "Aino")
        await service.handle(chat, member, ev.Start())
        claims, answers = [], []
        for n in range(ROUNDS):
            started = time.perf_counter()
            await log.claim(n)
            claims.append(time.perf_counter() - started)
            started = time.perf_counter()
            # Ticking one box of the first (multi-select) question: a stored write each time.
            await service.handle(chat, member, ev.Toggle("aims", "new_activity"))
            answers.append(time.perf_counter() - started)
        await log.close()
        return statistics.median(claims), statistics.median(answers)
    finally:
        await store.close()


def _line(name: str, claim: float, answer: float) -> str:
    return (
        f"{name:<10} claim {claim * 1e6:8.0f} µs   answer {answer * 1e6:8.0f} µs   "
        f"claim/answer {claim / answer:5.2f}"
    )


async def main() -> int:
    install_catalogs()  # the service's replies are rendered in the member's language
    with tempfile.TemporaryDirectory() as tmp:
        claim, answer = await measure(default_sqlite_url(Path(tmp) / "bench.db"))
    print(_line("sqlite", claim, answer))
    scratch = await pg.create()
    if isinstance(scratch, str):
        print(f"postgres   left out: {scratch}")
        return 0
    try:
        claim, answer = await measure(scratch.url)
        print(_line("postgres", claim, answer))
    finally:
        await pg.drop(scratch)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
