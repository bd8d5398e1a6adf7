"""More Bot API faults during a conversation: the plan stays right and, once Telegram answers
again, the member has the current question in front of them."""

from __future__ import annotations

from typing import Any

from telegram.error import NetworkError
from tg_support import Bot, current_plan

from bot.telegram.offline import Failure, buttons
from flows.texts import t


async def _at_second_question(bot: Bot) -> dict[str, Any]:
    await bot.member.say("/plan")
    await bot.member.say("1")
    return bot.member.last()


async def test_network_error_once_is_retried(bot: Bot, store: Any) -> None:
    question = await _at_second_question(bot)
    bot.request.fail("sendMessage", NetworkError("connection reset"))
    await bot.member.tap(question, buttons(question)[0][1])
    plan = await current_plan(store, bot.member.chat_id)
    assert plan is not None and plan.state == "target_benefit"
    assert t("q.target_benefit.text") in bot.member.texts()[-1]


async def test_network_down_keeps_the_answer_and_resume_shows_the_question(
    bot: Bot, store: Any
) -> None:
    question = await _at_second_question(bot)
    down = [NetworkError("network unreachable")] * 4
    bot.request.fail("sendMessage", *down)
    bot.request.fail("editMessageText", *down)
    await bot.member.tap(question, buttons(question)[0][1])
    plan = await current_plan(store, bot.member.chat_id)
    assert plan is not None and plan.state == "target_benefit"
    assert plan.answers["strategy_goal"] == "more_members"
    # Telegram answers again.
    while bot.request.pending_failures("sendMessage"):
        await bot.member.say("/resume")
    await bot.member.say("/resume")
    assert t("q.target_benefit.text") in bot.member.texts()[-1]


async def test_bad_request_on_the_old_message_still_sends_the_next_question(
    bot: Bot, store: Any
) -> None:
    question = await _at_second_question(bot)
    bot.request.fail("editMessageText", Failure(400, "Bad Request: message to edit not found"))
    await bot.member.tap(question, buttons(question)[0][1])
    plan = await current_plan(store, bot.member.chat_id)
    assert plan is not None and plan.state == "target_benefit"
    assert t("q.target_benefit.text") in bot.member.texts()[-1]
