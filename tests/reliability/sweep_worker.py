"""One bot instance's reminder sweep, as its own process.

Run as ``python -m tests.reliability.sweep_worker URL OUT MODE NOW GO``: waits until the file
GO exists (so that two workers start together), then sweeps at the fixed time NOW (ISO 8601)
until nothing is left to claim. Each send appends the reminder id to OUT and syncs it to
disk before the sweep marks it sent. MODE "die" ends the process abruptly (``os._exit``) at
its first send: after the claim, before the message goes out. Loopback databases only.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime
from pathlib import Path

from bot.locales import install_catalogs
from bot.reminders import Delivery, sweep
from flows.followup import ReminderMessage
from flows.model import ChatRef, DueReminder
from storage.store import SqlStore

DIED = 3  # the exit status of a worker that died between claim and send
START_WAIT = 600  # × 0.05 s: give up waiting for GO after 30 s


async def main(url: str, out: str, mode: str, now: datetime, go: Path) -> None:
    install_catalogs()
    store = await SqlStore.open(url, migrate=False)
    with open(out, "a", encoding="utf-8") as log:

        async def send(chat: ChatRef, due: DueReminder, message: ReminderMessage) -> Delivery:
            if mode == "die":
                os._exit(DIED)
            assert message.text  # the message is built for real
            log.write(f"{due.id}\n")
            log.flush()
            os.fsync(log.fileno())
            return Delivery.SENT

        for _ in range(START_WAIT):
            if go.exists():
                break
            await asyncio.sleep(0.05)
        try:
            while (await sweep(store, send, lambda: now, batch=10)).claimed:
                pass
        finally:
            await store.close()


if __name__ == "__main__":
    url, out, mode, now, go = sys.argv[1:6]
    asyncio.run(main(url, out, mode, datetime.fromisoformat(now), Path(go)))
