"""Liveness and readiness of one bot process, for a load balancer or an orchestrator.

- alive (``/healthz``): the process and its event loop answer. Nothing else is checked, so a
  database outage never gets healthy instances restarted.
- ready (``/readyz``): this instance can handle updates now: the database answers and its
  schema has this release's migrations (or a newer release's, during a rolling upgrade),
  Telegram's Bot API answers, and the process is not stopping. While it drains after SIGTERM
  it says "not ready", so the load balancer sends updates elsewhere.

The Bot API check costs nothing while the bot is busy: any answer from Telegram in the last
minute counts. Only an idle instance asks ``getMe``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from bot.telegram.metered import MeteredRequest
from storage.migrate import HEAD_REVISION, behind

logger = logging.getLogger(__name__)

RECENT = 60.0  # seconds: an answer from Telegram this recent shows the Bot API is reachable
CHECK_TIMEOUT = 3.0  # seconds per check: a load balancer's probe must not hang


@dataclass
class Readiness:
    ready: bool
    checks: dict[str, str] = field(default_factory=dict)  # check -> "ok" or what is wrong


class Health:
    def __init__(
        self,
        schema_revision: Callable[[], Awaitable[str | None]],
        requests: Sequence[MeteredRequest],
        get_me: Callable[[], Awaitable[object]],
        *,
        timeout: float = CHECK_TIMEOUT,
    ) -> None:
        self.schema_revision = schema_revision  # SqlStore.schema_revision: one query
        self.requests = requests
        self.get_me = get_me
        self.timeout = timeout
        self.draining = False

    async def readiness(self) -> Readiness:
        if self.draining:
            return Readiness(False, {"shutdown": "stopping: finishing the updates in flight"})
        database, bot_api = await asyncio.gather(self._database(), self._bot_api())
        checks = {"database": database, "bot_api": bot_api}
        return Readiness(all(v == "ok" for v in checks.values()), checks)

    async def _database(self) -> str:
        try:
            revision = await asyncio.wait_for(self.schema_revision(), self.timeout)
        except Exception as exc:  # any failure to ask means: not reachable
            logger.warning("Readiness: database not reachable (%s)", type(exc).__name__)
            return f"not reachable ({type(exc).__name__})"
        if behind(revision):
            return f"schema at {revision}, expected {HEAD_REVISION}: run partnerbot db upgrade"
        return "ok"  # at this release's revision, or a newer release's (rolling upgrade)

    async def _bot_api(self) -> str:
        now = time.monotonic()
        answers = [r.last_answer for r in self.requests if r.last_answer is not None]
        if answers and now - max(answers) < RECENT:
            return "ok"
        try:
            await asyncio.wait_for(self.get_me(), self.timeout)
        except Exception as exc:
            logger.warning("Readiness: Bot API not reachable (%s)", type(exc).__name__)
            return f"not reachable ({type(exc).__name__})"
        return "ok"
