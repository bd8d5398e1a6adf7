"""Helpers shared by the Telegram adapter tests (fixtures are in conftest.py)."""

from __future__ import annotations

from typing import Any

from bot.config import Settings
from bot.telegram.deps import DEPS, Service
from bot.telegram.offline import Member, OfflineRequest
from flows.model import ChatRef, Plan
from tests.storage.sql_helpers import count_rows

# Looks like a real token, so a leak would be easy to spot in any log line.
TOKEN = "123456789:AAE-partnerbot_TEST-token_9x"


def make_settings(database_url: str = "sqlite+aiosqlite:///:memory:", **changes: Any) -> Settings:
    return Settings(token=TOKEN, database_url=database_url, **changes)


class Bot:
    """One initialized Application with its offline Telegram and a member in a private chat."""

    def __init__(self, app: Any, request: OfflineRequest, service: Service) -> None:
        self.app = app
        self.request = request
        self.service = service
        self.member = Member(app, request)

    async def close(self) -> None:
        await self.app.shutdown()


async def settled(*apps: Any) -> None:
    """Wait for the calls the apps' updates made alongside (answers to taps, redraws)."""
    for app in apps:
        await app.bot_data[DEPS].redraws.drain()


def chat(chat_id: int) -> ChatRef:
    return ChatRef(transport="telegram", chat_id=str(chat_id))


async def current_plan(store: Any, chat_id: int) -> Plan | None:
    async with store.session(chat(chat_id)) as session:
        return await session.current_plan()


async def snapshot(store: Any, chat_id: int) -> tuple[Any, ...]:
    """Everything stored, as far as a test needs to see that nothing changed."""
    plan = await current_plan(store, chat_id)
    rows = await count_rows(store)
    if plan is None:
        return (rows, None)
    return (rows, plan.id, plan.state, plan.version, plan.answers, plan.meta)
