"""The update processor of a bot in production: chat order, plus metrics, log context and
(with several instances) each update taken on by one instance only.

It extends ``ChatOrderedUpdateProcessor``: the updates of one chat still run one after the
other. The duplicate check runs when the update's turn has come, so it never reorders them.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update

from bot.logjson import update_context
from bot.metrics import Metrics
from bot.telegram.app import MAX_CONCURRENT_UPDATES, ChatOrderedUpdateProcessor

logger = logging.getLogger(__name__)

Claim = Callable[[int], Awaitable[bool]]  # update id -> True when this instance takes it

_KINDS = (
    "message",
    "edited_message",
    "callback_query",
    "my_chat_member",
    "chat_member",
    "channel_post",
    "edited_channel_post",
    "inline_query",
    "chat_join_request",
)


def update_kind(update: object) -> str:
    """A bounded label for an update: which of its fields is set."""
    if not isinstance(update, Update):
        return "other"
    for kind in _KINDS:
        if getattr(update, kind, None) is not None:
            return kind
    return "other"


class ObservedUpdateProcessor(ChatOrderedUpdateProcessor):
    def __init__(
        self,
        metrics: Metrics,
        claim: Claim | None = None,
        max_concurrent_updates: int = MAX_CONCURRENT_UPDATES,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self.metrics = metrics
        self.claim = claim

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        update_id = update.update_id if isinstance(update, Update) else None
        with update_context(update_id, chat.id if chat else None):
            started = time.perf_counter()
            self.metrics.in_flight.inc()
            try:
                await super().do_process_update(update, self._once(update_id, update, coroutine))
            finally:
                self.metrics.in_flight.dec()
                self.metrics.latency.observe(time.perf_counter() - started)

    async def _once(self, update_id: int | None, update: object, coroutine: Awaitable[Any]) -> None:
        if self.claim is not None and update_id is not None:
            try:
                fresh = await self.claim(update_id)
            except BaseException as exc:
                _close(coroutine)
                self.metrics.errors.labels(type(exc).__name__).inc()
                raise
            if not fresh:
                _close(coroutine)
                self.metrics.duplicates.inc()
                logger.info(
                    "Dropped update %s: already taken on",
                    update_id,
                    extra={"event": "update_duplicate"},
                )
                return
        self.metrics.updates.labels(update_kind(update)).inc()
        await coroutine


def _close(coroutine: Awaitable[Any]) -> None:
    if inspect.iscoroutine(coroutine):
        coroutine.close()  # never started: no "was never awaited" warning
