"""run_bot and the API base URL, through PTB's real HTTPXRequest against a loopback Bot API."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from tg_fake_api import FakeBotApi, plan_update
from tg_support import TOKEN, current_plan, make_settings

from bot.config import ConfigError, Settings
from bot.logs import protect_logs
from bot.telegram import run_bot
from bot.telegram.app import build_application
from bot.telegram.offline import Member
from flows.texts import t

ROOT = Path(__file__).resolve().parents[3]
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def test_missing_token_names_the_variable() -> None:
    settings = Settings(token=None, database_url="sqlite+aiosqlite:///:memory:")
    with pytest.raises(ConfigError, match="PARTNERBOT_TOKEN"):
        run_bot(settings)
    with pytest.raises(ConfigError, match="PARTNERBOT_TOKEN"):
        build_application(settings, service=None)  # type: ignore[arg-type]


async def test_requests_go_to_the_configured_base_url(
    store: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from flows.service import PlanningService

    for var in PROXY_VARS:  # loopback only, never through a proxy
        monkeypatch.delenv(var, raising=False)
    protect_logs([TOKEN], handlers=[caplog.handler])
    with FakeBotApi() as api:
        app = build_application(make_settings(api_base_url=api.base_url), PlanningService(store))
        await app.initialize()
        try:
            await Member(app, None).say("/plan")  # type: ignore[arg-type]
        finally:
            await app.shutdown()
    assert api.paths()[0] == f"/bot{TOKEN}/getMe"
    assert f"/bot{TOKEN}/sendMessage" in api.paths()
    sent = api.sent()
    assert sent and int(sent[0]["chat_id"]) == 4242
    assert t("q.aims.text") in sent[0]["text"]
    assert await current_plan(store, 4242) is not None
    assert TOKEN not in caplog.text


def test_run_bot_polls_the_base_url_from_the_environment(tmp_path: Path) -> None:
    """The whole runner in its own process: settings from PARTNERBOT_* variables, polling a
    loopback Bot API, one /plan processed and stored, clean stop on SIGTERM, no token logged."""
    db = tmp_path / "bot.db"
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
    env.update(
        PARTNERBOT_TOKEN=TOKEN,
        PARTNERBOT_DATABASE_URL=f"sqlite+aiosqlite:///{db}",
        HOME=str(tmp_path),
        PYTHONPATH=str(ROOT),
    )
    script = (
        "import logging, sys\n"
        "logging.basicConfig(level=logging.DEBUG)\n"
        "from bot.config import load_settings\n"
        "from bot.telegram import run_bot\n"
        "sys.exit(run_bot(load_settings()))\n"
    )
    with FakeBotApi() as api:
        env["PARTNERBOT_API_BASE_URL"] = api.base_url
        api.updates.append(plan_update())
        # Output goes to files: DEBUG logs fill a pipe's buffer long before the test reads it,
        # and a child blocked on a full pipe never answers.
        out_path, err_path = tmp_path / "out.txt", tmp_path / "err.txt"
        with out_path.open("w") as out_file, err_path.open("w") as err_file:
            proc = subprocess.Popen(
                [sys.executable, "-c", script],
                env=env,
                cwd=tmp_path,
                stdout=out_file,
                stderr=err_file,
                text=True,
            )
            try:
                deadline = time.monotonic() + 60
                while not api.sent() and time.monotonic() < deadline and proc.poll() is None:
                    time.sleep(0.05)
                assert api.sent(), "the bot never answered the /plan update"
            finally:
                proc.terminate()  # SIGTERM: PTB stops polling, run_bot closes the store
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        out, err = out_path.read_text(), err_path.read_text()
    assert proc.returncode == 0, err[-3000:]
    assert all(path.startswith(f"/bot{TOKEN}/") for path in api.paths())
    assert {"getMe", "deleteWebhook", "getUpdates", "sendMessage", "setMyCommands"} <= set(
        api.methods()
    )
    assert t("q.aims.text") in api.sent()[0]["text"]
    assert TOKEN not in out + err
    assert "bot<token>" in err  # PTB logs its API URL at DEBUG: redacted, not dropped

    async def stored() -> Any:
        from storage.store import SqlStore

        store = await SqlStore.open(f"sqlite+aiosqlite:///{db}", migrate=False)
        try:
            return await current_plan(store, 4242)
        finally:
            await store.close()

    assert asyncio.run(stored()) is not None
