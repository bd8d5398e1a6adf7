"""The offline Bot API itself: answers like Telegram, fails on demand, through PTB's code."""

from __future__ import annotations

import pytest
from telegram import Bot as TelegramBot
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter, TimedOut
from tg_support import TOKEN

from bot.telegram.offline import (
    BOT_USERNAME,
    OfflineRequest,
    buttons,
    forbidden,
    not_modified,
    retry_after,
    timed_out,
)


@pytest.fixture
async def tg() -> tuple[TelegramBot, OfflineRequest]:
    request = OfflineRequest()
    bot = TelegramBot(TOKEN, request=request, get_updates_request=OfflineRequest())
    await bot.initialize()
    return bot, request


async def test_answers_like_telegram(tg: tuple[TelegramBot, OfflineRequest]) -> None:
    bot, request = tg
    assert bot.username == BOT_USERNAME
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="1|1|0|f||")]])
    sent = await bot.send_message(4242, "hello", reply_markup=markup)
    assert (sent.chat.id, sent.text, sent.chat.type) == (4242, "hello", "private")
    again = await bot.send_message(-100, "group hello")
    assert again.message_id == sent.message_id + 1 and again.chat.type == "group"
    edited = await bot.edit_message_text("bye", chat_id=4242, message_id=sent.message_id)
    assert not isinstance(edited, bool) and edited.text == "bye"
    assert request.messages[(4242, sent.message_id)]["text"] == "bye"
    assert buttons(request.messages[(4242, sent.message_id)]) == []
    assert await bot.answer_callback_query("q1", text="toast") is True
    assert [c.method for c in request.calls] == [
        "getMe",
        "sendMessage",
        "sendMessage",
        "editMessageText",
        "answerCallbackQuery",
    ]
    assert request.calls[1].params["reply_markup"]["inline_keyboard"][0][0]["text"] == "A"
    assert request.sent_texts(4242) == ["hello"]


async def test_fails_on_demand(tg: tuple[TelegramBot, OfflineRequest]) -> None:
    bot, request = tg
    request.fail("sendMessage", retry_after(3), forbidden(), not_modified(), timed_out())
    with pytest.warns(DeprecationWarning):  # PTB 22 deprecates the int retry_after
        with pytest.raises(RetryAfter) as flood:
            await bot.send_message(1, "x")
        assert flood.value.retry_after == 3
    with pytest.raises(Forbidden):
        await bot.send_message(1, "x")
    with pytest.raises(BadRequest, match="not modified"):
        await bot.send_message(1, "x")
    with pytest.raises(TimedOut):
        await bot.send_message(1, "x")
    assert request.pending_failures("sendMessage") == 0
    assert (await bot.send_message(1, "x")).text == "x"
