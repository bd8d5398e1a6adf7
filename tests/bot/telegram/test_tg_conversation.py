"""End to end: a real PTB Application, the real PlanningService and SqlStore, offline Telegram."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from tg_support import TOKEN, Bot, current_plan, make_settings, settled, snapshot

from bot.telegram.app import MENU, build_application
from bot.telegram.callback_data import Action, ButtonData, decode, encode
from bot.telegram.deps import DEPS
from bot.telegram.handlers import MAX_TEXT
from bot.telegram.offline import BOT_USERNAME, Member, buttons
from flows.events import Skip, Start, Text
from flows.model import DONE, ChatRef, MemberRef
from flows.texts import t
from tests.storage.sql_helpers import count_rows

FORMS = ("information", "event", "advocacy", "network", "corporate", "strategic")
TYPED = "More young people taking part in our activities"


def _is_result(text: str) -> bool:
    return text.startswith("<b>") and t("result.title", form="") in text


async def play_to_result(member: Member, max_steps: int = 100) -> str:
    """Answer every question the way a member would: tap the first option, tick the first
    box then Done, type when there are no option buttons, and Finish at the review."""
    for _ in range(max_steps):
        texts = member.texts()
        if any(_is_result(x) for x in texts):
            return "\n".join(texts[-3:])
        last = member.last()
        decoded = [(label, data, decode(data)) for label, data in buttons(last)]
        assert all(d is not None for _, _, d in decoded), decoded
        by_action: dict[Action, list[tuple[str, str]]] = {}
        for label, data, d in decoded:
            assert d is not None
            by_action.setdefault(d.action, []).append((label, data))
        if Action.FINISH in by_action:
            await member.tap(last, by_action[Action.FINISH][0][1])
        elif Action.TOGGLE in by_action:
            ticked = any(label.startswith("✓") for label, _ in by_action[Action.TOGGLE])
            choice = by_action[Action.DONE][0] if ticked else by_action[Action.TOGGLE][0]
            await member.tap(last, choice[1])
        elif Action.ANSWER in by_action:
            await member.tap(last, by_action[Action.ANSWER][0][1])
        else:  # a text question: only Back/Skip buttons, if any
            await member.say(TYPED)
    raise AssertionError(f"no result after {max_steps} steps; last: {member.last()!r}")


async def test_whole_private_conversation(bot: Bot, store: Any) -> None:
    member = bot.member
    await member.say("/start")
    welcome, first = member.texts()
    assert welcome == t("ui.welcome")
    plan = await current_plan(store, member.chat_id)
    assert plan is not None
    # Progress shows the part of the questionnaire: it never jumps as branches close.
    assert first.startswith("Part 1 of 4 — your association (question 1)\n\n")
    assert t("q.aims.text") in first
    assert buttons(member.last()), "the first question has buttons"

    result = await play_to_result(member)

    names = [t(f"form.{form}.name") for form in FORMS]
    assert any(t("result.title", form=name) in result for name in names), result
    assert "partnership" in result.lower() or "network" in result.lower()
    # The result leads on with buttons; "Why this?" sends the reasoning and who does what.
    shown = member.last()
    labels = dict(buttons(shown))
    # No partner has joined yet: the result also offers to invite one.
    expected = [t("ui.checklist"), t("ui.tasks"), t("ui.agreement"), t("ui.why"), t("ui.invite")]
    assert expected == list(labels)
    await member.tap(shown, labels[t("ui.why")])
    why = member.texts()[-1]
    assert t("result.why") in why and t("result.tasks") in why
    assert any(f" — {t(f'party.{p}')} (" in why for p in ("us", "partner"))

    plan = await current_plan(store, member.chat_id)
    assert plan is not None and plan.status == DONE
    assert len(plan.answers) >= 15

    # Every tap was answered, and every answered question shows its answer, without buttons.
    taps = [c for c in bot.request.calls if c.method == "answerCallbackQuery"]
    assert taps and all(c.params.get("text") is None for c in taps)
    answered = [m for m in member.messages() if t("ui.answered", answer="") in m["text"]]
    assert len(answered) >= 15
    assert all("reply_markup" not in m for m in answered)
    assert any(m["text"].endswith(t("ui.answered", answer=TYPED)) for m in answered)
    # Only the result (second last, before the reasoning) still has buttons.
    assert all("reply_markup" not in m for m in member.messages()[:-2])


class QueuedMember(Member):
    """A member whose updates go through the Application's update processor, as in
    production (polling or webhook), not straight to ``process_update``."""

    async def send(self, update: Any) -> None:
        app = self.app
        await app.update_processor.process_update(update, app.process_update(update))
        await settled(app)  # its redraws, as Member.send's callers do


async def test_no_empty_per_chat_data_is_kept(bot: Bot, store: Any) -> None:
    member = QueuedMember(bot.app, bot.request, user_id=5151)
    await member.say("/start")
    # While a question is shown, the chat's entry remembers its message.
    assert bot.app.chat_data[member.chat_id]
    await play_to_result(member)
    plan = await current_plan(store, member.chat_id)
    assert plan is not None and plan.status == DONE
    # The plan is done: what PTB would still keep for the chat and the member is empty, so
    # nothing is kept (state lives in the database).
    assert member.chat_id not in bot.app.chat_data
    assert member.user["id"] not in bot.app.user_data


async def test_two_instances_share_a_chat(bot: Bot, store: Any) -> None:
    """Two bot processes behind one webhook address share the chats and the database, not
    their memory: a tap on a question the other instance sent is answered, not refused as an
    older copy of one this instance once showed."""

    from flows.service import PlanningService

    request = bot.request  # one Telegram: it numbers the chat's messages upwards
    other = build_application(
        make_settings(), PlanningService(store), request=request, get_updates_request=request
    )
    await other.initialize()
    try:
        here, there = bot.member, Member(other, request, user_id=bot.member.user["id"])
        await here.say("/start")  # this instance shows the first question
        first = here.last()
        labels = [label for label, _data in buttons(first)]
        await there.tap_label(first, labels[0])  # the other one takes the taps from here
        await settled(other)
        await there.tap_label(there.last(), labels[-1])  # Done: it sends the second question
        await settled(other)
        second = here.last()
        assert second["message_id"] > first["message_id"]
        plan = await current_plan(store, here.chat_id)
        assert plan is not None
        answered = len(plan.answers)
        await here.tap_label(second, buttons(second)[0][0])  # back on this instance
        await settled(bot.app)
        assert t("ui.old_copy") not in [x for x in here.toasts() if x]
        plan = await current_plan(store, here.chat_id)
        assert plan is not None and len(plan.answers) == answered + 1
    finally:
        await other.shutdown()


async def test_multi_select_edits_in_place(bot: Bot, store: Any) -> None:
    member = bot.member
    await member.say("/plan")
    question = member.last()
    sent_before = len(member.texts())
    first, second = buttons(question)[0], buttons(question)[1]
    await member.tap(question, first[1])
    await member.tap(member.last(), second[1])
    # No new messages: the same message now shows both ticks.
    assert len(member.texts()) == sent_before
    now = member.last()
    assert now["message_id"] == question["message_id"]
    labels = [label for label, _ in buttons(now)]
    assert labels[0] == "✓ " + first[0] and labels[1] == "✓ " + second[0]
    # Done stores the selection and moves on.
    done = next(d for label, d in buttons(now) if label == t("ui.done"))
    await member.tap(now, done)
    plan = await current_plan(store, member.chat_id)
    assert plan is not None and len(plan.answers["aims"]) == 2
    assert member.last()["message_id"] != question["message_id"]


async def test_typed_answer_to_a_choice(bot: Bot, store: Any) -> None:
    member = bot.member
    await member.say("/plan")
    await member.say("1")  # the first question is multi: "1" ticks option 1 and applies it
    plan = await current_plan(store, member.chat_id)
    assert plan is not None and "aims" in plan.answers
    await member.say("no such option at all")
    assert member.texts()[-1].startswith(t("invalid.unknown_option", text="no such option at all"))


async def test_stale_button_changes_nothing(bot: Bot, store: Any) -> None:
    member = bot.member
    await member.say("/plan")
    aims = member.last()
    toggle = buttons(aims)[0][1]
    await member.tap(aims, toggle)
    await member.tap(member.last(), dict(buttons(member.last()))[t("ui.done")])
    second = member.last()
    await member.tap(second, buttons(second)[0][1])  # answer question 2 as well

    before = await snapshot(store, member.chat_id)
    calls_before = len(bot.request.calls)
    # Old buttons, still on the member's screen in an older client: the first question's.
    await member.tap(aims, toggle)
    await member.tap(second, buttons(second)[1][1])
    assert await snapshot(store, member.chat_id) == before
    new_calls = bot.request.calls[calls_before:]
    assert [c.method for c in new_calls] == ["answerCallbackQuery"] * 2
    # Copies of the question that are no longer the live one say so.
    assert all(c.params["text"] == t("ui.old_copy") for c in new_calls)
    assert all(c.params.get("show_alert") in (None, False) for c in new_calls)


@pytest.mark.parametrize("data", ["garbage", "1|1|0|z||", "", "1|1|0|f||" + TOKEN])
async def test_malformed_button_is_refused(
    bot: Bot, store: Any, data: str, caplog: pytest.LogCaptureFixture
) -> None:
    member = bot.member
    await member.say("/plan")
    before = await snapshot(store, member.chat_id)
    calls_before = len(bot.request.calls)
    await member.tap(member.last(), data)
    assert await snapshot(store, member.chat_id) == before
    new_calls = bot.request.calls[calls_before:]
    assert [c.method for c in new_calls] == ["answerCallbackQuery"]
    assert new_calls[0].params["text"] == t("ui.bad_button")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("Refused callback data" in r.getMessage() for r in warnings)
    assert TOKEN not in caplog.text or data.endswith(TOKEN)  # only the forger's own text


async def test_button_of_another_chats_plan_is_refused(
    bot: Bot, store: Any, caplog: pytest.LogCaptureFixture
) -> None:
    ours, theirs = bot.member, Member(bot.app, bot.request, user_id=5151)
    await theirs.say("/plan")
    await ours.say("/plan")
    their_plan = await current_plan(store, theirs.chat_id)
    our_plan = await current_plan(store, ours.chat_id)
    assert their_plan is not None and our_plan is not None and their_plan.id != our_plan.id

    # A well-formed button naming the other chat's plan, sent from our chat.
    forged = encode(
        ButtonData(their_plan.id, their_plan.version, Action.TOGGLE, "aims", "joint_event")
    )  # type: ignore[arg-type]
    ours_before = await snapshot(store, ours.chat_id)
    theirs_before = await snapshot(store, theirs.chat_id)
    caplog.clear()
    await ours.tap(ours.last(), forged)
    assert await snapshot(store, ours.chat_id) == ours_before
    assert await snapshot(store, theirs.chat_id) == theirs_before
    assert ours.toasts()[-1] == t("ui.foreign_button")
    warning = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warning and f"plan {their_plan.id}" in warning[0].getMessage()
    assert all(TOKEN not in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            {
                "sticker": {
                    "file_id": "s",
                    "file_unique_id": "su",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                    "type": "regular",
                }
            },
            "ui.non_text",
        ),
        (
            {
                "photo": [{"file_id": "p", "file_unique_id": "pu", "width": 90, "height": 90}],
                "caption": "our poster",
            },
            "ui.non_text",
        ),
        ({"voice": {"file_id": "v", "file_unique_id": "vu", "duration": 3}}, "ui.non_text"),
        ({"location": {"latitude": 60.17, "longitude": 24.94}}, "ui.non_text"),
    ],
)
async def test_non_text_is_answered_and_not_stored(
    bot: Bot, store: Any, payload: dict[str, Any], expected: str
) -> None:
    member = bot.member
    await member.say("/plan")
    before = await snapshot(store, member.chat_id)
    await member.send(member.update(message=member.message(**payload)))
    assert member.texts()[-1] == t(expected)
    assert await snapshot(store, member.chat_id) == before


async def test_edited_message_is_not_read(bot: Bot, store: Any) -> None:
    member = bot.member
    await member.say("/plan")
    before = await snapshot(store, member.chat_id)
    edited = member.message(text="1", edit_date=1_700_000_000)
    await member.send(member.update(edited_message=edited))
    assert member.texts()[-1] == t("ui.edited_ignored")
    assert await snapshot(store, member.chat_id) == before


async def test_overlong_text_is_refused(bot: Bot, store: Any) -> None:
    member = bot.member
    await member.say("/plan")
    before = await snapshot(store, member.chat_id)
    await member.say("x" * 5000)
    assert member.texts()[-1] == t("ui.too_long", length=5000, limit=MAX_TEXT)
    assert await snapshot(store, member.chat_id) == before


async def test_nothing_is_stored_for_a_new_chat_that_only_chats(bot: Bot, store: Any) -> None:
    member = bot.member
    await member.send(
        member.update(message=member.message(location={"latitude": 1.0, "longitude": 2.0}))
    )
    await member.say("/nonsense")
    await member.say("/help")
    await member.say("/cancel")
    await member.say("y" * 2001)
    assert member.texts() == [
        t("ui.non_text"),
        t("ui.unknown_command"),
        t("ui.help"),
        t("ui.cancelled"),
        t("ui.too_long", length=2001, limit=MAX_TEXT),
    ]
    assert (await snapshot(store, member.chat_id))[1] is None
    assert sum((await count_rows(store)).values()) == 0


async def test_unknown_command_for_another_bot_in_a_group_is_ignored(bot: Bot) -> None:
    group = Member(bot.app, bot.request, user_id=4242, chat_id=-100)
    await group.say("/frobnicate@some_other_bot")
    await group.say("/frobnicate")
    assert group.texts() == []
    await group.say(f"/frobnicate@{BOT_USERNAME}")
    assert group.texts() == [t("ui.unknown_command")]


async def test_restart_resumes_at_the_same_question(make_bot: Any, db_url: str) -> None:
    from flows.service import PlanningService
    from storage.store import SqlStore

    first_store = await SqlStore.open(db_url, migrate=True)
    first = await make_bot(PlanningService(first_store))
    await first.member.say("/plan")
    await first.member.say("1")  # aims
    question = first.member.last()
    await first.member.tap(question, buttons(question)[2][1])  # strategy_goal
    shown_before_restart = first.member.last()["text"]
    await first.close()
    await first_store.close()

    # A new process: new store, new Application, same database file.
    second_store = await SqlStore.open(db_url, migrate=True)
    try:
        second = await make_bot(PlanningService(second_store))
        await second.member.say("/resume")
        assert second.member.texts() == [shown_before_restart]
        plan = await current_plan(second_store, second.member.chat_id)
        assert plan is not None and plan.state == "target_benefit"
    finally:
        await second_store.close()


async def test_commands_map_to_events(bot: Bot, store: Any) -> None:
    member = bot.member
    await member.say("/plan")
    await member.say("1")
    plan = await current_plan(store, member.chat_id)
    assert plan is not None and plan.state == "strategy_goal"
    await member.say("/back")
    assert (await current_plan(store, member.chat_id)).state == "aims"  # type: ignore[union-attr]
    await member.say("/summary")
    assert member.texts()[-1].startswith(t("ui.summary"))
    await member.say("/restart")  # asks first, like /forget
    asked = member.last()
    assert asked["text"] == t("ui.restart_confirm")
    assert (await current_plan(store, member.chat_id)).answers  # type: ignore[union-attr]
    await member.tap_label(asked, t("ui.restart_yes"))
    restarted = await current_plan(store, member.chat_id)
    assert restarted is not None and restarted.answers == {}
    assert "reply_markup" not in member.request.messages[(member.chat_id, asked["message_id"])]
    await member.say("/skip")  # the first question may not be skipped
    assert member.texts()[-1].startswith(t("invalid.not_skippable"))


async def test_command_menu_is_set_per_scope(bot: Bot) -> None:
    """Private chats and group administrators get every command; other group members (and
    the default menu) get no /restart, /forget and /language, which only administrators may
    use there."""
    await bot.app.post_init(bot.app)
    menus: dict[str, list[str]] = {}
    for call in bot.request.called("setMyCommands"):
        scope = json.loads(call["scope"]) if isinstance(call["scope"], str) else call["scope"]
        commands = call["commands"]
        if isinstance(commands, str):
            commands = json.loads(commands)
        language = call.get("language_code", "en")  # each shipped language has its own menu
        assert all(c["description"] == t(f"ui.cmd_{c['command']}", language) for c in commands)
        if "language_code" not in call:
            menus[scope["type"]] = [c["command"] for c in commands]
    members_menu = [name for name in MENU if name not in ("restart", "forget", "language")]
    assert menus == {
        "default": members_menu,
        "all_private_chats": list(MENU),
        "all_group_chats": members_menu,
        "all_chat_administrators": list(MENU),
    }


async def test_group_basics(bot: Bot, store: Any) -> None:
    """The basics of groups (more in test_tg_group*.py): a group plan, answers that name who
    gave them, and scale taps as votes closed with Done."""
    aino = Member(bot.app, bot.request, user_id=4242, chat_id=-100, first_name="Aino")
    await aino.say(f"/plan@{BOT_USERNAME}")
    question = aino.last()
    await aino.tap(question, buttons(question)[0][1])
    await aino.tap(aino.last(), dict(buttons(aino.last()))[t("ui.done")])
    answered = aino.last()  # in a group the answered message turns into the next question
    assert answered["message_id"] == question["message_id"]
    assert answered["text"].startswith(
        t("ui.answered_by", name="Aino", answer=buttons(question)[0][0])
    )
    plan = await current_plan(store, -100)
    assert plan is not None and plan.meta.get("group") is True
    # Text in a group is read when it replies to the bot.
    reply_to_bot = {
        "message_id": question["message_id"] + 1,
        "date": 0,
        "chat": {"id": -100, "type": "group", "title": "Green Club"},
        "from": {"id": 7000001, "is_bot": True, "first_name": "Partnerbot"},
        "text": "q",
    }
    await aino.send(aino.update(message=aino.message(text="2", reply_to_message=reply_to_bot)))
    assert (await current_plan(store, -100)).answers.get("strategy_goal") is not None  # type: ignore[union-attr]
    # ... and ignored otherwise (privacy mode off: the bot must not answer every message).
    before = len(aino.texts())
    await aino.say("just chatting among ourselves")
    assert len(aino.texts()) == before


async def test_group_scale_votes(bot: Bot, store: Any) -> None:
    aino = Member(bot.app, bot.request, user_id=4242, chat_id=-200, first_name="Aino")
    ville = Member(bot.app, bot.request, user_id=4343, chat_id=-200, first_name="Ville")
    # Get to the first scale question through the service: PTB's rate limiter rightly allows
    # a group only 20 messages a minute, and the walk is not what this test is about.
    group = ChatRef("telegram", "-200", "group", "Green Club")
    someone = MemberRef("4242", "Aino")
    reply = await bot.service.handle(group, someone, Start())
    while reply.question != "field_closeness":
        event = Skip(reply.question) if reply.skippable else Text("1")
        reply = await bot.service.handle(group, someone, event)
    await aino.say(f"/resume@{BOT_USERNAME}")
    scale = aino.last()
    assert t("ui.done") in [label for label, _ in buttons(scale)]
    await aino.tap(scale, buttons(scale)[3][1])  # 4
    await ville.tap(aino.last(), buttons(aino.last())[1][1])  # 2
    assert aino.last()["message_id"] == scale["message_id"]  # votes redraw the question
    assert "Ville" in aino.last()["text"]
    await ville.tap(aino.last(), dict(buttons(aino.last()))[t("ui.done")])
    plan = await current_plan(store, -200)
    assert plan is not None and plan.answers["field_closeness"] == 3


async def play_to_review(member: Member) -> dict[str, Any]:
    for _ in range(100):
        last = member.last()
        actions = {decode(data).action for _, data in buttons(last) if decode(data)}  # type: ignore[union-attr]
        if Action.FINISH in actions:
            return last
        if Action.TOGGLE in actions:
            toggle = next(d for _, d in buttons(last) if decode(d).action == Action.TOGGLE)  # type: ignore[union-attr]
            await member.tap(last, toggle)
            await member.tap_label(member.last(), t("ui.done"))
        elif Action.ANSWER in actions:
            answer = next(d for _, d in buttons(last) if decode(d).action == Action.ANSWER)  # type: ignore[union-attr]
            await member.tap(last, answer)
        else:
            await member.say(TYPED)
    raise AssertionError("never reached the review")


async def test_the_review_has_two_buttons_and_a_paged_picker(bot: Bot, store: Any) -> None:
    member = bot.member
    await member.say("/plan")
    review = await play_to_review(member)
    assert [label for label, _ in buttons(review)] == [
        t("ui.finish"),
        t("ui.change_answer"),
        t("ui.back"),
    ]
    sent = len(member.texts())
    await member.tap_label(review, t("ui.change_answer"))
    picker = member.request.messages[(member.chat_id, review["message_id"])]
    assert picker["text"] == review["text"] and len(member.texts()) == sent  # same message
    labels = [label for label, _ in buttons(picker)]
    assert labels[0] == t("q.aims.short") and labels[-1] == t("ui.back_to_review")
    rows = picker["reply_markup"]["inline_keyboard"]
    assert any(len(row) == 2 for row in rows)  # short labels two to a row
    await member.tap_label(picker, t("ui.page_next"))
    second = member.request.messages[(member.chat_id, review["message_id"])]
    assert [label for label, _ in buttons(second)] != labels
    await member.tap_label(second, t("ui.back_to_review"))
    again = member.request.messages[(member.chat_id, review["message_id"])]
    assert [label for label, _ in buttons(again)][:2] == [t("ui.finish"), t("ui.change_answer")]

    await member.tap_label(again, t("ui.change_answer"))
    picker = member.request.messages[(member.chat_id, review["message_id"])]
    await member.tap_label(picker, t("q.strategy_goal.short"))
    plan = await current_plan(store, member.chat_id)
    assert plan is not None and plan.state == "strategy_goal"
    assert t("q.strategy_goal.text") in member.last()["text"]


async def test_the_result_leads_on_to_the_checklist_and_the_tasks(bot: Bot, store: Any) -> None:
    member = bot.member
    await member.say("/plan")
    await play_to_result(member)
    result = member.last()
    await member.tap_label(result, t("ui.checklist"))
    assert member.last()["text"].startswith(t("check.title", done=0, total=0)[:10])
    await member.tap_label(result, t("ui.tasks"))
    assert member.last()["text"].startswith(t("board.title", done=0, total=0)[:10])
    assert all(toast is None for toast in member.toasts()[-2:])


async def test_a_private_chat_keeps_no_redraw_bookkeeping(bot: Bot, store: Any) -> None:
    """Once a private chat's redraw is drawn, nothing of it stays in memory (a private chat
    has no spacing to keep), and the chat's next taps still edit its message in place."""
    member = QueuedMember(bot.app, bot.request, user_id=6161)
    redraws = bot.app.bot_data[DEPS].redraws
    await member.say("/plan")
    question = member.last()
    first, second = buttons(question)[0], buttons(question)[1]
    await member.tap(question, first[1])
    assert redraws.remembered() == 0
    await member.tap(member.last(), second[1])
    assert redraws.remembered() == 0
    now = member.last()
    assert now["message_id"] == question["message_id"]
    labels = [label for label, _ in buttons(now)]
    assert labels[0] == "✓ " + first[0] and labels[1] == "✓ " + second[0]
    await member.tap_label(now, t("ui.done"))
    plan = await current_plan(store, member.chat_id)
    assert plan is not None and len(plan.answers["aims"]) == 2
    assert "reply_markup" not in member.request.messages[(member.chat_id, now["message_id"])]
    assert redraws.remembered() == 0


async def test_a_review_shown_anew_drops_the_old_copys_buttons(bot: Bot, store: Any) -> None:
    """The remembered review keeps no text (it is never marked answered): showing it anew
    still leaves the old copy's text as it was, without buttons, and Finish still works."""
    member = bot.member
    await member.say("/plan")
    review = await play_to_review(member)
    await member.say("/start")
    await settled(bot.app)
    old = member.request.messages[(member.chat_id, review["message_id"])]
    assert old["text"] == review["text"] and "reply_markup" not in old
    again = member.last()
    assert again["message_id"] != review["message_id"] and again["text"] == review["text"]
    await member.tap(review, dict(buttons(review))[t("ui.finish")])  # the old copy: refused
    assert member.toasts()[-1] == t("ui.old_copy")
    await member.tap_label(again, t("ui.finish"))
    assert _is_result(member.texts()[-1]) or any(_is_result(x) for x in member.texts()[-3:])
    plan = await current_plan(store, member.chat_id)
    assert plan is not None and plan.status == DONE
