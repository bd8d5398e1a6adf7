"""Telegram in four languages: a whole plan played by a member whose Telegram is set to each
language (``language_code`` on the user of every update), /language in private chats, a group
whose administrator chose Finnish, and the command menus per language and scope."""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_tg_group import markup, member, plan_of, reply_to
from tg_support import Bot

from bot.telegram.app import ADMIN_ONLY, MENU
from bot.telegram.callback_data import decode
from bot.telegram.deps import DEPS
from bot.telegram.offline import Member, buttons
from flows.model import DONE
from flows.questionnaire import MULTI, SCALE, TEXT, by_key, is_question
from flows.texts import language_name, languages, t
from tests.flows.languages import LANGUAGES, OWN_WORDS, PARTNER, mostly_in_script

pytestmark = pytest.mark.usefixtures("roomy_group_limit")

KERHO = -700  # a group that plans in Finnish


def speaking(who: Member, language: str) -> Member:
    who.user["language_code"] = language
    return who


def with_keyboard(who: Member) -> dict[str, Any]:
    """The bot's latest message in the chat that has buttons."""
    return next(m for m in reversed(who.messages()) if buttons(m))


def labels(message: dict[str, Any]) -> list[str]:
    return [label for label, _ in buttons(message)]


async def answer_current(who: Member, store: Any, language: str) -> None:
    """Answer the plan's current step as a member reading ``language`` would: tap the option
    labelled in that language (a scale's 4), tick and Done, or type their own words."""
    plan = await plan_of(store, who.chat_id)
    if not is_question(plan.state):  # the review: show the result
        message = with_keyboard(who)
        await who.tap_label(message, t("ui.finish", language))
        return
    question = by_key(plan.state)
    if question.kind == TEXT:
        words = PARTNER if question.key == "partner_name" else OWN_WORDS[language]
        last = who.last()
        if who.chat_id < 0:
            await reply_to(who, last, words)
        else:
            await who.say(words)
        return
    message = with_keyboard(who)
    option = "4" if question.kind == SCALE else question.options[0]
    label = t(f"opt.{question.option_group}.{option}", language)
    assert label in labels(message), (label, labels(message))
    await who.tap_label(message, label)
    if question.kind == MULTI or (question.kind == SCALE and who.chat_id < 0):
        await who.tap_label(with_keyboard(who), t("ui.done", language))


async def play_to_the_end(who: Member, store: Any, language: str) -> None:
    for _ in range(80):
        plan = await plan_of(store, who.chat_id)
        if plan.status == DONE:
            return
        await answer_current(who, store, language)
    raise AssertionError("the plan did not finish")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_whole_plan_in_the_language_of_the_members_telegram(
    bot: Bot, store: Any, language: str
) -> None:
    aino = speaking(
        Member(bot.app, bot.request, user_id=8100 + LANGUAGES.index(language)), language
    )
    await aino.say("/start")
    assert aino.texts()[0] == t("ui.welcome", language)
    await play_to_the_end(aino, store, language)
    plan = await plan_of(store, aino.chat_id)
    assert plan.language == language
    form = t(f"form.{plan.meta['result']['form']}.name", language)
    result = next(m for m in aino.messages() if t("ui.why", language) in labels(m))
    assert form in result["text"]
    assert labels(result)[:3] == [
        t(f"ui.{k}", language) for k in ("checklist", "tasks", "agreement")
    ]
    await aino.tap_label(result, t("ui.why", language))  # the reasoning, on request
    assert t("result.why", language) in aino.texts()[-1]
    for text in [m["text"] for m in aino.messages()]:  # as they look now, after edits
        assert mostly_in_script(text.replace(PARTNER, ""), language), text
    every_label = [label for m in aino.messages() for label in labels(m)]
    assert all(len(label) <= 24 for label in every_label)  # the phone rule
    await aino.say("/summary")  # a finished plan: the result again, in the same language
    assert form in aino.texts()[-1]


async def test_language_command_lets_a_member_choose_and_it_is_stored(bot: Bot, store: Any) -> None:
    olena = speaking(Member(bot.app, bot.request, user_id=8200), "en")
    await olena.say("/plan")
    assert t("q.aims.text", "en") in olena.texts()[-1]
    await olena.say("/language")
    menu = olena.last()
    assert menu["text"] == t("ui.language_menu", "en")
    assert labels(menu) == [language_name(code) for code in languages()]
    await olena.tap_label(menu, "Українська")
    assert olena.last()["text"] == t("ui.language_set", "uk")
    assert olena.toasts()[-1] is None  # accepted: no complaint
    plan = await plan_of(store, olena.chat_id)
    assert plan.language == "uk"
    await olena.say("/resume")  # her Telegram is still English: the choice wins
    assert t("q.aims.text", "uk") in olena.texts()[-1]
    assert labels(with_keyboard(olena))[0] == t("opt.aims.joint_event", "uk")
    await olena.say("/help")
    assert olena.texts()[-1] == t("ui.help", "uk")
    await olena.say("/language suomi")  # by name or code, at once
    assert olena.texts()[-1] == t("ui.language_set", "fi")
    await olena.say("/language klingon")
    assert olena.texts()[-1] == t("ui.language_unknown", "fi")
    assert (await plan_of(store, olena.chat_id)).language == "fi"


async def test_a_forged_language_button_changes_nothing(bot: Bot, store: Any) -> None:
    anna = speaking(Member(bot.app, bot.request, user_id=8300), "fi")
    await anna.say("/plan")
    before = await plan_of(store, anna.chat_id)
    await anna.tap(anna.last(), "l|xx")
    assert anna.toasts()[-1] == t("ui.bad_button", "fi")
    after = await plan_of(store, anna.chat_id)
    assert (after.language, after.version) == ("fi", before.version)


async def test_a_group_whose_administrator_chose_finnish(bot: Bot, store: Any) -> None:
    """The admin's Telegram is English and the members' Ukrainian and Arabic: the group's
    questions are in Finnish, because the administrator chose it for the group."""
    admin = speaking(member(bot, 701, "Aino", KERHO), "en")
    olena = speaking(member(bot, 702, "Олена", KERHO), "uk")
    mariam = speaking(member(bot, 703, "Mariam", KERHO), "ar")
    bot.request.member_status[(KERHO, 701)] = "administrator"

    await olena.say("/language")  # members may not choose the group's language
    assert olena.texts()[-1] == t("ui.admins_only", "uk")
    await admin.say("/language")
    menu = admin.last()
    assert menu["text"] == t("ui.language_menu_group", "en")
    refused = olena.tap_update(menu, dict(buttons(menu))["Suomi"])
    await olena.send(refused)
    assert olena.toasts()[-1] == t("ui.admins_only", "uk")
    await admin.tap_label(menu, "Suomi")
    assert admin.last()["text"] == t("ui.language_set", "fi")
    chosen_at = admin.last()["message_id"]

    await mariam.say("/plan")
    assert t("q.aims.text", "fi") in admin.texts()[-1]
    # Members with other Telegram languages answer; the group reads Finnish all the way.
    players = [olena, mariam, admin]
    for turn in range(80):
        if (await plan_of(store, KERHO)).status == DONE:
            break
        await answer_current(players[turn % 3], store, "fi")
    plan = await plan_of(store, KERHO)
    assert plan.status == DONE and plan.language == "fi"
    since = [m for m in admin.messages() if m["message_id"] >= chosen_at]
    assert len(since) >= 5
    for message in since:
        assert mostly_in_script(message["text"].replace(PARTNER, ""), "fi"), message["text"]
        for label in labels(message):
            assert label not in (t("ui.done", "en"), t("ui.skip", "en"), t("ui.back", "en"))
    await olena.say("/checklist")
    assert admin.texts()[-1].startswith(t("check.title", "fi", done=0, total=1)[:14])


async def test_the_command_menu_is_set_per_language_and_scope(bot: Bot) -> None:
    await bot.app.post_init(bot.app)
    calls = bot.request.called("setMyCommands")

    def scope_of(call: dict[str, Any]) -> str:
        return str(markup({"reply_markup": call["scope"]})["type"])

    seen = {(scope_of(c), c.get("language_code")) for c in calls}
    for scope in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
        assert {(scope, code) for code in (None, *languages())} <= seen
    for call in calls:
        names = [c["command"] for c in _commands(call)]
        language = call.get("language_code") or "en"
        for command in _commands(call):
            assert command["description"] == t(f"ui.cmd_{command['command']}", language)
        if scope_of(call) in ("default", "all_group_chats"):
            assert names == [n for n in MENU if n not in ADMIN_ONLY]
            assert "language" not in names
        else:
            assert names == list(MENU) and "language" in names


def _commands(call: dict[str, Any]) -> list[dict[str, Any]]:
    commands = call["commands"]
    return list(json.loads(commands)) if isinstance(commands, str) else list(commands)


def test_language_buttons_are_not_question_buttons() -> None:
    assert decode("l|fi") is None  # the question buttons' own format is untouched


async def test_a_group_is_greeted_in_the_language_of_who_added_the_bot(bot: Bot) -> None:
    from test_tg_group import my_chat_member

    aino = speaking(member(bot, 711, "Aino", -710), "fi")
    await aino.send(my_chat_member(aino, "left", "member"))
    assert aino.texts() == [t("ui.group_welcome", "fi")]


async def test_the_language_memo_keeps_the_chats_noted_last(bot: Bot, store: Any) -> None:
    """The memo of chat languages is bounded: the chat noted longest ago is forgotten first,
    and a forgotten chat's next answer is still in its plan's language."""
    memo = bot.app.bot_data[DEPS].languages
    memo.size = 2
    olena = speaking(Member(bot.app, bot.request, user_id=8400), "en")
    await olena.say("/plan")
    await olena.say("/language suomi")
    others = [speaking(Member(bot.app, bot.request, user_id=8401 + n), "en") for n in range(2)]
    await others[0].say("/plan")
    await olena.say("/resume")  # noted again: now the most recent
    await others[1].say("/plan")  # forgets others[0], not Olena
    assert memo.get(str(olena.chat_id)) == "fi"
    assert memo.get(str(others[0].chat_id)) is None
    assert memo.get(str(others[1].chat_id)) == "en"
    await others[0].say("/plan")
    await others[1].say("/plan")  # Olena is forgotten now
    assert memo.get(str(olena.chat_id)) is None
    await answer_current(olena, store, "fi")  # a tap, answered in her plan's language
    assert t("q.strategy_goal.text", "fi") in olena.texts()[-1]
    assert memo.get(str(olena.chat_id)) == "fi"
