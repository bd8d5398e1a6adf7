"""Webhook mode: PTB's real webhook server on loopback, fed by HTTP POSTs like Telegram's."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from typing import Any

import httpx
from tg_fake_api import plan_update
from tg_support import Bot, current_plan, make_settings

from bot.config import WebhookSettings
from bot.telegram.runner import webhook_options
from flows.texts import t

SECRET = "s3cret_Webhook-token"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _wait_for(predicate: Any, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.02)
    return bool(predicate())


def test_webhook_options() -> None:
    hook = WebhookSettings("0.0.0.0", 8443, "https://bot.example.org", SECRET, "tg/hook")
    options = webhook_options(make_settings(mode="webhook", webhook=hook))
    assert options == {
        "listen": "0.0.0.0",
        "port": 8443,
        "url_path": "tg/hook",
        "webhook_url": "https://bot.example.org/tg/hook",
        "secret_token": SECRET,
    }
    hook = WebhookSettings("127.0.0.1", 80, "https://bot.example.org/tg/hook/", SECRET, "tg/hook")
    options = webhook_options(make_settings(mode="webhook", webhook=hook))
    assert options["webhook_url"] == "https://bot.example.org/tg/hook"


async def test_webhook_checks_the_secret_token(make_bot: Any, store: Any) -> None:
    from flows.service import PlanningService

    port = _free_port()
    hook = WebhookSettings("127.0.0.1", port, "https://bot.example.org", SECRET, "tg/hook")
    bot: Bot = await make_bot(PlanningService(store), mode="webhook", webhook=hook)
    app = bot.app
    assert app.updater is not None
    await app.updater.start_webhook(**webhook_options(make_settings(mode="webhook", webhook=hook)))
    await app.start()
    try:
        registered = bot.request.called("setWebhook")
        assert registered[-1]["url"] == "https://bot.example.org/tg/hook"
        assert registered[-1]["secret_token"] == SECRET

        url = f"http://127.0.0.1:{port}/tg/hook"
        async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
            wrong = await client.post(
                url,
                content=json.dumps(plan_update(111, update_id=1)),
                headers={
                    "Content-Type": "application/json",
                    "X-Telegram-Bot-Api-Secret-Token": "not-the-secret",
                },
            )
            missing = await client.post(
                url,
                content=json.dumps(plan_update(111, update_id=2)),
                headers={"Content-Type": "application/json"},
            )
            right = await client.post(
                url,
                content=json.dumps(plan_update(222, update_id=3)),
                headers={
                    "Content-Type": "application/json",
                    "X-Telegram-Bot-Api-Secret-Token": SECRET,
                },
            )
        assert wrong.status_code == 403
        assert missing.status_code == 403
        assert right.status_code == 200

        assert await _wait_for(lambda: bot.request.sent_texts(222))
        assert t("q.aims.text") in bot.request.sent_texts(222)[-1]
        assert await current_plan(store, 222) is not None
        # The refused ones were never processed.
        assert bot.request.sent_texts(111) == []
        assert await current_plan(store, 111) is None
    finally:
        await app.updater.stop()
        await app.stop()
