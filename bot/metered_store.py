"""A store that counts version conflicts: plan writes another member or instance beat.

It wraps any ``flows.ports.PlanStore`` and changes nothing: every call goes to the wrapped
store; only ``save_plan`` results of False (the version check refused the write) are counted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bot.metrics import Metrics
from flows.model import ChatRef


class _CountingSession:
    def __init__(self, inner: Any, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics

    async def save_plan(self, *args: Any, **kwargs: Any) -> bool:
        saved = bool(await self._inner.save_plan(*args, **kwargs))
        if not saved:
            self._metrics.conflicts.inc()
        return saved

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class CountingStore:
    def __init__(self, inner: Any, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics

    @asynccontextmanager
    async def session(self, chat: ChatRef) -> AsyncIterator[Any]:
        async with self._inner.session(chat) as session:
            yield _CountingSession(session, self._metrics)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
