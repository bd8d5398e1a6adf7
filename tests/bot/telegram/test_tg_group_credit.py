"""Three members plan in a group: every answer is credited truthfully (the median of the votes,
who ticked what), the credit stays in view on every redraw, scales are blind votes, and votes
far apart are put to the group before the plan moves on. Real PTB updates, real service and
SqlStore, the offline Bot API."""

from __future__ import annotations

from typing import Any

import pytest
from test_tg_group import (
    GROUP,
    button_data,
    history,
    member,
    plan_of,
    snapshot,
    toast_for,
    walk_to,
)
from tg_support import Bot

from bot.telegram.callback_data import Action
from bot.telegram.offline import Member, buttons
from flows.texts import t

pytestmark = pytest.mark.usefixtures("roomy_group_limit")


def trio(bot: Bot) -> tuple[Member, Member, Member]:
    return (
        member(bot, 601, "Anna"),
        member(bot, 602, "Äänekoski"),
        member(bot, 603, "Đorđe"),
    )


def now(bot: Bot, message: dict[str, Any]) -> dict[str, Any]:
    """The message as the group sees it now."""
    return bot.request.messages[(GROUP, message["message_id"])]


def vote(message: dict[str, Any], value: int) -> str:
    return button_data(message, Action.ANSWER)[value - 1]


async def test_a_scale_is_a_blind_vote(bot: Bot, store: Any) -> None:
    anna, aane, dorde = trio(bot)
    await anna.say("/plan")
    scale = await walk_to(anna, store, "field_closeness")
    # Plain 1-5 buttons; the legend is in the question.
    assert [label for label, _ in buttons(scale)][:5] == ["1", "2", "3", "4", "5"]
    assert t("q.field_closeness.text") in scale["text"]

    tap = anna.tap_update(scale, vote(scale, 3))
    await anna.send(tap)
    # Anna alone learns her vote (in the toast); the group sees that she voted, not what.
    assert toast_for(bot, tap.callback_query.id) == t("ui.vote_counted", value=3)  # type: ignore[union-attr]
    await aane.tap(scale, vote(scale, 2))
    await dorde.tap(scale, vote(scale, 5))
    shown = now(bot, scale)
    assert t("ui.votes_blind", count=3, names="Anna, Äänekoski, Đorđe") in shown["text"]
    assert not any(f"{name} {n}" in shown["text"] for name in ("Anna", "Đorđe") for n in "12345")
    assert [label for label, _ in buttons(shown)][:5] == ["1", "2", "3", "4", "5"]  # no marks
    plan = await plan_of(store)
    assert plan.state == "field_closeness" and "field_closeness" not in plan.answers


async def test_median_credit_and_a_wide_spread_is_asked_before_moving_on(
    bot: Bot, store: Any
) -> None:
    anna, aane, dorde = trio(bot)
    await anna.say("/plan")
    scale = await walk_to(anna, store, "field_closeness")
    await anna.tap(scale, vote(scale, 3))
    await aane.tap(scale, vote(scale, 2))
    await dorde.tap(scale, vote(scale, 5))
    await dorde.tap(scale, button_data(now(bot, scale), Action.DONE)[0])

    # 2 to 5: the group is asked first, with every vote shown now; the plan has not moved.
    asked = now(bot, scale)
    assert asked["message_id"] == scale["message_id"]
    listed = "Anna 3, Äänekoski 2, Đorđe 5"
    assert t("ui.spread_ask", low=2, high=5, votes=listed, median=3) in asked["text"]
    labels = [label for label, _ in buttons(asked)]
    assert labels[:2] == [t("ui.use_value", value="3"), t("ui.vote_again")]
    plan = await plan_of(store)
    assert plan.state == "field_closeness" and "field_closeness" not in plan.answers

    # "Use 3": the answer is the median, credited to everyone who voted, closed by Đorđe.
    await dorde.tap(asked, button_data(asked, Action.USE)[0])
    plan = await plan_of(store)
    assert plan.answers["field_closeness"] == 3 and plan.state == "value_closeness"
    moved_on = now(bot, scale)
    line = t(
        "ui.credit_group",
        answer=t("ui.credit_median_answer", value=3, votes=listed),
        name="Đorđe",
    )
    assert line == "Group: 3 (median of Anna 3, Äänekoski 2, Đorđe 5) — closed by Đorđe"
    assert moved_on["text"].split("\n")[0] == line
    assert t("q.value_closeness.text") in moved_on["text"]
    # The summary keeps the votes, and the history every member's own vote.
    await anna.say("/summary")
    assert f"{t('q.field_closeness.short')}: 3 (median of {listed})" in anna.texts()[-1]
    rows = [r for r in await history(store) if r.question == "field_closeness"]
    assert [(r.member.name, r.value) for r in rows] == [
        ("Anna", {"vote": 3}),
        ("Äänekoski", {"vote": 2}),
        ("Đorđe", {"vote": 5}),
        ("Đorđe", 3),
    ]


async def test_votes_closed_by_a_member_who_did_not_vote_are_credited_to_the_voters(
    bot: Bot, store: Any
) -> None:
    anna, aane, dorde = trio(bot)
    await anna.say("/plan")
    scale = await walk_to(anna, store, "field_closeness")
    await anna.tap(scale, vote(scale, 4))
    await dorde.tap(scale, vote(scale, 5))
    await aane.tap(scale, button_data(now(bot, scale), Action.DONE)[0])  # close, no spread
    first = now(bot, scale)["text"].split("\n")[0]
    median = t("ui.credit_median_answer", value=4, votes="Anna 4, Đorđe 5")
    assert first == t("ui.credit_group", answer=median, name="Äänekoski")


async def test_vote_again_clears_the_votes(bot: Bot, store: Any) -> None:
    anna, aane, dorde = trio(bot)
    await anna.say("/plan")
    scale = await walk_to(anna, store, "field_closeness")
    await anna.tap(scale, vote(scale, 1))
    await aane.tap(scale, vote(scale, 5))
    await dorde.tap(scale, button_data(now(bot, scale), Action.DONE)[0])
    asked = now(bot, scale)
    await aane.tap(asked, button_data(asked, Action.REVOTE)[0])
    plan = await plan_of(store)
    assert plan.state == "field_closeness" and not plan.meta["votes"].get("field_closeness")
    again = now(bot, scale)
    assert t("ui.vote_hint") in again["text"]
    assert [label for label, _ in buttons(again)][:5] == ["1", "2", "3", "4", "5"]
    # A "Use" button still on someone's screen no longer applies anything.
    before = await snapshot(store, GROUP)
    tap = dorde.tap_update(again, button_data(asked, Action.USE)[0])
    await dorde.send(tap)
    assert toast_for(bot, tap.callback_query.id) is not None  # type: ignore[union-attr]
    assert await snapshot(store, GROUP) == before


async def test_a_multi_select_shows_who_ticked_what(bot: Bot, store: Any) -> None:
    anna, aane, dorde = trio(bot)
    await anna.say("/plan")
    question = anna.last()
    toggles = dict(
        zip(
            ("joint_event", "joint_voice", "share_information"),
            button_data(question, Action.TOGGLE),
            strict=False,
        )
    )
    await anna.tap(question, toggles["joint_event"])
    await dorde.tap(question, toggles["share_information"])
    open_now = now(bot, question)
    picks = ", ".join(
        [
            t("ui.credit_pick", option=t("opt.aims.joint_event"), name="Anna"),
            t("ui.credit_pick", option=t("opt.aims.share_information"), name="Đorđe"),
        ]
    )
    assert t("ui.ticked_by", picks=picks) in open_now["text"]
    await aane.tap(open_now, button_data(open_now, Action.DONE)[0])
    plan = await plan_of(store)
    assert plan.answers["aims"] == ["joint_event", "share_information"]
    first = now(bot, question)["text"].split("\n")[0]
    assert first == t("ui.credit_group", answer=picks, name="Äänekoski")
    assert first == (
        "Group: A joint event (Anna), Sharing information (Đorđe) — closed by Äänekoski"
    )
    ticks = [(r.member.name, r.value) for r in await history(store) if r.contribution]
    assert ticks == [
        ("Anna", {"tick": "joint_event", "on": True}),
        ("Đorđe", {"tick": "share_information", "on": True}),
    ]


async def test_the_credit_stays_on_top_through_every_redraw(bot: Bot, store: Any) -> None:
    anna, aane, dorde = trio(bot)
    await anna.say("/plan")
    scale = await walk_to(anna, store, "field_closeness")
    await anna.tap(scale, vote(scale, 3))
    await aane.tap(scale, vote(scale, 4))
    await dorde.tap(scale, vote(scale, 3))
    await dorde.tap(scale, button_data(now(bot, scale), Action.DONE)[0])
    header = now(bot, scale)["text"].split("\n")[0]
    assert header.startswith("Group: 3 (median of Anna 3, Äänekoski 4, Đorđe 3)")
    assert header.endswith("closed by Đorđe")

    # Votes on the next question redraw the same message: the credit stays its first line,
    # and the spread question keeps it too.
    next_scale = now(bot, scale)
    await anna.tap(next_scale, vote(next_scale, 1))
    assert now(bot, scale)["text"].split("\n")[0] == header
    await aane.tap(next_scale, vote(next_scale, 5))
    await dorde.tap(next_scale, button_data(now(bot, scale), Action.DONE)[0])
    assert now(bot, scale)["text"].split("\n")[0] == header
    assert button_data(now(bot, scale), Action.USE)
    # A new copy of the step (/resume) carries it as well.
    await dorde.say("/resume")
    assert dorde.last()["text"].split("\n")[0] == header
    # Until that step is answered: then its own credit takes the place.
    resumed = dorde.last()
    await dorde.tap(resumed, button_data(resumed, Action.USE)[0])
    assert now(bot, resumed)["text"].split("\n")[0].endswith("closed by Đorđe")
    assert now(bot, resumed)["text"].split("\n")[0] != header


async def test_one_live_copy_of_the_checklist(bot: Bot, store: Any) -> None:
    from test_tg_work import finish_plan

    anna, aane, dorde = trio(bot)
    await finish_plan(bot.service, GROUP, [anna, aane, dorde])
    await anna.say("/checklist")
    await dorde.say("/checklist")
    lists = [m for m in bot.request.chat_messages(GROUP) if m["text"].startswith("Checklist")]
    older, newer = lists
    assert "reply_markup" not in older and buttons(newer)  # the older copy lost its buttons
    before = await snapshot(store, GROUP)
    tap = aane.tap_update(older, buttons(newer)[0][1])  # a tap already on its way to it
    await aane.send(tap)
    assert toast_for(bot, tap.callback_query.id) == t("ui.old_copy")  # type: ignore[union-attr]
    assert await snapshot(store, GROUP) == before
    await aane.tap(newer, buttons(newer)[0][1])
    assert now(bot, newer)["text"].split("\n")[0] == t("check.title", done=1, total=14)
