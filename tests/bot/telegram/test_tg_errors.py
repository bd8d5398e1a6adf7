"""Errors from Telegram, raised through PTB's real request code by the offline Bot API."""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from tg_support import TOKEN, Bot, current_plan, snapshot

from bot.telegram.delivery import blocked_chats
from bot.telegram.offline import buttons, forbidden, not_modified, retry_after, timed_out
from flows.texts import t


async def _to_second_question(bot: Bot) -> dict[str, Any]:
    """/plan, then answer the first (multi) question by typing; returns question 2's message."""
    await bot.member.say("/plan")
    await bot.member.say("1")
    return bot.member.last()


# PTB itself reads RetryAfter.retry_after as an int, which it deprecates in favour of timedelta.
@pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")
async def test_retry_after_waits_and_sends_again(bot: Bot, store: Any) -> None:
    member = bot.member
    bot.request.fail("sendMessage", retry_after(1))
    await member.say("/plan")
    attempts = bot.request.called("sendMessage")
    assert len(attempts) == 2  # refused with 429, then sent after waiting
    assert attempts[0] == attempts[1]
    assert t("q.aims.text") in member.texts()[-1]
    assert await current_plan(store, member.chat_id) is not None
    assert t("ui.error") not in member.texts()


async def test_forbidden_stops_sending_and_keeps_the_data(
    bot: Bot, store: Any, caplog: pytest.LogCaptureFixture
) -> None:
    member = bot.member
    question = await _to_second_question(bot)
    # The member blocks the bot while it is answering the tap: whichever call comes first
    # (marking the answer, or sending the next question) is refused.
    bot.request.fail("sendMessage", forbidden())
    bot.request.fail("editMessageText", forbidden())
    calls_before = len(bot.request.calls)
    await member.tap(question, buttons(question)[0][1])

    plan = await current_plan(store, member.chat_id)
    assert plan is not None and "strategy_goal" in plan.answers  # the answer is kept
    made = [c.method for c in bot.request.calls[calls_before:]]
    made.remove("answerCallbackQuery")
    # Each was tried once, never retried (the two may be under way at the same time).
    assert sorted(made) in (
        ["editMessageText"],
        ["sendMessage"],
        ["editMessageText", "sendMessage"],
    )
    assert member.chat_id in blocked_chats(bot.app)
    infos = [r for r in caplog.records if r.levelno == logging.INFO and "refuses" in r.message]
    assert infos
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert all(TOKEN not in r.getMessage() for r in caplog.records)

    # They unblock and come back: the bot talks again, at the same question.
    await member.say("/resume")
    assert member.chat_id not in blocked_chats(bot.app)
    assert plan.state == "target_benefit"
    assert t("q.target_benefit.text") in member.texts()[-1]


async def test_member_blocks_via_chat_member_update(bot: Bot) -> None:
    member = bot.member
    change = {
        "chat": {"id": member.chat_id, "type": "private", "first_name": "Aino"},
        "from": member.user,
        "date": 1_700_000_000,
        "old_chat_member": {
            "status": "member",
            "user": {"id": 7000001, "is_bot": True, "first_name": "Partnerbot"},
        },
        "new_chat_member": {
            "status": "kicked",
            "until_date": 0,
            "user": {"id": 7000001, "is_bot": True, "first_name": "Partnerbot"},
        },
    }
    await member.send(member.update(my_chat_member=change))
    assert member.chat_id in blocked_chats(bot.app)
    assert bot.request.called("sendMessage") == []
    await member.say("/plan")
    assert member.chat_id not in blocked_chats(bot.app)
    assert len(member.texts()) == 1


async def test_message_not_modified_is_ignored(
    bot: Bot, store: Any, caplog: pytest.LogCaptureFixture
) -> None:
    member = bot.member
    await member.say("/plan")
    question = member.last()
    sent_before = len(member.texts())
    bot.request.fail("editMessageText", not_modified())
    await member.tap(question, buttons(question)[0][1])  # tick: redraws the same message
    plan = await current_plan(store, member.chat_id)
    assert plan is not None and plan.meta["selection"]["aims"] == ["joint_event"]
    assert len(member.texts()) == sent_before  # no fallback message, no error notice
    assert len(bot.request.called("answerCallbackQuery")) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_timeout_is_retried_once(bot: Bot, store: Any) -> None:
    member = bot.member
    question = await _to_second_question(bot)
    sent_before = len(bot.request.called("sendMessage"))
    bot.request.fail("sendMessage", timed_out())
    await member.tap(question, buttons(question)[0][1])
    attempts = bot.request.called("sendMessage")[sent_before:]
    assert len(attempts) == 2 and attempts[0] == attempts[1]
    assert t("q.target_benefit.text") in member.texts()[-1]
    assert t("ui.error") not in member.texts()


async def test_repeated_timeouts_reach_the_error_handler_and_lose_nothing(
    bot: Bot, store: Any, caplog: pytest.LogCaptureFixture
) -> None:
    member = bot.member
    question = await _to_second_question(bot)
    bot.request.fail("sendMessage", timed_out(), timed_out())
    await member.tap(question, buttons(question)[0][1])

    # The answer is stored; the next question could not be sent; the member is told so as
    # soon as Telegram answers again.
    plan = await current_plan(store, member.chat_id)
    assert plan is not None and plan.state == "target_benefit"
    assert member.texts()[-1] == t("ui.error")
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and all(TOKEN not in r.getMessage() for r in caplog.records)
    assert len(bot.request.called("answerCallbackQuery")) == 1

    await member.say("/resume")
    assert t("q.target_benefit.text") in member.texts()[-1]
    assert buttons(member.last())  # with its Back/Skip buttons


async def test_an_unexpected_error_keeps_the_state(
    bot: Bot, store: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    member = bot.member
    question = await _to_second_question(bot)
    before = await snapshot(store, member.chat_id)

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database went away")

    monkeypatch.setattr(bot.service, "handle", broken)
    await member.tap(question, buttons(question)[0][1])
    assert member.toasts()[-1] == t("ui.not_saved")  # answered even so, and honestly
    assert member.texts()[-1] == t("ui.error")
    assert "safe" not in t("ui.error")  # nothing was stored: the follow-up does not claim it
    assert any(r.exc_info and r.levelno == logging.ERROR for r in caplog.records)
    monkeypatch.undo()
    assert await snapshot(store, member.chat_id) == before
    await member.tap(question, buttons(question)[0][1])  # the same button works afterwards
    assert (await current_plan(store, member.chat_id)).state == "target_benefit"  # type: ignore[union-attr]


async def test_a_tap_whose_write_fails_says_not_saved(bot: Bot, store: Any, db_url: str) -> None:
    """The database refuses the write (as when locked, full or read-only): the toast says the
    tap was not saved, the follow-up does not call the answer safe, and nothing changed."""
    member = bot.member
    question = await _to_second_question(bot)
    before = await snapshot(store, member.chat_id)
    path = make_url(db_url).database
    assert path is not None
    with closing(sqlite3.connect(path)) as other:  # another program's doing, not ours
        other.execute(
            "CREATE TRIGGER refuse BEFORE UPDATE ON plan BEGIN SELECT RAISE(ABORT, 'disk I/O "
            "error'); END"
        )
    await member.tap(question, buttons(question)[0][1])
    assert member.toasts()[-1] == t("ui.not_saved")
    assert member.texts()[-1] == t("ui.error")
    assert await snapshot(store, member.chat_id) == before
    with closing(sqlite3.connect(path)) as other:
        other.execute("DROP TRIGGER refuse")
    await member.tap(question, buttons(question)[0][1])  # tried again, it is stored
    assert (await current_plan(store, member.chat_id)).state == "target_benefit"  # type: ignore[union-attr]
