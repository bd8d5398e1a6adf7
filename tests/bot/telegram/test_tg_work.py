"""Checklists and the task board on Telegram: a real PTB Application, the real service and
SqlStore, offline Telegram. Plans are finished by typing a realistic scenario into the service,
then members use /checklist and /tasks and tap like on a phone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
from telegram.ext import ApplicationBuilder
from tg_support import Bot, current_plan, settled

import bot.telegram.app as app_module
from bot.telegram.callback_data import MAX_BYTES
from bot.telegram.offline import BOT_USERNAME, Member, buttons
from bot.telegram.work_callback_data import Op, WorkButton, decode, encode
from bot.telegram.work_render import view_keyboard
from flows import checklist
from flows import events as ev
from flows import reply as kinds
from flows.model import PARTNER, US, ChatRef, ChecklistRecord, MemberRef, Plan, TaskRecord
from flows.render import owner_text
from flows.reply import Option, Reply
from flows.tasks import is_joint
from flows.texts import t
from tests.flows.scenarios import EVENT, EVENT_WITH_SPONSOR

GROUP_ID = -1002001
ANNA_ID, LUKASZ_ID = 5001, 5002
EVENT_ITEMS = len(checklist.PREPARATION) + len(checklist.FORM_ITEMS["event"])  # 14: two pages


# --- helpers ---------------------------------------------------------------------------------


def telegram_chat(chat_id: int) -> ChatRef:
    """The ChatRef the adapter makes of an offline chat (see bot.telegram.offline.chat_dict)."""
    if chat_id < 0:
        return ChatRef("telegram", str(chat_id), "group", "Green Club")
    return ChatRef("telegram", str(chat_id), "private", "Aino Virta")


def ref(member: Member) -> MemberRef:
    return MemberRef(str(member.user["id"]), member.user["first_name"])


async def finish_plan(
    service: Any, chat_id: int, members: list[Member], answers: dict[str, str] = EVENT
) -> None:
    """Type ``answers`` into the service, members taking turns (in a group a scale answer is
    a vote, applied with Done), and finish: the plan then has its tasks and form steps."""
    chat = telegram_chat(chat_id)
    reply = await service.handle(chat, ref(members[0]), ev.Start())
    voted: str | None = None
    for turn in range(200):
        if reply.kind == kinds.RESULT:
            return
        if reply.kind == kinds.REVIEW:
            event: ev.Event = ev.Finish()
        elif voted is not None and voted == reply.question:
            event = ev.Done(voted)
        elif reply.question in answers:
            event = ev.Text(answers[reply.question])
        else:
            event = ev.Skip(reply.question)
        voted = reply.question if isinstance(event, ev.Text) else None
        reply = await service.handle(chat, ref(members[turn % len(members)]), event)
        assert reply.kind not in (kinds.INVALID, kinds.STALE, kinds.CONFLICT), reply.text
    raise AssertionError("the conversation did not end")


async def stored(store: Any, chat_id: int) -> tuple[Plan, list[TaskRecord], list[ChecklistRecord]]:
    async with store.session(telegram_chat(chat_id)) as session:
        plan = await session.current_plan()
        assert plan is not None and plan.id is not None
        return plan, await session.tasks(plan.id), await session.checklist(plan.id)


def labels(message: dict[str, Any]) -> list[str]:
    return [label for label, _ in buttons(message)]


def data_of(message: dict[str, Any], label: str) -> str:
    return dict(buttons(message))[label]


def edits(request: Any, message_id: int) -> list[str]:
    """The edit calls made on one message, in order."""
    return [
        c.method
        for c in request.calls
        if c.method.startswith("editMessage") and int(c.params["message_id"]) == message_id
    ]


def current(member: Member, message: dict[str, Any]) -> dict[str, Any]:
    """The message as it looks now, after edits."""
    return member.request.messages[(member.chat_id, message["message_id"])]


def in_group(bot: Bot, user_id: int, name: str) -> Member:
    return Member(bot.app, bot.request, user_id=user_id, chat_id=GROUP_ID, first_name=name)


# Item buttons carry the item's number; the text gives the item in full.
ITEM = "☐ 1"
ITEM_DONE = "☑ 1"


# --- the checklist ---------------------------------------------------------------------------


async def test_checklist_tick_persists_and_redraws_the_same_message(bot: Bot, store: Any) -> None:
    member = bot.member
    await finish_plan(bot.service, member.chat_id, [member])
    await member.say("/checklist")
    shown = member.last()
    keys = checklist.builtin_keys(("event",))[:8]
    assert shown["text"] == "\n".join(
        [t("check.title", done=0, total=EVENT_ITEMS), ""]
        + [f"{n}. ☐ {t(f'check.{key}')}" for n, key in enumerate(keys, 1)]
    ) + "\n\n" + t("ui.page", page=1, pages=2)
    assert labels(shown) == [f"☐ {n}" for n in range(1, 9)] + [
        t("ui.page_prev"),
        t("ui.page_next"),
    ]
    plan, _, _ = await stored(store, member.chat_id)
    for _, data in buttons(shown):
        assert data.startswith("w|") and len(data.encode()) <= MAX_BYTES
        button = decode(data)
        assert button is not None and button.plan_id == plan.id
        # Item buttons carry the page they are on; both arrows lead to the other page.
        assert button.page == (0 if button.op == Op.ITEM else 1)
    sent = len(member.texts())

    await member.tap(shown, data_of(shown, ITEM))
    assert bot.request.called("answerCallbackQuery")[-1].get("text") is None
    assert edits(bot.request, shown["message_id"]) == ["editMessageText"]
    now = current(member, shown)
    assert now["text"].startswith(t("check.title", done=1, total=EVENT_ITEMS))
    assert labels(now)[0] == ITEM_DONE  # a private chat: no name on the item
    _, _, items = await stored(store, member.chat_id)
    assert [(i.key, i.done_by) for i in items if i.done] == [("know_partner", "Aino")]
    ticked_at = datetime.fromisoformat(next(i for i in items if i.done).done_at or "")
    assert ticked_at.tzinfo is not None

    await member.tap(now, data_of(now, ITEM_DONE))  # and off again
    now = current(member, shown)
    assert labels(now)[0] == ITEM
    assert now["text"].startswith(t("check.title", done=0, total=EVENT_ITEMS))
    _, _, items = await stored(store, member.chat_id)
    assert not any(i.done for i in items)
    assert len(member.texts()) == sent  # every tap redrew the message; nothing new was sent


async def test_a_double_tap_keeps_one_tick_and_who_made_it(bot: Bot, store: Any) -> None:
    member = bot.member
    await finish_plan(bot.service, member.chat_id, [member])
    await member.say("/checklist")
    shown = member.last()
    tick = data_of(shown, ITEM)
    assert decode(tick) == WorkButton(Op.ITEM, decode(tick).plan_id, 0, "know_partner", True)  # type: ignore[union-attr]
    await member.tap(shown, tick)
    plan_after_first, _, first = await stored(store, member.chat_id)
    await member.tap(shown, tick)  # the same button again, e.g. from a slow phone
    plan_after_second, _, second = await stored(store, member.chat_id)
    assert second == first
    assert plan_after_second.version == plan_after_first.version  # nothing was written
    assert labels(current(member, shown))[0] == ITEM_DONE


async def test_pages_turn_with_the_arrows_in_place(bot: Bot, store: Any) -> None:
    member = bot.member
    await finish_plan(bot.service, member.chat_id, [member])
    await member.say("/checklist")
    shown = member.last()
    keys = checklist.builtin_keys(("event",))

    await member.tap(shown, data_of(shown, t("ui.page_next")))
    second = current(member, shown)
    assert second["text"].endswith(t("ui.page", page=2, pages=2))
    assert labels(second)[:-2] == [f"☐ {n}" for n in range(9, len(keys) + 1)]
    assert f"{len(keys)}. ☐ {t(f'check.{keys[-1]}')}" in second["text"].splitlines()

    last = f"☐ {len(keys)}"
    await member.tap(second, data_of(second, last))  # a tick on page 2 stays on page 2
    second = current(member, shown)
    assert f"☑ {len(keys)}" in labels(second)
    assert second["text"].endswith(t("ui.page", page=2, pages=2))

    await member.tap(second, data_of(second, t("ui.page_prev")))
    first = current(member, shown)
    assert labels(first)[0] == ITEM
    await member.tap(first, data_of(first, t("ui.page_prev")))  # wraps round to the last page
    assert current(member, shown)["text"].endswith(t("ui.page", page=2, pages=2))
    assert len(member.texts()) == 1  # one message throughout
    _, _, items = await stored(store, member.chat_id)
    assert [i.key for i in items if i.done] == [keys[-1]]


async def test_own_items_are_added_and_bad_ones_refused_with_a_reason(bot: Bot, store: Any) -> None:
    member = bot.member
    await finish_plan(bot.service, member.chat_id, [member])
    plan, _, before = await stored(store, member.chat_id)

    too_long = "Book the photographer and the sound system and the stage lights early"
    assert len(too_long) > checklist.MAX_LABEL_LENGTH
    await member.say(f"/checklist add {too_long}")
    assert member.texts()[-1] == t(
        "invalid.checklist_too_long", length=len(too_long), limit=checklist.MAX_LABEL_LENGTH
    )
    assert "reply_markup" not in member.last()
    await member.say("/checklist add   ")
    assert member.texts()[-1] == t("invalid.checklist_empty")
    await member.say("/checklist remove everything")
    assert member.texts()[-1] == t("check.usage")
    after, _, items = await stored(store, member.chat_id)
    assert (after.version, items) == (plan.version, before)  # nothing stored

    await member.say("/checklist add Book the   photographer")
    shown = member.last()
    assert shown["text"].startswith(t("check.title", done=0, total=EVENT_ITEMS + 1))
    assert shown["text"].endswith(t("ui.page", page=2, pages=2))  # the new item's page
    assert labels(shown)[-3] == f"☐ {EVENT_ITEMS + 1}"
    assert f"{EVENT_ITEMS + 1}. ☐ Book the photographer" in shown["text"].splitlines()
    _, _, items = await stored(store, member.chat_id)
    assert [(i.key, i.label) for i in items if i.custom] == [("c1", "Book the photographer")]

    await member.say("/checklist add book the PHOTOGRAPHER")
    assert member.texts()[-1] == t("invalid.checklist_duplicate", label="book the PHOTOGRAPHER")


async def test_a_stale_checklist_button_shows_a_toast_and_the_list_as_it_is(
    bot: Bot, store: Any
) -> None:
    member = bot.member
    await finish_plan(bot.service, member.chat_id, [member])
    await member.say("/checklist add Book the photographer")
    shown = member.last()
    own = data_of(shown, f"☐ {EVENT_ITEMS + 1}")

    # The list changes under the message: the own item goes (another instance, an admin tool).
    plan, _, items = await stored(store, member.chat_id)
    async with store.session(telegram_chat(member.chat_id)) as session:
        kept = [i for i in items if not i.custom]
        assert await session.save_plan(plan, plan.version, ref(member), checklist=kept)
    plan, _, _ = await stored(store, member.chat_id)

    await member.tap(shown, own)
    assert member.toasts()[-1] == t("check.stale")
    now = current(member, shown)
    assert "Book the photographer" not in now["text"]
    assert now["text"].startswith(t("check.title", done=0, total=EVENT_ITEMS))
    assert edits(bot.request, shown["message_id"]) == ["editMessageText"]
    after, _, items = await stored(store, member.chat_id)
    assert after.version == plan.version  # nothing written
    assert [i.key for i in items] == checklist.builtin_keys(("event",))


async def test_buttons_of_an_older_plan_or_another_chat_change_nothing(
    bot: Bot, store: Any
) -> None:
    member = bot.member
    await finish_plan(bot.service, member.chat_id, [member])
    await member.say("/checklist")
    old = member.last()
    other = Member(bot.app, bot.request, user_id=6060)
    await finish_plan(bot.service, other.chat_id, [other])

    # Copied into another chat: refused, that chat's plan is untouched.
    await other.say("/checklist")
    before = await stored(store, other.chat_id)
    await other.tap(other.last(), data_of(old, ITEM))
    assert other.toasts()[-1] == t("ui.foreign_button")
    assert await stored(store, other.chat_id) == before

    # Once a newer plan is finished, the older plan's buttons are refused too (until then the
    # finished plan's checklist stays in use: test_a_restart_keeps_the_finished_plan_...).
    await member.say("/restart")
    await member.tap_label(member.last(), t("ui.restart_yes"))
    await finish_plan(bot.service, member.chat_id, [member])
    await member.tap(old, data_of(old, ITEM))
    assert member.toasts()[-1] == t("ui.foreign_button")
    assert edits(bot.request, old["message_id"]) == []
    _, _, items = await stored(store, member.chat_id)
    assert items == []


@pytest.mark.parametrize(
    "data", ["w|", "w|z|1|0||", "w|i|1|0|know_partner|", "w|l|1|0||1", "w|i|01|0|x|1"]
)
async def test_malformed_work_buttons_are_refused(bot: Bot, store: Any, data: str) -> None:
    member = bot.member
    await finish_plan(bot.service, member.chat_id, [member])
    await member.say("/checklist")
    plan, tasks, items = await stored(store, member.chat_id)
    await member.tap(member.last(), data)
    assert member.toasts()[-1] == t("ui.bad_button")
    assert await stored(store, member.chat_id) == (plan, tasks, items)


async def test_no_plan_and_unfinished_plan(bot: Bot, store: Any) -> None:
    member = bot.member
    await member.say("/checklist")
    await member.say("/tasks")
    assert member.texts() == [t("ui.no_plan"), t("ui.no_plan")]
    await member.say("/plan")
    await member.say("/tasks")
    assert member.texts()[-1] == t("board.no_tasks")
    await member.say("/checklist")  # the preparation steps are there from the start
    assert member.last()["text"].startswith(
        "\n".join([t("check.title", done=0, total=5), t("check.preparation_only")])
    )
    assert len(buttons(member.last())) == 5  # one page: no arrows


# --- groups ----------------------------------------------------------------------------------


async def test_in_a_group_ticks_show_who_made_them(bot: Bot, store: Any) -> None:
    anna, lukasz = in_group(bot, ANNA_ID, "Anna"), in_group(bot, LUKASZ_ID, "Łukasz")
    await finish_plan(bot.service, GROUP_ID, [anna, lukasz])
    await anna.say(f"/checklist@{BOT_USERNAME}")
    shown = anna.last()
    await lukasz.tap(shown, data_of(shown, ITEM))
    # Who ticked it comes first on the item's line.
    line = "1. ☑ " + t("check.done_by", label=t("check.know_partner"), name="Łukasz")
    assert line.startswith("1. ☑ Łukasz")
    assert line in current(anna, shown)["text"].splitlines()
    assert labels(current(anna, shown))[0] == ITEM_DONE
    _, _, items = await stored(store, GROUP_ID)
    assert [(i.key, i.done_by) for i in items if i.done] == [("know_partner", "Łukasz")]


async def test_a_group_member_claims_and_completes_a_task(bot: Bot, store: Any) -> None:
    anna, lukasz = in_group(bot, ANNA_ID, "Anna"), in_group(bot, LUKASZ_ID, "Łukasz")
    await finish_plan(bot.service, GROUP_ID, [anna, lukasz])
    _, tasks, _ = await stored(store, GROUP_ID)
    ours = next(task for task in tasks if task.owner == US and not is_joint(task))
    theirs = next(task for task in tasks if task.owner == PARTNER and not is_joint(task))
    name = t(f"task.{ours.key}")
    number = tasks.index(ours) + 1

    await lukasz.say("/tasks")
    board = lukasz.last()
    assert board["text"].startswith(t("board.title", done=0, total=len(tasks)))
    for n, task in enumerate(tasks[: checklist.PAGE_SIZE], 1):  # each task, its owner party
        line = t("board.line", number=n, task=t(f"task.{task.key}"), owner=owner_text(task, "en"))
        assert line in board["text"].splitlines()
    # One row per task: its short name to tick it, 📅 for its due date, then ✋ for a task of
    # ours nobody took.
    rows = board["reply_markup"]["inline_keyboard"]
    row = rows[number - 1]
    assert [b["text"] for b in row] == [f"☐ {number}. {t(f'task_short.{ours.key}')}", "📅", "✋"]
    assert len(rows[tasks.index(theirs)]) == 2  # the partner's task: no ✋
    claim = row[2]["callback_data"]

    await lukasz.tap(board, claim)
    now = current(lukasz, board)
    assert len(now["reply_markup"]["inline_keyboard"][number - 1]) == 2
    party = t("board.claimed", party=t("party.us"), name="Łukasz")
    assert party.startswith("Łukasz")
    assert t("board.line", number=number, task=name, owner=party) in now["text"].splitlines()
    _, tasks_now, _ = await stored(store, GROUP_ID)
    task = next(x for x in tasks_now if x.key == ours.key)
    assert (task.claimed_by, task.done_by, task.done_at) == ("Łukasz", None, None)

    # Anna still has the old board on screen: the task is taken, she is told by whom.
    await anna.tap(board, claim)
    assert anna.toasts()[-1] == t("board.taken", name="Łukasz")
    _, unchanged, _ = await stored(store, GROUP_ID)
    assert unchanged == tasks_now

    now = current(lukasz, board)
    tick = now["reply_markup"]["inline_keyboard"][number - 1][0]["callback_data"]
    await lukasz.tap(now, tick)
    _, tasks_done, _ = await stored(store, GROUP_ID)
    task = next(x for x in tasks_done if x.key == ours.key)
    assert (task.claimed_by, task.done_by) == ("Łukasz", "Łukasz")
    assert task.done_at is not None and datetime.fromisoformat(task.done_at).tzinfo is not None
    now = current(lukasz, board)
    assert now["text"].startswith(t("board.title", done=1, total=len(tasks)))
    done_line = t("board.done_line", number=number, name="Łukasz", task=name)
    assert done_line in now["text"].splitlines()  # the name first
    assert f"☑ {number}. {t(f'task_short.{ours.key}')}" in labels(now)
    assert len(lukasz.texts()) == 1  # the board was redrawn, never sent again


# --- two members at once ---------------------------------------------------------------------


@pytest.fixture
def concurrent_updates(monkeypatch: pytest.MonkeyPatch) -> None:
    """build_application as it is, with concurrent update processing on: the builder starts
    with PTB's concurrent processing; build_application's own update processor, when it sets
    one, replaces it. The test then feeds both taps to process_update at once either way."""

    class ConcurrentBuilder(ApplicationBuilder):  # type: ignore[type-arg]
        def __init__(self) -> None:
            super().__init__()
            self.concurrent_updates(True)

    monkeypatch.setattr(app_module, "ApplicationBuilder", ConcurrentBuilder)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def race_store(request: pytest.FixtureRequest, store: Any) -> AsyncIterator[Any]:
    """The SQLite store, and a PostgreSQL one: there the two taps' transactions interleave
    (every statement awaits the server), so one of them loses the version check and retries."""
    if request.param == "sqlite":
        yield store
        return
    from storage.store import SqlStore
    from tests.conftest import _drop_tables, run_in_thread

    url: str = request.getfixturevalue("pg_url")
    run_in_thread(lambda: _drop_tables(url))
    opened = await SqlStore.open(url)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.mark.usefixtures("concurrent_updates")
async def test_two_members_ticking_at_once_both_ticks_persist(
    make_bot: Any, race_store: Any
) -> None:
    from flows.service import PlanningService

    store = race_store
    bot = await make_bot(PlanningService(store))
    assert bot.app.concurrent_updates > 1
    anna, lukasz = in_group(bot, ANNA_ID, "Anna"), in_group(bot, LUKASZ_ID, "Łukasz")
    await finish_plan(bot.service, GROUP_ID, [anna, lukasz])
    await anna.say("/checklist")
    shown = anna.last()
    keys = checklist.builtin_keys(("event",))
    for first, second in ((0, 1), (2, 3), (4, 5)):
        a = anna.tap_update(shown, data_of(shown, f"☐ {first + 1}"))
        b = lukasz.tap_update(shown, data_of(shown, f"☐ {second + 1}"))
        await asyncio.gather(bot.app.process_update(a), bot.app.process_update(b))
        await settled(bot.app)
        _, _, items = await stored(store, GROUP_ID)
        done = {i.key: i.done_by for i in items if i.done}
        assert done[keys[first]] == "Anna" and done[keys[second]] == "Łukasz", done
    _, _, items = await stored(store, GROUP_ID)
    assert len([i for i in items if i.done]) == 6
    # Whichever reply came last, the message shows the newest state: all six ticks.
    assert current(anna, shown)["text"].startswith(t("check.title", done=6, total=EVENT_ITEMS))
    assert all(call.get("text") is None for call in bot.request.called("answerCallbackQuery"))


# --- the callback codec ----------------------------------------------------------------------


def test_work_buttons_round_trip_within_64_bytes() -> None:
    widest = [
        WorkButton(Op.ITEM, 10**18 - 1, 999, "k" * 32, True),
        WorkButton(Op.TASK, 10**18 - 1, 999, "advocacy_decision_makers", False),
        WorkButton(Op.CLAIM, 10**18 - 1, 999, "corporate_member_offer"),
        WorkButton(Op.LIST, 1, 3),
        WorkButton(Op.BOARD, 7),
    ]
    for button in widest:
        data = encode(button)
        assert data.startswith("w|") and len(data.encode()) <= 64
        assert decode(data) == button
    assert encode(WorkButton(Op.ITEM, 12, 0, "know_partner", True)) == "w|i|12|0|know_partner|1"
    assert encode(WorkButton(Op.LIST, 12, 1)) == "w|l|12|1||"


@pytest.mark.parametrize(
    "data",
    [
        "1|12|3|a|0|1",  # a question button: not ours
        "w|i|12|0|know_partner",  # a field short
        "w|i|12|0|Know_partner|1",  # not a key
        "w|c|12|0|event_venue|1",  # a claim carries no state
        "w|b|12|0|event_venue|",  # a page carries no key
        "w|t|0|0|event_venue|1",  # no plan 0
        "w|t|12|1000|event_venue|1",  # page out of range
        "w|i|12|0|" + "k" * 33 + "|1",  # key too long
        "w|i|12|0|know_partner|1 ",
        None,
    ],
)
def test_decode_is_strict(data: Any) -> None:
    assert decode(data) is None


@pytest.mark.parametrize(
    "button",
    [
        dict(op=Op.ITEM, plan_id=1, key="x"),  # no state
        dict(op=Op.LIST, plan_id=1, key="x"),
        dict(op=Op.CLAIM, plan_id=1, key="x", done=True),
        dict(op=Op.TASK, plan_id=1, key="no spaces", done=True),
        dict(op=Op.BOARD, plan_id=-1),
    ],
)
def test_invalid_buttons_cannot_be_built(button: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        WorkButton(**button)


async def test_a_long_board_pages_with_the_arrows(bot: Bot, store: Any) -> None:
    member = bot.member
    await finish_plan(bot.service, member.chat_id, [member], EVENT_WITH_SPONSOR)
    _, tasks, _ = await stored(store, member.chat_id)
    assert len(tasks) > checklist.PAGE_SIZE  # an event with a corporate sponsor: two pages
    await member.say("/tasks")
    board = member.last()
    assert board["text"].endswith(t("ui.page", page=1, pages=2))
    ticks = [label for label in labels(board) if label.startswith("☐ ")]
    shown = tasks[: checklist.PAGE_SIZE]
    assert ticks == [f"☐ {n}. {t(f'task_short.{x.key}')}" for n, x in enumerate(shown, 1)]

    await member.tap(board, data_of(board, t("ui.page_next")))
    now = current(member, board)
    assert now["text"].endswith(t("ui.page", page=2, pages=2))
    ticks = [label for label in labels(now) if label.startswith("☐ ")]
    rest = tasks[checklist.PAGE_SIZE :]
    first = checklist.PAGE_SIZE + 1
    assert ticks == [f"☐ {n}. {t(f'task_short.{x.key}')}" for n, x in enumerate(rest, first)]
    last = tasks[-1]
    await member.tap(now, data_of(now, f"☐ {len(tasks)}. {t(f'task_short.{last.key}')}"))
    now = current(member, board)
    assert now["text"].endswith(t("ui.page", page=2, pages=2))  # still on the second page
    assert f"☑ {len(tasks)}. {t(f'task_short.{last.key}')}" in labels(now)
    _, tasks_now, _ = await stored(store, member.chat_id)
    assert [x.key for x in tasks_now if x.done_by] == [last.key]
    assert len(member.texts()) == 1


def test_an_option_the_data_cannot_carry_is_left_out(caplog: pytest.LogCaptureFixture) -> None:
    reply = Reply(
        kind=kinds.CHECKLIST,
        text="Checklist",
        options=(Option("Not A Key", "odd"), Option("know_partner", "Know them", True)),
        plan_id=3,
        page=(0, 1),
    )
    markup = view_keyboard(reply, "en")
    assert markup is not None
    rows = [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard]
    assert rows == [[("☑ Know them", "w|i|3|0|know_partner|0")]]
    assert "Not A Key" in caplog.text


async def test_a_restart_keeps_the_finished_plan_within_reach(bot: Bot, store: Any) -> None:
    """/checklist and /tasks stay on the latest finished plan until a new one is finished,
    and /plans lists the plans."""
    member = bot.member
    await finish_plan(bot.service, member.chat_id, [member])
    await member.say("/checklist")
    old_list = member.last()
    await member.tap(old_list, data_of(old_list, ITEM))
    finished, tasks, _ = await stored(store, member.chat_id)

    await member.say("/restart")
    await member.tap_label(member.last(), t("ui.restart_yes"))
    fresh = await current_plan(store, member.chat_id)
    assert fresh is not None and fresh.id != finished.id and fresh.answers == {}

    await member.say("/checklist")
    shown = member.last()
    assert shown["text"].startswith(t("check.title", done=1, total=EVENT_ITEMS))
    assert labels(shown)[0] == ITEM_DONE  # the tick made before the restart
    await member.tap(shown, data_of(shown, "☐ 2"))  # and it can still be ticked
    _, _, items = await stored_for(store, member.chat_id, finished.id)
    assert sorted(i.key for i in items if i.done) == ["check_values", "know_partner"]
    await member.say("/tasks")
    assert member.last()["text"].startswith(t("board.title", done=0, total=len(tasks)))

    await member.say("/plans")
    listed = member.texts()[-1].splitlines()
    form = t(f"form.{finished.meta['result']['form']}.name")
    assert listed == [
        t("ui.plans_title"),
        t("ui.plans_open", answered=0),
        t("ui.plans_done", form=form) + t("ui.plans_work"),
    ]


async def stored_for(store: Any, chat_id: int, plan_id: int | None) -> tuple[Any, Any, Any]:
    async with store.session(telegram_chat(chat_id)) as session:
        assert plan_id is not None
        return None, await session.tasks(plan_id), await session.checklist(plan_id)
