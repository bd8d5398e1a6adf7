"""Fixtures for the Telegram adapter: a real PTB Application on an offline Bot API."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from tg_support import Bot, make_settings

from bot.telegram import delivery, redraw
from bot.telegram.app import build_application
from bot.telegram.deps import Service
from bot.telegram.offline import OfflineRequest

MakeBot = Callable[..., Awaitable[Bot]]


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delivery, "NETWORK_RETRY_DELAY", 0)


@pytest.fixture(autouse=True)
def _redraw_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Redraws are not spaced out in time, so each tap's redraw is sent before the next tap
    (Member.send waits for it). test_tg_burst.py runs the real spacing on a controlled clock."""
    monkeypatch.setattr(redraw, "REDRAW_INTERVAL", 0)


@pytest.fixture(autouse=True)
def _log_info(caplog: pytest.LogCaptureFixture) -> None:
    # No TokenFilter here: tests check that the adapter itself never logs the token.
    caplog.set_level(logging.INFO)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    from storage.db import default_sqlite_url

    return default_sqlite_url(tmp_path / "partnerbot.db")


@pytest.fixture
async def make_bot() -> AsyncIterator[MakeBot]:
    """Builds and initializes Applications around a service; shuts them down afterwards."""
    bots: list[Bot] = []

    async def make(service: Service, **settings: Any) -> Bot:
        request = OfflineRequest()
        app = build_application(
            make_settings(**settings),
            service,
            request=request,
            get_updates_request=OfflineRequest(),
        )
        await app.initialize()  # getMe, answered by the offline request
        made = Bot(app, request, service)
        bots.append(made)
        return made

    yield make
    for made in bots:
        await made.close()


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Any]:
    from storage.store import SqlStore

    opened = await SqlStore.open(db_url, migrate=True)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def bot(make_bot: MakeBot, store: Any) -> Bot:
    """The real thing: PlanningService on a SqlStore in a temporary SQLite file."""
    from flows.service import PlanningService

    return await make_bot(PlanningService(store))


@pytest.fixture
def roomy_group_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lift the 20-messages-a-minute pacing per group (apply before building the bot), so a
    whole group conversation runs at test speed; test_tg_group.py checks the real limit."""
    monkeypatch.setattr(delivery, "GROUP_MESSAGES_PER_MINUTE", 100_000)
