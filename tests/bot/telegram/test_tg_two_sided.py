"""Two-sided plans on Telegram, end to end with real PTB updates: our private chat invites,
the partner's group opens the ?startgroup link, joins (its administrators decide), answers its
own half, and both chats see one merged result with the disagreements; /forget on the
partner's side tells ours that the partner left."""

from __future__ import annotations

import re
from typing import Any

from tg_support import Bot

from bot.telegram.offline import BOT_USERNAME, Member, buttons
from flows.texts import t
from tests.bot.telegram.test_tg_work import finish_plan
from tests.flows.scenarios import EVENT

HOST_ID = 5001  # Aino's private chat: ours
GROUP_ID = -1002001  # the partner's group ("Green Club")
YUSUF_ID, EVE_ID = 6001, 6002

THEIRS = {
    "p_name": "Youth Centre",
    "p_kind": "Association",
    "p_offer": "Premises",
    "p_field_closeness": "3",
    "p_value_closeness": "1",  # ours says 4
    "p_value_conflict": "Alcohol",  # ours names none
    "p_time_span": "Several years",  # ours says one day
    "p_money": "We share the costs",
    "p_commitment": "A few hours",
    "p_contact": "Yusuf, 040 123",
}
LINK = re.compile(rf"https://t\.me/{BOT_USERNAME}\?start(group)?=([A-Za-z0-9_-]+)")


def label_data(message: dict[str, Any], label: str) -> str:
    return dict(buttons(message))[label]


async def invite_link(bot: Bot) -> tuple[Member, str]:
    aino = Member(bot.app, bot.request, user_id=HOST_ID, first_name="Aino")
    await finish_plan(bot.service, HOST_ID, [aino], EVENT)
    await aino.say("/summary")
    result = aino.last()
    await aino.tap(result, label_data(result, t("ui.invite")))
    text = aino.last()["text"]
    found = LINK.findall(text)
    assert [group for group, _ in found] == ["", "group"]
    assert found[0][1] == found[1][1] and len(found[0][1]) <= 64
    return aino, found[0][1]


async def test_invite_join_in_a_group_merged_result_for_both(bot: Bot) -> None:
    aino, code = await invite_link(bot)
    yusuf = Member(bot.app, bot.request, user_id=YUSUF_ID, chat_id=GROUP_ID, first_name="Yusuf")
    eve = Member(bot.app, bot.request, user_id=EVE_ID, chat_id=GROUP_ID, first_name="Eve")
    bot.request.member_status[(GROUP_ID, YUSUF_ID)] = "administrator"

    await yusuf.say(f"/start@{BOT_USERNAME} {code}")
    preview = yusuf.last()
    assert preview["text"].startswith("Aino Virta invites you to plan a partnership together.")
    assert EVENT["target_benefit"] not in preview["text"]  # our own words stay ours
    assert [label for label, _ in buttons(preview)] == ["Join", "No, thanks"]

    await eve.tap(preview, label_data(preview, "Join"))  # not an administrator
    assert eve.toasts()[-1] == t("ui.admins_only")
    await yusuf.tap(preview, label_data(preview, "Join"))
    assert t("q.p_name.text") in yusuf.last()["text"]

    await finish_plan(bot.service, GROUP_ID, [yusuf, eve], THEIRS)
    await eve.say(f"/summary@{BOT_USERNAME}")
    theirs = yusuf.last()["text"]
    assert "Joint plan of Aino Virta and Youth Centre" in theirs
    assert "Closeness of values: you 1, the partner 4" in theirs
    assert "Time span: you Several years, the partner One day" in theirs
    assert "Value conflict: you Alcohol, the partner no concern" in theirs
    assert EVENT["success_measure"] not in theirs

    await aino.say("/summary")
    ours = aino.last()["text"]
    assert "Joint plan of Aino Virta and Youth Centre" in ours
    assert "Closeness of values: you 4, the partner 1" in ours
    # Once the partner is in, the result offers no invite any more.
    assert t("ui.invite") not in [label for label, _ in buttons(aino.last())]

    # One shared board: in the partner's group its own tasks come first, as "us".
    await eve.say(f"/tasks@{BOT_USERNAME}")
    board = yusuf.last()["text"].splitlines()
    assert board[0].startswith("Task board")
    first = board[2]
    assert first.startswith("1. ") and first.endswith((t("party.us"), t("party.lead_us")))
    await aino.say("/tasks")
    assert aino.last()["text"].splitlines()[0] == board[0]  # the same board, same count

    # The same link again, from another chat: one line, nothing changes.
    other = Member(bot.app, bot.request, user_id=7007, first_name="Mallory")
    await other.say(f"/start {code}")
    assert other.texts()[-1] == t("two.code_used")

    # The partner forgets its half: our chat is told.
    await yusuf.say(f"/forget@{BOT_USERNAME}")
    confirm = yusuf.last()
    await yusuf.tap(confirm, label_data(confirm, t("ui.forget_yes")))
    assert aino.texts()[-1] == t("two.partner_left")


async def test_forged_and_revoked_links_get_one_line(bot: Bot) -> None:
    aino, code = await invite_link(bot)
    mallory = Member(bot.app, bot.request, user_id=7007, first_name="Mallory")
    await mallory.say("/start " + "A" * 43)
    assert mallory.texts()[-1] == t("two.code_unknown")
    await aino.say("/invite revoke")
    assert aino.texts()[-1] == t("two.revoked")
    await mallory.say(f"/start {code}")
    assert mallory.texts()[-1] == t("two.code_revoked")
    await aino.say("/invite")
    assert LINK.search(aino.texts()[-1])
    await aino.say("/invite share")
    assert aino.texts()[-1] == t("two.shared")
    await aino.say("/invite private")
    assert aino.texts()[-1] == t("two.unshared")
    # Nothing was stored for Mallory's chat.
    assert not [
        c
        for c in bot.request.calls
        if c.method == "sendMessage"
        and "Join" in str(c.params)
        and int(c.params["chat_id"]) == 7007
    ]
