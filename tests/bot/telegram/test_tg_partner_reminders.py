"""A two-sided plan's reminders on Telegram, with real PTB updates on the offline Bot API: a
task of the partner's that no member took is reminded in the partner's group, in the group's
language, not in ours; Done tapped there ticks it on the one shared board, and the same button
tapped in an unrelated chat changes nothing. The sweep runs on the tests' controllable clock."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from test_tg_reminders import Clock, _bot, _labels
from test_tg_two_sided import GROUP_ID, HOST_ID, THEIRS, YUSUF_ID, invite_link, label_data
from test_tg_work import finish_plan, stored

from bot.reminders import sweep
from bot.telegram.offline import BOT_USERNAME, Member
from bot.telegram.reminders import telegram_sender
from flows.model import PARTNER
from flows.tasks import is_joint
from flows.texts import format_day, t
from flows.twosided import for_viewer


async def _partner_joined(make_bot: Any, store: Any, clock: Clock) -> tuple[Any, Member, Member]:
    """Aino's chat invited the partner's group; Yusuf (its admin) joined and finished its half."""
    bot = await _bot(make_bot, store, clock)
    aino, code = await invite_link(bot)
    yusuf = Member(bot.app, bot.request, user_id=YUSUF_ID, chat_id=GROUP_ID, first_name="Yusuf")
    bot.request.member_status[(GROUP_ID, YUSUF_ID)] = "administrator"
    await yusuf.say(f"/start@{BOT_USERNAME} {code}")
    await yusuf.tap(yusuf.last(), label_data(yusuf.last(), t("two.join")))
    await finish_plan(bot.service, GROUP_ID, [yusuf], THEIRS)
    return bot, aino, yusuf


async def test_a_partner_task_is_reminded_in_the_partners_group(make_bot: Any, store: Any) -> None:
    clock = Clock()  # 20 Nov 2026
    bot, aino, yusuf = await _partner_joined(make_bot, store, clock)
    await yusuf.say(f"/language@{BOT_USERNAME} fi")  # the partner's group reads Finnish

    # The partner gives its own task a due day on its board (its own tasks first).
    await yusuf.say(f"/tasks@{BOT_USERNAME}")
    _, tasks, _ = await stored(store, HOST_ID)
    key = next(x.key for x in tasks if x.owner == PARTNER and not is_joint(x))
    number = [x.key for x in for_viewer(tasks, viewer_is_host=False)].index(key) + 1
    await yusuf.say(f"/due@{BOT_USERNAME} {number} 24.11.2026")
    ours_before = list(aino.texts())

    clock.now = datetime(2026, 11, 23, 8, tzinfo=UTC)  # 10:00 in Helsinki, the day before
    await sweep(store, telegram_sender(bot.app.bot), clock)
    reminder = yusuf.last()
    day = format_day(date(2026, 11, 24), "fi")
    assert reminder["text"] == t("remind.tomorrow", "fi", task=t(f"task.{key}", "fi"), day=day)
    assert _labels(reminder) == [t(f"remind.{b}", "fi") for b in ("done", "snooze", "cant")]
    assert aino.texts() == ours_before  # our chat hears nothing of it

    # The same button in an unrelated chat: refused, nothing changes.
    mallory = Member(bot.app, bot.request, user_id=7007, first_name="Mallory")
    await mallory.say("/start")
    await mallory.tap(mallory.last(), label_data(reminder, t("remind.done", "fi")))
    assert mallory.toasts()[-1] == t("two.not_your_task")
    _, after, _ = await stored(store, HOST_ID)
    assert next(x for x in after if x.key == key).done_by is None

    # Done in the partner's group: ticked on the shared board, by Yusuf.
    await yusuf.tap_label(reminder, t("remind.done", "fi"))
    _, after, _ = await stored(store, HOST_ID)
    assert next(x for x in after if x.key == key).done_by == "Yusuf"
    assert _labels(bot.request.messages[(GROUP_ID, reminder["message_id"])]) == []
    await aino.say("/tasks")
    assert any("☑ Yusuf" in line for line in aino.last()["text"].splitlines())

    # Done: no reminder on its day, in either chat.
    sent = len(bot.request.called("sendMessage"))
    clock.now = datetime(2026, 11, 24, 8, tzinfo=UTC)
    await sweep(store, telegram_sender(bot.app.bot), clock)
    assert len(bot.request.called("sendMessage")) == sent


async def test_a_partner_member_who_took_the_task_gets_it_privately_and_ticks_it(
    make_bot: Any, store: Any
) -> None:
    clock = Clock()
    bot, _, yusuf = await _partner_joined(make_bot, store, clock)
    await yusuf.say(f"/tasks@{BOT_USERNAME}")
    _, tasks, _ = await stored(store, HOST_ID)
    key = next(x.key for x in tasks if x.owner == PARTNER and not is_joint(x))
    number = [x.key for x in for_viewer(tasks, viewer_is_host=False)].index(key) + 1
    board = yusuf.last()
    [row] = [
        r
        for r in board["reply_markup"]["inline_keyboard"]
        if r[0]["text"].startswith(f"☐ {number}.")
    ]
    await yusuf.tap(board, row[-1]["callback_data"])  # ✋: Yusuf takes it
    await yusuf.say(f"/due@{BOT_USERNAME} {number} 24.11.2026")
    own = Member(bot.app, bot.request, user_id=YUSUF_ID, first_name="Yusuf")
    await own.say("/start")  # Yusuf's own chat with the bot

    clock.now = datetime(2026, 11, 23, 8, tzinfo=UTC)
    group_before = len(yusuf.texts())
    await sweep(store, telegram_sender(bot.app.bot), clock)
    reminder = own.last()
    assert reminder["text"].startswith("Reminder: ") and len(yusuf.texts()) == group_before
    await own.tap_label(reminder, t("remind.done"))
    _, after, _ = await stored(store, HOST_ID)
    assert next(x for x in after if x.key == key).done_by == "Yusuf"
