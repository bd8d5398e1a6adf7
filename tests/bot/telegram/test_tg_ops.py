"""Running in production: health, readiness, metrics, JSON logs, SIGTERM and a second poller,
each through a real ``partnerbot run`` process on loopback."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url
from tg_fake_api import FakeBotApi
from tg_fleet import (
    SECRET,
    Instance,
    Poster,
    await_ready,
    bot_env,
    free_port,
    start_instance,
    tap_update,
    text_update,
    wait_until,
    webhook_env,
)
from tg_support import TOKEN, current_plan

from bot.telegram.serve import ANOTHER_POLLER, WebhookIsSet
from flows.texts import t
from storage.db import default_sqlite_url
from storage.store import SqlStore

MEMBER_TEXT = "Kalevala_private_words"  # something a member typed: never in a JSON log line
CHAT = 987654321


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as fake:
        yield fake


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    return default_sqlite_url(tmp_path / "bot.db")


def webhook_instance(api: FakeBotApi, db: str, tmp_path: Path, **extra: str) -> Instance:
    env = webhook_env(api, db, tmp_path, free_port(), **extra)
    instance = start_instance(env, tmp_path, "bot")
    await_ready(instance)
    return instance


async def post(instance: Instance, update: dict[str, object]) -> int:
    async with httpx.AsyncClient(trust_env=False, timeout=60) as client:
        return await Poster([instance], client).post(update)


async def test_health_readiness_and_metrics(
    api: FakeBotApi, sqlite_db: str, tmp_path: Path
) -> None:
    bot = webhook_instance(api, sqlite_db, tmp_path)
    try:
        alive = bot.get("/healthz")
        assert (alive.status_code, alive.json()) == (200, {"status": "alive"})
        ready = bot.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"ready": True, "checks": {"database": "ok", "bot_api": "ok"}}

        assert await post(bot, text_update(1, CHAT, "/plan")) == 200
        assert await post(bot, text_update(2, CHAT, MEMBER_TEXT)) == 200  # not a valid answer
        metrics = bot.get("/metrics")
        assert metrics.headers["Content-Type"].startswith("text/plain")
        text = metrics.text
        assert 'partnerbot_updates_total{kind="message"} 2.0' in text
        assert "partnerbot_update_seconds_count 2.0" in text
        assert 'partnerbot_update_seconds_bucket{le="+Inf"} 2.0' in text
        assert 'partnerbot_bot_api_calls_total{method="sendMessage"}' in text
        assert 'partnerbot_bot_api_calls_total{method="getMe"} 1.0' in text
        assert "partnerbot_version_conflicts_total 0.0" in text
        assert "partnerbot_updates_duplicate_total 0.0" in text
        assert "partnerbot_draining 0.0" in text
        # No chat ids, member names or typed words, and no token, in any label or value.
        for private in (str(CHAT), f"Member{CHAT}", MEMBER_TEXT, TOKEN, SECRET):
            assert private not in text
        # Reminders do not exist yet: their counters appear once a sweep reports (issue 17).
        assert "partnerbot_reminders" not in text

        # A post without the secret is refused and not handled.
        async with httpx.AsyncClient(trust_env=False, timeout=60) as client:
            forged = await client.post(bot.base + "/telegram", json=text_update(3, 5, "/plan"))
        assert forged.status_code == 403
        assert 'partnerbot_updates_total{kind="message"} 2.0' in bot.get("/metrics").text
    finally:
        assert bot.terminate() == 0


async def test_bot_api_failures_are_counted_by_method(
    api: FakeBotApi, sqlite_db: str, tmp_path: Path
) -> None:
    bot = webhook_instance(api, sqlite_db, tmp_path)
    try:
        api.errors["sendMessage"] = (403, "Forbidden: bot was blocked by the user")
        assert await post(bot, text_update(1, CHAT, "/plan")) == 200
        text = bot.get("/metrics").text
        assert 'partnerbot_bot_api_failures_total{error="403",method="sendMessage"} 1.0' in text
        assert "partnerbot_errors_total{" not in text  # a blocked bot is no error of ours
        # A refused call that is not the member's doing is an error, counted by its kind.
        api.errors["sendMessage"] = (400, "Bad Request: chat not found")
        assert await post(bot, text_update(2, CHAT + 1, "/help")) == 200
        text = bot.get("/metrics").text
        assert 'partnerbot_errors_total{kind="BadRequest"} 1.0' in text
        assert 'partnerbot_bot_api_failures_total{error="400",method="sendMessage"}' in text
    finally:
        assert bot.terminate() == 0
    # The plan is stored all the same: the member finds it when they come back.
    store = await SqlStore.open(sqlite_db, migrate=False)
    try:
        assert await current_plan(store, CHAT) is not None
    finally:
        await store.close()


@pytest.mark.postgres
async def test_readiness_fails_when_the_database_goes_away(
    api: FakeBotApi, pg_url: str, tmp_path: Path
) -> None:
    """A PostgreSQL database of its own, dropped under the running bot: not ready (the load
    balancer stops sending), still alive (no restart would help)."""
    base = make_url(pg_url)
    name = f"{base.database}_gone"[:63]
    conn = await asyncpg.connect(
        host=base.host,
        port=base.port,
        user=base.username,
        password=base.password,
        database=base.database,
    )
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
        db = base.set(database=name).render_as_string(hide_password=False)
        bot = webhook_instance(api, db, tmp_path)
        try:
            assert bot.get("/readyz").status_code == 200
            await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            not_ready = bot.get("/readyz")
            assert not_ready.status_code == 503
            body = not_ready.json()
            assert body["ready"] is False
            assert body["checks"]["database"].startswith("not reachable")
            assert body["checks"]["bot_api"] == "ok"
            assert bot.get("/healthz").status_code == 200
            # An update now is not taken on: 500, so Telegram delivers it again later.
            assert await post(bot, text_update(1, CHAT, "/plan")) == 500
        finally:
            assert bot.terminate() == 0
    finally:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


async def test_json_logs_carry_events_and_chat_ids_only(
    api: FakeBotApi, sqlite_db: str, tmp_path: Path
) -> None:
    bot = webhook_instance(
        api, sqlite_db, tmp_path, PARTNERBOT_LOG_FORMAT="json", PARTNERBOT_LOG_LEVEL="INFO"
    )
    try:
        assert await post(bot, text_update(1, CHAT, f"/start {MEMBER_TEXT}")) == 200
        assert await post(bot, text_update(2, CHAT, MEMBER_TEXT)) == 200
        shown = {"message_id": 1, "text": "x", "markup": None}
        assert await post(bot, tap_update(3, CHAT, shown, f"1|{MEMBER_TEXT}")) == 200
        api.errors["sendMessage"] = (400, f"Bad Request: {MEMBER_TEXT}")
        assert await post(bot, text_update(4, CHAT, "/help")) == 200
    finally:
        assert bot.terminate() == 0
    lines = bot.stderr().splitlines()
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    for record in records:
        assert {"time", "level", "logger", "event"} <= record.keys()
        assert re.fullmatch(r"[a-z0-9_]+", record["event"]), record
    events = {r["event"] for r in records}
    assert {"bot_ready", "shutdown_draining", "bot_stopped"} <= events
    # Lines written while an update was handled name its chat and update.
    tagged = [r for r in records if r.get("chat_id") == CHAT]
    assert {r["update_id"] for r in tagged} >= {1, 3, 4}
    assert any(r.get("error") == "BadRequest" for r in tagged)
    text = bot.stderr()
    for private in (MEMBER_TEXT, TOKEN, SECRET, f"Member{CHAT}"):
        assert private not in text


async def test_sigterm_finishes_updates_in_flight(
    api: FakeBotApi, sqlite_db: str, tmp_path: Path
) -> None:
    """Updates being handled when SIGTERM comes are finished and answered; one arriving
    while the bot drains is refused with 503 (Telegram delivers it again, to another
    instance), so no update is lost."""
    bot = webhook_instance(api, sqlite_db, tmp_path)
    chats = [CHAT + n for n in range(4)]
    async with httpx.AsyncClient(trust_env=False, timeout=120) as client:
        poster = Poster([bot], client)
        api.sending.clear()  # Telegram is slow: the bot's replies hang
        posts = [
            asyncio.create_task(poster.post(text_update(n + 1, chat, "/plan")))
            for n, chat in enumerate(chats)
        ]
        in_flight = lambda: bot.metric("partnerbot_updates_in_flight") == len(chats)  # noqa: E731
        assert await asyncio.to_thread(wait_until, in_flight)
        bot.proc.send_signal(15)
        draining = lambda: bot.get("/readyz").status_code == 503  # noqa: E731
        assert await asyncio.to_thread(wait_until, draining)
        assert bot.get("/readyz").json()["checks"] == {
            "shutdown": "stopping: finishing the updates in flight"
        }
        late = await poster.post(text_update(99, CHAT + 99, "/plan"))
        api.sending.set()
        statuses = await asyncio.gather(*posts)
    code = await asyncio.to_thread(bot.proc.wait, 60)
    assert code == 0, bot.stderr()[-3000:]
    assert statuses == [200] * len(chats)
    assert late == 503
    store = await SqlStore.open(sqlite_db, migrate=False)
    try:
        for chat in chats:  # each was handled to the end: stored, and the question sent
            assert await current_plan(store, chat) is not None
            assert any(
                t("q.aims.text") in p["text"] for p in api.sent() if int(p["chat_id"]) == chat
            )
        assert await current_plan(store, CHAT + 99) is None  # refused, so not half-handled
    finally:
        await store.close()
    # Telegram delivers the refused update again; the next instance takes it on.
    again = webhook_instance(api, sqlite_db, tmp_path)
    try:
        assert await post(again, text_update(99, CHAT + 99, "/plan")) == 200
    finally:
        assert again.terminate() == 0
    store = await SqlStore.open(sqlite_db, migrate=False)
    try:
        assert await current_plan(store, CHAT + 99) is not None
    finally:
        await store.close()


def test_polling_serves_health_on_its_own_port(
    api: FakeBotApi, sqlite_db: str, tmp_path: Path
) -> None:
    port = free_port()
    env = bot_env(api, sqlite_db, tmp_path, PARTNERBOT_HEALTH_PORT=str(port))
    bot = start_instance(env, tmp_path, "poller")
    try:
        await_ready(bot)
        assert bot.get("/readyz").json() == {
            "ready": True,
            "checks": {"database": "ok", "bot_api": "ok"},
        }
        assert 'partnerbot_bot_api_calls_total{method="getUpdates"}' in bot.get("/metrics").text
    finally:
        assert bot.terminate() == 0


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        (
            "Conflict: terminated by other getUpdates request; make sure that only one bot "
            "instance is running",
            ANOTHER_POLLER,
        ),
        (
            "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook "
            "to delete the webhook first",
            str(WebhookIsSet()),
        ),
    ],
)
def test_a_second_poller_is_refused_in_one_line(
    api: FakeBotApi, sqlite_db: str, tmp_path: Path, description: str, expected: str
) -> None:
    api.errors["getUpdates"] = (409, description)
    env = bot_env(api, sqlite_db, tmp_path, PARTNERBOT_LOG_LEVEL="WARNING")
    bot = start_instance(env, tmp_path, "poller")
    code = bot.proc.wait(timeout=120)
    assert code == 2
    assert bot.stderr().strip().splitlines() == [f"partnerbot: {expected}"]
    assert "webhook" in expected


def _partnerbot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_the_webhook_is_set_once_from_the_command_line(
    api: FakeBotApi, sqlite_db: str, tmp_path: Path
) -> None:
    env = webhook_env(api, sqlite_db, tmp_path, 8443, PARTNERBOT_WEBHOOK_MAX_CONNECTIONS="80")
    done = _partnerbot(env, "webhook", "set")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "webhook set: Telegram posts updates to https://bot.example.org/telegram "
        "(at most 80 at a time)"
    ]
    (registered,) = [p for path, p in api.calls() if path.endswith("/setWebhook")]
    assert registered["url"] == "https://bot.example.org/telegram"
    assert registered["secret_token"] == SECRET
    assert int(registered["max_connections"]) == 80
    info = _partnerbot(env, "webhook", "info")
    assert info.returncode == 0 and "updates waiting: 0" in info.stdout
    assert _partnerbot(env, "webhook", "delete").returncode == 0
    assert api.methods().count("deleteWebhook") == 1
    for result in (done, info):
        assert TOKEN not in result.stdout + result.stderr

    del env["PARTNERBOT_WEBHOOK_URL"]
    missing = _partnerbot(env, "webhook", "set")
    assert missing.returncode == 2
    assert missing.stderr.count("\n") == 1 and "PARTNERBOT_WEBHOOK_URL" in missing.stderr


def test_polling_leaves_a_fleets_webhook_alone(
    api: FakeBotApi, sqlite_db: str, tmp_path: Path
) -> None:
    """A poller started by mistake next to webhook instances would delete their webhook
    (PTB's polling does) and take their updates: it stops with one line instead."""
    api.webhook_url = "https://bot.example.org/telegram"
    env = bot_env(api, sqlite_db, tmp_path, PARTNERBOT_LOG_LEVEL="WARNING")
    bot = start_instance(env, tmp_path, "poller")
    assert bot.proc.wait(timeout=120) == 2
    (line,) = bot.stderr().strip().splitlines()
    assert line.startswith("partnerbot: a webhook is set (https://bot.example.org/telegram)")
    assert "partnerbot webhook delete" in line
    assert "deleteWebhook" not in api.methods() and "getUpdates" not in api.methods()
