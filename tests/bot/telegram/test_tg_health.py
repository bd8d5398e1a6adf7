"""Readiness, check by check, without a process: what /readyz says and why."""

from __future__ import annotations

import time
from pathlib import Path

from tg_fleet import free_port

from bot.metrics import Metrics
from bot.telegram.health import Health
from bot.telegram.metered import MeteredRequest, method_of
from storage import migrate
from storage.db import default_sqlite_url
from storage.store import SqlStore


async def _ok() -> object:
    return object()


async def _unreachable() -> object:
    raise ConnectionError("no route")


async def test_ready_needs_the_schema_at_this_release(tmp_path: Path) -> None:
    url = default_sqlite_url(tmp_path / "bot.db")
    store = SqlStore(url)
    health = Health(store.schema_revision, [], _ok)
    try:
        never = await health.readiness()
        assert not never.ready
        assert never.checks["database"] == (
            f"schema at None, expected {migrate.HEAD_REVISION}: run partnerbot db upgrade"
        )
        await migrate.upgrade_async(url)
        assert (await health.readiness()).checks == {"database": "ok", "bot_api": "ok"}
        health.draining = True
        assert not (await health.readiness()).ready
    finally:
        await store.close()


async def test_not_ready_without_a_database_server() -> None:
    store = SqlStore(f"postgresql+asyncpg://nobody@127.0.0.1:{free_port()}/none")
    try:
        readiness = await Health(store.schema_revision, [], _ok, timeout=10).readiness()
    finally:
        await store.close()
    assert not readiness.ready
    assert readiness.checks["database"].startswith("not reachable (")
    assert readiness.checks["bot_api"] == "ok"


async def test_bot_api_is_asked_only_when_telegram_was_quiet(tmp_path: Path) -> None:
    url = default_sqlite_url(tmp_path / "bot.db")
    await migrate.upgrade_async(url)
    store = SqlStore(url)
    request = MeteredRequest(Metrics())
    try:
        health = Health(store.schema_revision, [request], _unreachable)
        readiness = await health.readiness()
        assert readiness.checks["bot_api"] == "not reachable (ConnectionError)"
        request.last_answer = time.monotonic()  # Telegram just answered a call
        assert (await health.readiness()).ready
    finally:
        await store.close()


def test_metric_labels_name_the_method_never_the_token_or_a_path() -> None:
    assert method_of("https://api.telegram.org/bot1:abc/sendMessage") == "sendMessage"
    assert method_of("https://api.telegram.org/file/bot1:abc/documents/file_1.pdf") == "other"
    assert method_of("http://127.0.0.1:8081/bot1:abc/") == "other"


def test_a_newer_schema_is_not_behind() -> None:
    assert migrate.behind(None)
    assert migrate.behind("0001")  # this release ships 0002 on top
    assert not migrate.behind(migrate.HEAD_REVISION)
    assert not migrate.behind("a_revision_of_a_newer_release")
