"""Calls to Telegram that an update does not wait for: answers to taps, sent alongside, and
redraws of one message, merged: at most one edit per message per ``REDRAW_INTERVAL``, and
always the latest state.

A burst of taps (three members ticking a checklist at once) would otherwise cost one edit per
tap, and Telegram lets a bot post only about 20 messages a minute into a group: edits would
queue for seconds behind each other, and the chat's next taps behind them. Instead a handler
answers its tap, then hands the redraw here and returns at once. The first redraw of a message
goes out straight away; later ones within the interval are merged into one, sent when the
interval is over, with whatever the newest submitted state is then. In a private chat there
is no interval: redraws only merge while an edit is on its way.

Every edit of a message the bot redraws in place goes through here, so an older pending
redraw can never land after (and over) a newer edit of the same message.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

logger = logging.getLogger(__name__)

REDRAW_INTERVAL = 1.5  # seconds between two edits of one group message; read at build time
MAX_SLOTS = 1024  # messages remembered; the least recently drawn are dropped beyond that

Draw = Callable[[], Awaitable[None]]
Key = tuple[int, int]  # (chat id, message id)


class Clock(Protocol):
    """Time as the redraws see it (tests pass a controllable one)."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class LoopClock:
    """The event loop's monotonic clock."""

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@dataclass(slots=True)
class _Slot:
    last: float = -math.inf  # when the message was last edited
    pending: Draw | None = None  # the newest redraw not yet sent
    task: asyncio.Task[None] | None = None


@dataclass
class Redraws:
    clock: Clock = field(default_factory=LoopClock)
    interval: float = field(default_factory=lambda: REDRAW_INTERVAL)
    _slots: dict[Key, _Slot] = field(default_factory=dict)
    # Redraws and calls alongside not finished yet: a reference, so a task is not collected
    # mid-way, and ``busy`` need not scan every remembered slot.
    _running: set[asyncio.Task[None]] = field(default_factory=set)

    def alongside(self, call: Coroutine[Any, Any, None]) -> None:
        """Run ``call`` (e.g. answering a tap) without the update waiting for it."""
        self._start(call)

    def _start(self, call: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(call)
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return task

    def submit(self, key: Key, draw: Draw) -> None:
        """Draw ``key``'s message with ``draw`` as soon as its interval allows; a redraw still
        waiting for that is replaced (only the latest state is drawn)."""
        slot = self._slots.pop(key, None) or _Slot()
        self._slots[key] = slot  # re-inserted: the most recently used last
        slot.pending = draw
        if slot.task is None or slot.task.done():
            slot.task = self._start(self._run(key, slot))
        self._prune()

    def remembered(self) -> int:
        """Messages whose redraws are spaced out or on their way (for tests)."""
        return len(self._slots)

    def busy(self) -> list[asyncio.Task[None]]:
        """The redraws not finished yet."""
        return [task for task in self._running if not task.done()]

    async def drain(self) -> None:
        """Wait until every submitted redraw has been sent (for shutdown and tests)."""
        while tasks := self.busy():
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, key: Key, slot: _Slot) -> None:
        # Groups have a budget of about 20 messages a minute; a private chat has no such
        # budget, and a member ticking boxes should see each tick at once: its redraws only
        # merge while one is on its way.
        interval = self.interval if key[0] < 0 else 0.0
        while slot.pending is not None:
            wait = slot.last + interval - self.clock.now()
            if wait > 0:
                await self.clock.sleep(wait)
            draw, slot.pending = slot.pending, None
            slot.last = self.clock.now()
            try:
                await draw()
            except Exception:  # a redraw is cosmetic: the state is stored already
                logger.warning(
                    "Could not redraw message %s in chat %s", key[1], key[0], exc_info=True
                )
        # Drawn, and nothing waits: a finished task (with its coroutine and context, ~1 KB)
        # need not stay with every remembered message; ``submit`` starts a new one. Without an
        # interval (private chats) the slot itself holds nothing that matters any more.
        slot.task = None
        if not interval and self._slots.get(key) is slot:
            del self._slots[key]

    def _prune(self) -> None:
        while len(self._slots) > MAX_SLOTS:
            oldest = next(iter(self._slots))
            slot = self._slots[oldest]
            if slot.task is not None and not slot.task.done():
                break  # still drawing: keep it (and everything newer)
            del self._slots[oldest]
