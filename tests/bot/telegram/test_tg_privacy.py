"""Logs never hold the token or what members typed: not at INFO, and not at DEBUG, where
python-telegram-bot dumps whole updates and API calls."""

from __future__ import annotations

import logging

import pytest
from test_tg_conversation import TYPED, play_to_result
from tg_support import TOKEN, Bot

from bot.logs import HIDDEN, protect_logs
from flows.machine import move


async def test_logs_hold_neither_the_token_nor_free_text(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    # The state machine's lines (quiet in production) make sure there is something to read;
    # moves are cached per process, so forget those earlier tests made.
    caplog.set_level(logging.INFO, logger="transitions")
    move.cache_clear()
    await bot.member.say("/start")
    await play_to_result(bot.member)
    await bot.member.say("x" * 3000)  # refused input is not logged either
    await bot.member.say("/summary")
    assert TYPED in "\n".join(bot.member.texts())  # the member did type free text
    logged = "\n".join(
        f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records if r.levelno >= logging.INFO
    )
    assert caplog.records, "the bot logs something at INFO"
    assert TOKEN not in logged
    assert TOKEN.split(":")[1] not in logged
    assert TYPED not in logged
    assert "x" * 50 not in logged


async def test_debug_logs_hide_the_update_dumps(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    protect_logs([TOKEN], handlers=[caplog.handler])  # as partnerbot run sets its handler up
    caplog.set_level(logging.DEBUG)
    await bot.member.say("/start")
    await play_to_result(bot.member)
    assert TYPED in "\n".join(bot.member.texts())
    logged = "\n".join(caplog.handler.format(r) for r in caplog.records)
    assert f"sendMessage` with parameters `{HIDDEN}`" in logged  # the line stays, not the text
    assert TYPED not in logged
    assert TOKEN not in logged
