"""A short, steady flow in plain words: how many questions a plan asks, how progress moves,
what the welcome promises, and the words the member reads."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest

from flows import events as ev
from flows.conversation import apply, new_plan
from flows.questionnaire import PARTS, QUESTIONS, by_key
from flows.texts import keys, t
from tests.flows import scenarios as s

MAX_TYPICAL = 15
NAMES = [x.name for x in s.SCENARIOS]


def typical(scenario: s.Scenario) -> bool:
    """A plan without the extra questions a named value conflict or an unlisted goal bring."""
    return "value_conflict_detail" not in scenario.answers and "strategy_detail" not in (
        scenario.answers
    )


@pytest.mark.parametrize("scenario", s.SCENARIOS, ids=NAMES)
def test_a_typical_plan_asks_at_most_fifteen_questions(scenario: s.Scenario) -> None:
    asked = s.asked(scenario.answers)
    limit = MAX_TYPICAL if typical(scenario) else MAX_TYPICAL + 2
    assert len(asked) <= limit, asked


def test_what_earlier_answers_imply_is_not_asked() -> None:
    # A known partner: what we look for in a partner is what it offers, asked once.
    assert "we_need" not in s.asked(s.EVENT)
    # Close values and an association: no value conflict question.
    assert "value_conflict" not in s.asked(s.EVENT)
    # A company is always asked about a value conflict.
    assert "value_conflict" in s.asked(s.CORPORATE)
    # How to speak out is asked only of those who want to.
    assert "public_voice" in s.asked(s.ADVOCACY) and "public_voice" not in s.asked(s.EVENT)
    # One of the listed main goals: nothing more to type about it.
    assert "strategy_detail" not in s.asked(s.EVENT)
    assert "strategy_detail" in s.asked(dict(s.EVENT, strategy_goal="Another goal"))


def test_cost_sharing_is_not_asked_when_the_partner_pays() -> None:
    for answers in (s.EVENT_WITH_SPONSOR, s.CORPORATE, s.CORPORATE_SALES):
        for key in s.asked(answers):
            assert "share" not in t(f"q.{key}.text").lower() or key == "aims", key


def test_time_and_money_are_asked_apart() -> None:
    time_q, money_q = t("q.commitment.text").lower(), t("q.money.text").lower()
    assert "time" in time_q and not re.search(r"money|budget|euro", time_q)
    assert "money" in money_q
    labels = " ".join(t(f"opt.commitment.{o}") for o in by_key("commitment").options).lower()
    assert not re.search(r"money|budget", labels)


@pytest.mark.parametrize("scenario", s.SCENARIOS, ids=NAMES)
def test_progress_moves_on_by_one_part_at_most_and_never_back(scenario: s.Scenario) -> None:
    _plan, outcomes = s.play(scenario.answers)
    first = apply(new_plan(), s.ANNA, ev.Start()).reply
    shown = [first.progress] + [o.reply.progress for o in outcomes if o.reply.progress]
    assert shown[0] == (1, len(PARTS))
    assert {total for _n, total in shown} == {len(PARTS)}  # the total never changes
    steps = [b[0] - a[0] for a, b in pairwise(shown)]
    assert set(steps) <= {0, 1}
    assert shown[-1][0] == len(PARTS)  # the last question is in the last part
    # The question's number goes up by one per answer, with no total that could move.
    numbers = [first.number] + [o.reply.number for o in outcomes if o.reply.progress]
    assert numbers == list(range(1, len(numbers) + 1))


def test_the_progress_line_names_the_part() -> None:
    plan = new_plan()
    plan.id = 1
    for text in ("1", "1", "Children play", "1", "Another association"):
        plan = apply(plan, s.ANNA, ev.Text(text)).plan
    reply = apply(plan, s.ANNA, ev.Start()).reply
    from flows.render import progress_text

    assert progress_text(reply, "en") == "Part 2 of 4 — the partner (question 6)"


def test_every_part_asks_something_whatever_the_answers() -> None:
    for part in PARTS:
        assert any(q.part == part and q.when is None for q in QUESTIONS), part


def test_the_welcome_says_honestly_how_long_it_takes() -> None:
    welcome = t("ui.welcome")
    low, high = (int(n) for n in re.search(r"(\d+) to (\d+) short questions", welcome).groups())  # type: ignore[union-attr]
    counts = [len(s.asked(x.answers)) for x in s.SCENARIOS if typical(x)]
    assert low <= min(counts) and max(counts) <= high
    assert f"{len(PARTS)} parts" in welcome
    assert "a few questions" not in welcome


# --- Plain language ----------------------------------------------------------------------------

# Words and phrases readers in a second language stumble on (idioms, double meanings).
STUMBLING = [
    "clash",
    "proceeds",
    "stand as equals",
    "weigh it",
    "to agree)",
    "(lived)",
    "footing",
    "loosely",
    "steady flow",
    "goalposts",
]


def test_no_idioms_in_any_text() -> None:
    for key in keys("en"):
        text = t(key).lower()
        for phrase in STUMBLING:
            assert phrase not in text, (key, phrase)


def test_campaign_means_only_speaking_out_together() -> None:
    allowed = (
        "form.advocacy.",
        "opt.aims.joint_voice",
        "opt.public_voice.campaign",
        "agreement.public_voice.campaign",
        "task.advocacy_text",
        "check.adv_draft",
    )
    for key in keys("en"):
        if "campaign" in t(key).lower():
            assert key.startswith(allowed), key


def test_part_means_only_a_part_of_the_questionnaire() -> None:
    for key in keys("en"):
        if re.search(r"\bparts?\b", t(key).lower()):
            assert key in ("ui.progress", "ui.welcome"), key


def test_the_main_goal_question_assumes_no_written_strategy() -> None:
    text = t("q.strategy_goal.text").lower()
    assert "strategy" not in text and "main goals" in text


def test_sentences_in_questions_and_notes_are_short() -> None:
    for key in keys("en"):
        if key.startswith(("q.", "note.", "form.", "reason.", "task.")):
            for sentence in re.split(r"(?<=[.?!])\s+", t(key)):
                assert len(sentence.split()) <= 20, (key, sentence)


def test_button_labels_fit_a_phone() -> None:
    for question in QUESTIONS:
        for option in question.options:
            label = t(f"opt.{question.option_group}.{option}")
            assert len(label) <= 24, label
