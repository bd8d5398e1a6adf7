"""Group chats end to end: several members plan one partnership through the real Application,
the real PlanningService and SqlStore, on the offline Bot API."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import pytest
from tg_support import Bot, current_plan, settled, snapshot

from bot.telegram import delivery
from bot.telegram.app import ChatOrderedUpdateProcessor
from bot.telegram.callback_data import Action, decode
from bot.telegram.offline import (
    BOT_ID,
    BOT_USER,
    BOT_USERNAME,
    Member,
    buttons,
    chat_dict,
    chat_member_dict,
)
from flows.model import DONE, AnswerRecord, ChatRef, Plan
from flows.texts import t
from tests.storage.sql_helpers import count_rows

pytestmark = pytest.mark.usefixtures("roomy_group_limit")

GROUP = -500  # a basic group
SUPERGROUP = -1_000_000_000_500  # what it becomes when upgraded
ANNA, BEN, CARL = 501, 502, 503


# --- helpers (also used by the other test_tg_group*.py) ----------------------------------------


def member(bot: Bot, user_id: int, name: str, chat_id: int = GROUP) -> Member:
    return Member(bot.app, bot.request, user_id=user_id, chat_id=chat_id, first_name=name)


def group_ref(chat_id: int = GROUP) -> ChatRef:
    return ChatRef("telegram", str(chat_id), "group", "Green Club")


async def reply_to(who: Member, message: dict[str, Any], text: str) -> dict[str, Any]:
    """``who`` replies to one of the bot's messages; returns the member's message."""
    own = who.message(text=text, reply_to_message=message)
    await who.send(who.update(message=own))
    return own


def markup(params: dict[str, Any]) -> dict[str, Any]:
    raw = params.get("reply_markup") or {}
    return json.loads(raw) if isinstance(raw, str) else dict(raw)


def sends(bot: Bot, chat_id: int = GROUP) -> list[dict[str, Any]]:
    return [p for p in bot.request.called("sendMessage") if int(p["chat_id"]) == chat_id]


def toast_for(bot: Bot, query_id: str) -> str | None:
    answers = [
        p for p in bot.request.called("answerCallbackQuery") if p["callback_query_id"] == query_id
    ]
    assert len(answers) == 1, answers  # every tap is answered exactly once
    return answers[0].get("text")


def is_text_question(message: dict[str, Any]) -> bool:
    text = message["text"]
    return t("ui.reply_to_answer") in text or t("ui.reply_to_answer_or_skip") in text


async def plan_of(store: Any, chat_id: int = GROUP) -> Plan:
    plan = await current_plan(store, chat_id)
    assert plan is not None
    return plan


async def history(store: Any, chat_id: int = GROUP) -> list[AnswerRecord]:
    async with store.session(group_ref(chat_id)) as session:
        plan = await session.current_plan()
        assert plan is not None and plan.id is not None
        return await session.answer_history(plan.id)


def button_data(message: dict[str, Any], action: Action) -> list[str]:
    found = []
    for _, data in buttons(message):
        decoded = decode(data)
        if decoded is not None and decoded.action == action:
            found.append(data)
    return found


async def walk_to(who: Member, store: Any, question: str) -> dict[str, Any]:
    """Tap first options / tick and Done / reply with text until ``question`` is shown."""
    for _ in range(40):
        plan = await plan_of(store, who.chat_id)
        last = who.last()
        if plan.state == question:
            return last
        if toggles := button_data(last, Action.TOGGLE):
            await who.tap(last, toggles[0])
            await who.tap(who.last(), button_data(who.last(), Action.DONE)[0])
        elif answers := button_data(last, Action.ANSWER):
            await who.tap(last, answers[0])
            if done := button_data(who.last(), Action.DONE):  # a vote on a scale
                await who.tap(who.last(), done[0])
        elif use := button_data(last, Action.USE):  # votes far apart: use the middle value
            await who.tap(last, use[0])
        else:
            await reply_to(who, last, "Our own words")
    raise AssertionError(f"never reached {question}")


# --- a whole plan by two members -------------------------------------------------------------


async def test_two_members_plan_together_to_the_end(bot: Bot, store: Any) -> None:
    anna, ben = member(bot, ANNA, "Anna"), member(bot, BEN, "Ben")
    await anna.say(f"/plan@{BOT_USERNAME}")
    typed: dict[str, str] = {}  # text question -> what was typed
    scale_votes = {"Anna": 1, "Ben": 5}
    for step in range(200):
        who = (anna, ben)[step % 2]
        name = who.user["first_name"]
        if any(t("result.title", form="") in text for text in who.texts()):
            break
        last = who.last()
        if finish := button_data(last, Action.FINISH):
            await who.tap(last, finish[0])
        elif toggles := button_data(last, Action.TOGGLE):
            ticked = [label for label, _ in buttons(last) if label.startswith("✓")]
            # Anna ticks one box, Ben ticks another, then whoever is next applies both.
            if len(ticked) < 2:
                await who.tap(last, toggles[len(ticked)])
            else:
                await who.tap(last, button_data(last, Action.DONE)[0])
        elif use := button_data(last, Action.USE):  # votes far apart: the group settles it
            await who.tap(last, use[0])
        elif button_data(last, Action.DONE) and not button_data(last, Action.TOGGLE):
            # A scale: everybody votes (blind: the message shows who voted), then Done.
            plan = await plan_of(store)
            voted = {v["name"] for v in plan.meta.get("votes", {}).get(plan.state, {}).values()}
            if name in voted:
                await who.tap(last, button_data(last, Action.DONE)[0])
            else:
                await who.tap(last, button_data(last, Action.ANSWER)[scale_votes[name] - 1])
        elif answers := button_data(last, Action.ANSWER):
            await who.tap(last, answers[0])
        else:
            assert is_text_question(last), last
            plan = await plan_of(store)
            typed[plan.state] = f"{name} wrote this for {plan.state}"
            await reply_to(who, last, typed[plan.state])
    else:
        raise AssertionError("the group never got its result")

    plan = await plan_of(store)
    assert plan.status == DONE
    # Every answer in the history names the member who gave it, alternating between them.
    rows = await history(store)
    assert {row.member.name for row in rows} == {"Anna", "Ben"}
    for question, text in typed.items():
        row = next(r for r in rows if r.question == question)
        assert row.value == text and text.startswith(row.member.name)
    # Both members' votes are stored; the group was asked about the spread before the plan
    # took their median, and the credit names every vote.
    shown = [p["text"] for p in bot.request.called("editMessageText")]
    for scale in ("field_closeness", "value_closeness"):
        votes = plan.meta["votes"][scale]
        assert {v["name"]: v["value"] for v in votes.values()} == scale_votes
        assert plan.answers[scale] == 3
        median = t("ui.credit_median_answer", value=3, votes="Anna 1, Ben 5")
        assert plan.meta["credit"][scale]["answer"] == median
    asked = t("ui.spread_ask", low=1, high=5, votes="Anna 1, Ben 5", median=3)
    assert sum(asked in text for text in shown) == 2
    # The two ticked boxes of a multi-select were applied together.
    assert len(plan.answers["aims"]) == 2
    # The answers show who gave them, on the message that moved on to the next question.
    edits = [p["text"] for p in bot.request.called("editMessageText")]
    for name in ("Anna", "Ben"):
        assert any(text.startswith(t("ui.answered_by", name=name, answer="")) for text in edits)
    # Button answers edit in place: new messages only for /plan, text questions and results.
    text_questions = [m for m in anna.messages() if is_text_question(m)]
    assert len(sends(bot)) <= 1 + len(text_questions) + len(typed) + 2
    # Every vote and tick is in the answer history, with who made it.
    contributions = [(r.member.name, r.value) for r in rows if r.contribution]
    assert ("Anna", {"vote": 1}) in contributions and ("Ben", {"vote": 5}) in contributions
    assert {name for name, value in contributions if "tick" in value} == {"Anna", "Ben"}


async def test_a_button_answer_costs_one_edit_and_no_new_message(bot: Bot, store: Any) -> None:
    anna = member(bot, ANNA, "Anna")
    await anna.say("/plan")
    choice = await walk_to(anna, store, "value_conflict")
    calls = len(bot.request.calls)
    await anna.tap(choice, button_data(choice, Action.ANSWER)[0])  # "none": on to a choice
    made = [c.method for c in bot.request.calls[calls:]]
    assert made == ["answerCallbackQuery", "editMessageText"]
    edited = anna.last()
    assert edited["message_id"] == choice["message_id"]
    first_line = edited["text"].split("\n")[0]
    assert first_line == t("ui.answered_by", name="Anna", answer=t("opt.value_conflict.none"))
    assert t("q.acquaintance.text") in edited["text"]
    assert button_data(edited, Action.ANSWER)  # the next question's buttons


async def test_one_live_copy_of_a_question(bot: Bot, store: Any) -> None:
    """Two members sending /plan do not get two working copies: the older copy loses its
    buttons, and a tap already on its way to it changes nothing and says so."""
    anna, ben = member(bot, ANNA, "Anna"), member(bot, BEN, "Ben")
    carl = member(bot, CARL, "Carl")
    await anna.say("/plan")
    await ben.say("/plan")
    first, second = [m for m in bot.request.chat_messages(GROUP) if t("q.aims.text") in m["text"]]
    assert "reply_markup" not in first and buttons(second)
    older = await walk_to(anna, store, "value_conflict")
    await carl.say("/resume")  # the same question again, further down
    newer = carl.last()
    assert newer["message_id"] != older["message_id"]
    assert "reply_markup" not in bot.request.messages[(GROUP, older["message_id"])]
    before = await snapshot(store, GROUP)
    # Carl's phone still shows the older copy's buttons: his tap changes nothing.
    tap = carl.tap_update(older, button_data(older, Action.ANSWER)[0])
    await carl.send(tap)
    assert toast_for(bot, tap.callback_query.id) == t("ui.old_copy")  # type: ignore[union-attr]
    assert await snapshot(store, GROUP) == before
    # The live copy works, in place.
    await carl.tap(newer, button_data(newer, Action.ANSWER)[0])
    assert t("q.acquaintance.text") in bot.request.messages[(GROUP, newer["message_id"])]["text"]


async def test_group_messages_are_paced_to_telegrams_limit(
    make_bot: Any, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.service import PlanningService

    monkeypatch.setattr(delivery, "GROUP_MESSAGES_PER_MINUTE", 20)  # the real limit
    bot = await make_bot(PlanningService(store))
    tg = bot.app.bot
    for n in range(20):
        await tg.send_message(GROUP, f"message {n}")
    # The 21st message to the same group waits (about 3 s) for room in the budget ...
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(tg.send_message(GROUP, "one too many"), 0.5)
    # ... while other chats, and read-only calls about the group (admin checks), don't.
    await asyncio.wait_for(tg.send_message(-501, "another group"), 0.5)
    await asyncio.wait_for(tg.get_chat_member(GROUP, ANNA), 0.5)


# --- simultaneous taps -----------------------------------------------------------------------


async def test_simultaneous_taps_apply_once_and_the_loser_is_told_who_won(
    bot: Bot, store: Any, caplog: pytest.LogCaptureFixture
) -> None:
    assert isinstance(bot.app.update_processor, ChatOrderedUpdateProcessor)
    assert bot.app.update_processor.max_concurrent_updates > 1  # concurrent updates are on
    anna, ben = member(bot, ANNA, "Anna"), member(bot, BEN, "Ben")
    await anna.say("/plan")
    question = await walk_to(anna, store, "strategy_goal")
    before = await plan_of(store)
    options = button_data(question, Action.ANSWER)
    taps = {
        "Anna": anna.tap_update(question, options[0]),
        "Ben": ben.tap_update(question, options[1]),
    }
    # Straight into the handlers, side by side: the race is decided by the store alone.
    await asyncio.gather(*(bot.app.process_update(u) for u in taps.values()))
    await settled(bot.app)

    plan = await plan_of(store)
    assert plan.version == before.version + 1  # exactly one answer applied
    rows = [r for r in await history(store) if r.question == "strategy_goal"]
    assert len(rows) == 1
    winner = rows[0].member.name
    loser = "Ben" if winner == "Anna" else "Anna"
    chosen = {"Anna": "more_members", "Ben": "visibility"}
    assert plan.answers["strategy_goal"] == rows[0].value == chosen[winner]
    assert toast_for(bot, taps[winner].callback_query.id) is None  # type: ignore[union-attr]
    toast = toast_for(bot, taps[loser].callback_query.id)  # type: ignore[union-attr]
    assert toast is not None and winner in toast and "/back" in toast
    assert toast in (t("ui.conflict_by", name=winner), t("ui.stale_by", name=winner))
    # An ordinary race, not a forged button: nothing at WARNING; a lost write is an INFO line.
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    if toast == t("ui.conflict_by", name=winner):
        races = [r for r in caplog.records if r.getMessage().startswith("Lost a race")]
        assert [r.levelno for r in races] == [logging.INFO]


async def test_one_chats_updates_run_in_order_through_the_update_processor(
    bot: Bot, store: Any
) -> None:
    """PTB hands updates to the processor concurrently; one chat's still apply in order."""
    anna, ben = member(bot, ANNA, "Anna"), member(bot, BEN, "Ben")
    await anna.say("/plan")
    question = anna.last()
    first, second = button_data(question, Action.TOGGLE)[:2]
    processor = bot.app.update_processor

    async def through_processor(update: Any) -> None:
        await processor.process_update(update, bot.app.process_update(update))

    # Quick taps by one member on two boxes: both ticks count (none lost to a race).
    await asyncio.gather(
        through_processor(anna.tap_update(question, first)),
        through_processor(anna.tap_update(question, second)),
    )
    await settled(bot.app)
    plan = await plan_of(store)
    assert len(plan.meta["selection"]["aims"]) == 2
    assert [label.startswith("✓") for label, _ in buttons(anna.last())][:3] == [True, True, False]
    # Two members tapping Done at once: one applies it, the other is told who did.
    done = button_data(anna.last(), Action.DONE)[0]
    taps = [anna.tap_update(anna.last(), done), ben.tap_update(anna.last(), done)]
    await asyncio.gather(*(through_processor(u) for u in taps))
    await settled(bot.app)
    assert toast_for(bot, taps[0].callback_query.id) is None  # type: ignore[union-attr]
    assert toast_for(bot, taps[1].callback_query.id) == t("ui.stale_by", name="Anna")  # type: ignore[union-attr]
    answers = [r for r in await history(store) if r.question == "aims" and not r.contribution]
    assert len(answers) == 1


async def test_update_processor_orders_each_chat_and_runs_chats_side_by_side(bot: Bot) -> None:
    processor = ChatOrderedUpdateProcessor(8)
    anna, ben = member(bot, ANNA, "Anna"), member(bot, BEN, "Ben")
    elsewhere = member(bot, CARL, "Carl", chat_id=-600)
    log: list[str] = []

    async def work(name: str, pause: float) -> None:
        log.append(f"{name} starts")
        await asyncio.sleep(pause)
        log.append(f"{name} ends")

    await asyncio.gather(
        processor.process_update(anna.text_update("/plan"), work("first", 0.05)),
        processor.process_update(ben.text_update("/plan"), work("second", 0)),
        processor.process_update(elsewhere.text_update("/plan"), work("other chat", 0)),
    )
    # The group's second update waited for its first; the other chat did not wait.
    assert log.index("first ends") < log.index("second starts")
    assert log.index("other chat ends") < log.index("first ends")


# --- free text, ForceReply and what the bot ignores ----------------------------------------


async def test_free_text_by_another_members_reply_is_accepted(bot: Bot, store: Any) -> None:
    anna, ben = member(bot, ANNA, "Anna"), member(bot, BEN, "Ben")
    await anna.say("/plan")
    question = await walk_to(anna, store, "strategy_goal")
    # "Another goal" (the last option) asks to name it: a text question.
    await anna.tap(question, button_data(question, Action.ANSWER)[-1])
    # A text question: a new message, ForceReply aimed at Anna (who answered last) by a
    # mention, since a tap has no message of hers to reply to.
    asked = anna.last()
    assert is_text_question(asked) and t("q.strategy_detail.text") in asked["text"]
    params = sends(bot)[-1]
    assert markup(params)["force_reply"] is True and markup(params)["selective"] is True
    (mention,) = params["entities"]
    assert mention["type"] == "text_mention" and mention["user"]["id"] == ANNA
    start, end = mention["offset"], mention["offset"] + mention["length"]
    assert asked["text"][start:end] == "Anna"

    # Ben answers it by replying: accepted, and stored as his.
    own = await reply_to(ben, asked, "Grow our youth section")
    plan = await plan_of(store)
    assert plan.answers["strategy_detail"] == "Grow our youth section"
    assert (await history(store))[-1].member.name == "Ben"
    # The next text question replies to Ben's message, so ForceReply is aimed at him.
    params = sends(bot)[-1]
    assert params["reply_parameters"]["message_id"] == own["message_id"]
    assert markup(params)["force_reply"] is True and markup(params)["selective"] is True
    assert anna.last()["text"].startswith(
        t("ui.answered_by", name="Ben", answer="Grow our youth section")
    )

    # Plain chat among members is not for the bot: nothing stored, nothing sent.
    before, calls = await snapshot(store, GROUP), len(bot.request.calls)
    await anna.say("Shall we meet on Tuesday?")
    await ben.send(ben.update(message=ben.message(text="Sure", reply_to_message=ben.message())))
    assert await snapshot(store, GROUP) == before
    assert len(bot.request.calls) == calls

    # A reply to the question Ben already answered is not taken for the next question.
    await reply_to(anna, asked, "Something else entirely")
    plan = await plan_of(store)
    assert plan.state == "target_benefit" and "target_benefit" not in plan.answers
    assert sends(bot)[-1]["text"] == t("ui.stale_by", name="Ben")

    # Asking for the question again aims its ForceReply at whoever asked.
    resume = ben.text_update(f"/resume@{BOT_USERNAME}")
    await ben.send(resume)
    params = sends(bot)[-1]
    assert t("q.target_benefit.text") in params["text"]
    assert params["reply_parameters"]["message_id"] == resume.message.message_id  # type: ignore[union-attr]
    assert markup(params)["force_reply"] is True and markup(params)["selective"] is True

    # A mention works like a reply.
    await anna.say(f"@{BOT_USERNAME} Young people find a place to belong")
    plan = await plan_of(store)
    assert plan.answers["target_benefit"] == "Young people find a place to belong"


async def test_back_to_a_text_question_aims_it_at_who_tapped(bot: Bot, store: Any) -> None:
    anna, ben = member(bot, ANNA, "Anna"), member(bot, BEN, "Ben")
    await anna.say("/plan")
    choice = await walk_to(anna, store, "we_offer")
    await ben.tap(choice, button_data(choice, Action.BACK)[0])
    assert (await plan_of(store)).state == "target_benefit"
    params = sends(bot)[-1]
    assert params["text"].startswith(t("ui.asked_by", name="Ben"))
    assert t("q.target_benefit.text") in params["text"] and is_text_question(params)
    (mention,) = params["entities"]
    assert mention["user"]["id"] == BEN and markup(params)["force_reply"] is True
    assert not buttons(bot.request.messages[(GROUP, choice["message_id"])])  # closed


async def test_a_reply_is_matched_to_its_question_after_a_restart(
    make_bot: Any, store: Any
) -> None:
    """Which question a message shows is remembered in memory; without it (another instance,
    a restart) the bot recognises the question by its text."""
    from flows.service import PlanningService

    first = await make_bot(PlanningService(store))
    anna = member(first, ANNA, "Anna")
    await anna.say("/plan")
    question = await walk_to(anna, store, "strategy_goal")
    await anna.tap(question, button_data(question, Action.ANSWER)[-1])  # "Another goal"
    asked = anna.last()
    await reply_to(anna, asked, "First answer")
    second = await make_bot(PlanningService(store))  # knows nothing of the messages
    ben = member(second, BEN, "Ben")
    await reply_to(ben, asked, "Late answer")
    plan = await plan_of(store)
    assert plan.state == "target_benefit" and "target_benefit" not in plan.answers
    assert second.request.sent_texts(GROUP) == [t("ui.stale_by", name="Anna")]


async def test_commands_with_the_bots_name(bot: Bot, store: Any) -> None:
    anna = member(bot, ANNA, "Anna")
    await anna.say("/plan@some_other_bot")
    assert await current_plan(store, GROUP) is None and anna.texts() == []
    await anna.say(f"/plan@{BOT_USERNAME}")
    await anna.say(f"/summary@{BOT_USERNAME}")
    assert t("q.aims.text") in anna.texts()[0]
    assert anna.texts()[1] == t("ui.summary_empty")
    await anna.say(f"@{BOT_USERNAME}")  # a bare mention shows where the plan stands
    assert t("q.aims.text") in anna.texts()[2]
    # In a group the bot replies to the command it answers.
    assert sends(bot)[-1]["reply_parameters"]["message_id"] > 0


# --- scale votes and multi-select -----------------------------------------------------------


async def test_simultaneous_votes_are_all_counted(bot: Bot, store: Any) -> None:
    anna, ben = member(bot, ANNA, "Anna"), member(bot, BEN, "Ben")
    await anna.say("/plan")
    scale = await walk_to(anna, store, "field_closeness")
    votes = button_data(scale, Action.ANSWER)
    taps = [anna.tap_update(scale, votes[3]), ben.tap_update(scale, votes[4])]
    await asyncio.gather(*(bot.app.process_update(u) for u in taps))
    await settled(bot.app)
    plan = await plan_of(store)
    stored = {v["name"]: v["value"] for v in plan.meta["votes"]["field_closeness"].values()}
    assert stored == {"Anna": 4, "Ben": 5}  # a vote that lost the race was cast again
    # Each voter sees their own vote in the tap's toast (the message shows no values).
    toasts = [toast_for(bot, u.callback_query.id) for u in taps]  # type: ignore[union-attr]
    assert toasts == [t("ui.vote_counted", value=4), t("ui.vote_counted", value=5)]


# --- joining, and becoming a supergroup ------------------------------------------------------


def my_chat_member(who: Member, old: str, new: str) -> Any:
    return who.update(
        my_chat_member={
            "chat": chat_dict(who.chat_id),
            "from": who.user,
            "date": int(time.time()),
            "old_chat_member": chat_member_dict(BOT_ID, old) | {"user": BOT_USER},
            "new_chat_member": chat_member_dict(BOT_ID, new) | {"user": BOT_USER},
        }
    )


async def test_greets_the_group_once_when_added(bot: Bot) -> None:
    anna = member(bot, ANNA, "Anna")
    # Telegram reports being added twice: as a membership change and as a service message.
    await anna.send(my_chat_member(anna, "left", "member"))
    await anna.send(anna.update(message=anna.message(new_chat_members=[BOT_USER])))
    assert anna.texts() == [t("ui.group_welcome")]
    assert "/plan" in anna.texts()[0]
    # Being made an administrator is no new arrival; others joining is not about the bot.
    await anna.send(my_chat_member(anna, "member", "administrator"))
    newcomer = {"id": 777, "is_bot": False, "first_name": "Dora"}
    await anna.send(anna.update(message=anna.message(new_chat_members=[newcomer])))
    assert anna.texts() == [t("ui.group_welcome")]
    # Added as an administrator straight away, to another group: greeted there too.
    other = member(bot, ANNA, "Anna", chat_id=-600)
    await other.send(my_chat_member(other, "left", "administrator"))
    assert other.texts() == [t("ui.group_welcome")]


async def test_supergroup_upgrade_keeps_the_plan(bot: Bot, store: Any) -> None:
    anna = member(bot, ANNA, "Anna")
    await anna.say("/plan")
    await walk_to(anna, store, "target_benefit")
    before = await plan_of(store)
    rows_before = await count_rows(store, group_ref(GROUP))
    calls = len(bot.request.calls)
    # Telegram posts the upgrade in both chats; both are handled, side by side.
    upgraded = member(bot, ANNA, "Anna", chat_id=SUPERGROUP)
    old_note = anna.update(message=anna.message(migrate_to_chat_id=SUPERGROUP))
    new_note = upgraded.update(message=upgraded.message(migrate_from_chat_id=GROUP))
    await asyncio.gather(bot.app.process_update(old_note), bot.app.process_update(new_note))

    assert set((await count_rows(store, group_ref(GROUP))).values()) == {0}
    assert await count_rows(store, group_ref(SUPERGROUP)) == rows_before
    moved = await plan_of(store, SUPERGROUP)
    assert (moved.id, moved.state, moved.answers) == (before.id, before.state, before.answers)
    assert len(bot.request.calls) == calls  # nothing to say about it; no new hello
    # The plan goes on in the supergroup, by reply, as before.
    await upgraded.say(f"/resume@{BOT_USERNAME}")
    assert t("q.target_benefit.text") in upgraded.texts()[-1]
    await reply_to(upgraded, upgraded.last(), "Carried over")
    assert (await plan_of(store, SUPERGROUP)).answers["target_benefit"] == "Carried over"
    # The same notes again (a redelivery, another instance) change nothing.
    await bot.app.process_update(anna.update(message=anna.message(migrate_to_chat_id=SUPERGROUP)))
    assert (await plan_of(store, SUPERGROUP)).answers["target_benefit"] == "Carried over"
    assert (await count_rows(store))["association"] == 1
