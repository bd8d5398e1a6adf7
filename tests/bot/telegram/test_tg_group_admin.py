"""Administrators only: /restart and /forget in groups; /forget's confirmation; deep links."""

from __future__ import annotations

import time
from typing import Any

import pytest
from test_tg_group import ANNA, BEN, CARL, GROUP, group_ref, member, plan_of, sends, toast_for
from tg_support import Bot, current_plan, snapshot

from bot.telegram.admin import FORGET_TTL
from bot.telegram.callback_data import ForgetData, encode_forget
from bot.telegram.offline import Member, buttons, chat_dict, timed_out
from bot.telegram.refs import GROUP_ANONYMOUS_BOT
from flows.model import ChatRef
from flows.texts import t
from tests.storage.sql_helpers import count_rows

pytestmark = pytest.mark.usefixtures("roomy_group_limit")

ANONYMOUS = {
    "id": GROUP_ANONYMOUS_BOT,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}


def command(who: Member, text: str, **fields: Any) -> Any:
    name = text.split()[0]
    entities = [{"type": "bot_command", "offset": 0, "length": len(name)}]
    return who.update(message=who.message(text=text, entities=entities, **fields))


def anonymous_admin(bot: Bot) -> Member:
    """An administrator writing on behalf of the group (Telegram hides who it is)."""
    admin = member(bot, GROUP_ANONYMOUS_BOT, "Group")
    admin.user = ANONYMOUS
    return admin


async def as_group(who: Member, text: str) -> None:
    await who.send(command(who, text, sender_chat=chat_dict(who.chat_id)))


def checked(bot: Bot) -> list[int]:
    """The users the bot asked Telegram about (getChatMember)."""
    return [int(p["user_id"]) for p in bot.request.called("getChatMember")]


def all_gone(rows: dict[str, int]) -> bool:
    return set(rows.values()) == {0}


async def test_forget_is_for_administrators_and_asks_first(bot: Bot, store: Any) -> None:
    anna, ben = member(bot, ANNA, "Anna"), member(bot, BEN, "Ben")
    bot.request.member_status[(GROUP, ANNA)] = "administrator"
    await anna.say("/plan")
    await anna.tap(anna.last(), buttons(anna.last())[0][1])
    stored = await snapshot(store, GROUP)

    # A member is told no, and nothing happens.
    await ben.say("/forget")
    assert ben.texts()[-1] == t("ui.admins_only")
    assert checked(bot) == [BEN]
    assert await snapshot(store, GROUP) == stored

    # An administrator is asked first, with two buttons.
    await anna.say("/forget")
    assert checked(bot) == [BEN, ANNA]
    confirm = anna.last()
    assert confirm["text"] == t("ui.forget_confirm")
    labels = dict(buttons(confirm))
    assert list(labels) == [t("ui.forget_yes"), t("ui.forget_no")]
    assert sends(bot)[-1]["reply_parameters"]["message_id"] > 0  # replies to her command

    # The buttons are checked too: a member's tap deletes nothing.
    tap = ben.tap_update(confirm, labels[t("ui.forget_yes")])
    await ben.send(tap)
    assert toast_for(bot, tap.callback_query.id) == t("ui.admins_only")  # type: ignore[union-attr]
    assert await snapshot(store, GROUP) == stored
    assert buttons(anna.last()) == buttons(confirm)

    # "Keep" keeps everything.
    await anna.tap(confirm, labels[t("ui.forget_no")])
    assert anna.last()["text"] == t("ui.forget_kept") and not buttons(anna.last())
    assert await snapshot(store, GROUP) == stored

    # "Delete everything" deletes the association, its plans, answers and members.
    await anna.say("/forget")
    confirm = anna.last()
    tap = anna.tap_update(confirm, dict(buttons(confirm))[t("ui.forget_yes")])
    await anna.send(tap)
    assert toast_for(bot, tap.callback_query.id) is None  # type: ignore[union-attr]
    assert anna.last()["text"] == t("ui.forgotten") and not buttons(anna.last())
    assert all_gone(await count_rows(store, group_ref()))
    assert await current_plan(store, GROUP) is None


async def test_an_anonymous_administrator_counts_as_one(bot: Bot, store: Any) -> None:
    admin = anonymous_admin(bot)
    await as_group(admin, "/plan")
    first = await plan_of(store)
    await as_group(admin, "/restart")
    assert admin.last()["text"] == t("ui.restart_confirm")
    assert checked(bot) == []  # sent on behalf of the group: no need to ask Telegram
    # The administrator taps with their own account, which Telegram knows as administrator.
    bot.request.member_status[(GROUP, CARL)] = "administrator"
    carl = member(bot, CARL, "Carl")
    await carl.tap(admin.last(), dict(buttons(admin.last()))[t("ui.restart_yes")])
    assert (await plan_of(store)).id != first.id  # a new plan
    await as_group(admin, "/forget")
    assert admin.last()["text"] == t("ui.forget_confirm")
    await carl.tap(admin.last(), dict(buttons(admin.last()))[t("ui.forget_yes")])
    assert all_gone(await count_rows(store, group_ref()))
    # Someone posting as their own channel is no administrator of the group.
    channel = {"id": -1_000_000_000_777, "type": "channel", "title": "Carl's channel"}
    await carl.send(command(carl, "/forget", sender_chat=channel))
    assert carl.texts()[-1] == t("ui.admins_only")


async def test_restart_in_a_group_is_for_administrators(bot: Bot, store: Any) -> None:
    anna, ben = member(bot, ANNA, "Anna"), member(bot, BEN, "Ben")
    bot.request.member_status[(GROUP, ANNA)] = "creator"
    await ben.say("/plan")
    await ben.tap(ben.last(), buttons(ben.last())[0][1])
    before = await plan_of(store)
    await ben.say("/restart")
    assert ben.texts()[-1] == t("ui.admins_only")
    assert await plan_of(store) == before

    # An administrator is asked first, as with /forget; the question names what happens.
    await anna.say("/restart")
    asked = anna.last()
    assert asked["text"] == t("ui.restart_confirm")
    assert await plan_of(store) == before
    labels = dict(buttons(asked))
    assert list(labels) == [t("ui.restart_yes"), t("ui.restart_no")]
    # A member who is no administrator cannot confirm it for them.
    tap = ben.tap_update(asked, labels[t("ui.restart_yes")])
    await ben.send(tap)
    assert toast_for(bot, tap.callback_query.id) == t("ui.admins_only")  # type: ignore[union-attr]
    assert await plan_of(store) == before
    # "Keep going" keeps everything and drops the buttons.
    await anna.tap(asked, labels[t("ui.restart_no")])
    assert await plan_of(store) == before
    shown = bot.request.messages[(GROUP, asked["message_id"])]
    assert shown["text"] == t("ui.restart_kept") and "reply_markup" not in shown

    await anna.say("/restart")
    asked = anna.last()
    await anna.tap(asked, dict(buttons(asked))[t("ui.restart_yes")])
    after = await plan_of(store)
    assert after.id != before.id and after.answers == {}
    assert t("q.aims.text") in anna.texts()[-1]
    # The old plan's question lost its buttons: one live copy.
    old = bot.request.chat_messages(GROUP)[0]
    assert t("q.aims.text") in old["text"] and "reply_markup" not in old


async def test_private_chats_need_no_administrator(bot: Bot, store: Any) -> None:
    aino = bot.member
    await aino.say("/plan")
    await aino.say("/restart")
    await aino.tap(aino.last(), dict(buttons(aino.last()))[t("ui.restart_yes")])
    await aino.say("/forget")
    confirm = aino.last()
    assert confirm["text"] == t("ui.forget_confirm")
    await aino.tap(confirm, dict(buttons(confirm))[t("ui.forget_yes")])
    assert checked(bot) == []
    assert all_gone(await count_rows(store, ChatRef("telegram", str(aino.chat_id))))
    assert aino.last()["text"] == t("ui.forgotten")


async def test_an_old_confirmation_has_expired(bot: Bot, store: Any) -> None:
    aino = bot.member
    await aino.say("/plan")
    await aino.say("/forget")
    confirm = aino.last()
    stored = await snapshot(store, aino.chat_id)
    old = encode_forget(ForgetData(True, int(time.time()) - FORGET_TTL - 60))
    tap = aino.tap_update(confirm, old)
    await aino.send(tap)
    assert toast_for(bot, tap.callback_query.id) == t("ui.forget_expired")  # type: ignore[union-attr]
    assert await snapshot(store, aino.chat_id) == stored
    assert not buttons(aino.last())  # the stale question is closed


# --- deep links ------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", ["plan", "resume"])
async def test_deep_link_goes_straight_to_planning(bot: Bot, store: Any, payload: str) -> None:
    aino = bot.member
    await aino.say(f"/start {payload}")
    (question,) = aino.texts()
    assert t("q.aims.text") in question
    assert await current_plan(store, aino.chat_id) is not None


@pytest.mark.parametrize(
    "payload",
    ["bad!payload", "x" * 65, "two words", "ünïcode"],
)
async def test_other_deep_links_get_the_normal_welcome(bot: Bot, payload: str) -> None:
    aino = bot.member
    await aino.say(f"/start {payload}")
    welcome, question = aino.texts()
    assert welcome == t("ui.welcome") and t("q.aims.text") in question


async def test_a_well_formed_unknown_payload_is_an_invite_that_does_not_exist(
    bot: Bot, store: Any
) -> None:
    aino = bot.member
    await aino.say("/start invite_abc")
    assert aino.texts() == [t("two.code_unknown")]
    assert await current_plan(store, aino.chat_id) is None


async def test_an_admin_check_that_cannot_reach_telegram_says_try_again(
    bot: Bot, store: Any
) -> None:
    anna = member(bot, ANNA, "Anna")
    bot.request.member_status[(GROUP, ANNA)] = "administrator"
    await anna.say("/plan")
    before = await plan_of(store)
    bot.request.fail("getChatMember", timed_out(), timed_out())
    await anna.say("/restart")
    assert anna.texts()[-1] == t("ui.admin_check_failed")  # not "admins only"
    assert await plan_of(store) == before
    await anna.say("/forget")
    assert anna.texts()[-1] == t("ui.admin_check_failed")
    await anna.say("/forget")  # Telegram answers again: she is an administrator
    confirm = anna.last()
    assert confirm["text"] == t("ui.forget_confirm")
    bot.request.fail("getChatMember", timed_out())
    tap = anna.tap_update(confirm, dict(buttons(confirm))[t("ui.forget_yes")])
    await anna.send(tap)
    assert toast_for(bot, tap.callback_query.id) == t("ui.admin_check_failed")  # type: ignore[union-attr]
    assert await plan_of(store) == before
