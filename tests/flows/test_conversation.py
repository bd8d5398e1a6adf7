"""Moving through the questions: back, skip, edit, restart, and bad input that changes nothing."""

from __future__ import annotations

import pytest

from flows import events as ev
from flows import reply as kinds
from flows.conversation import apply, new_plan
from flows.machine import move
from flows.model import MemberRef, Plan
from flows.questionnaire import QUESTIONS, REVIEW, applicable, by_key
from flows.texts import t
from tests.flows import scenarios as s

ANNA = s.ANNA


def started() -> Plan:
    plan = new_plan()
    plan.id = 7
    return plan


def answer_all(plan: Plan, answers: dict[str, str], stop_at: str | None = None) -> Plan:
    for _ in range(60):
        if plan.state in (REVIEW, stop_at):
            return plan
        value = answers.get(plan.state)
        event: ev.Event = ev.Text(value) if value is not None else ev.Skip(plan.state)
        outcome = apply(plan, ANNA, event)
        assert outcome.changed, outcome.reply.text
        plan = outcome.plan
    raise AssertionError("never reached the review")


@pytest.mark.parametrize(
    ("state", "text", "says"),
    [
        ("aims", "", "Choose at least one option."),
        ("aims", "   ", "Choose at least one option."),
        ("aims", "x" * 5000, "That is 5000 characters; at most 2000 fit here."),
        ("aims", "12", "There is no option 12; the options are numbered 1 to 7."),
        ("aims", "1, 9", "There is no option 9"),
        ("aims", "a picnic", '"a picnic" is not one of the options.'),
        ("strategy_goal", "0", "There is no option 0"),
        ("strategy_goal", "world peace", '"world peace" is not one of the options.'),
        ("field_closeness", "7", "That is not a value on the scale."),
        ("target_benefit", "", "That was empty."),
        ("target_benefit", "y" * 700, "That is 700 characters; at most 600 fit here."),
    ],
)
def test_bad_input_changes_nothing_and_says_what_is_expected(
    state: str, text: str, says: str
) -> None:
    plan = answer_all(started(), s.EVENT, stop_at=state)
    assert plan.state == state
    before = plan.copy()
    outcome = apply(plan, ANNA, ev.Text(text))
    assert outcome.reply.kind == kinds.INVALID
    assert not outcome.changed and not outcome.records
    assert says in outcome.reply.text
    # ...and it says what is expected instead.
    assert t(f"expect.{by_key(state).kind}") in outcome.reply.text
    assert plan == before


def test_numbers_labels_and_prefixes_all_answer_a_choice() -> None:
    for typed in ("2", "Being better known", "being BETTER known", "visibility", "being"):
        plan = answer_all(started(), s.EVENT, stop_at="strategy_goal")
        outcome = apply(plan, ANNA, ev.Text(typed))
        assert outcome.plan.answers["strategy_goal"] == "visibility", typed


def test_back_returns_to_the_previous_question_and_keeps_its_answer() -> None:
    plan = answer_all(started(), s.EVENT, stop_at="we_offer")
    outcome = apply(plan, ANNA, ev.Back())
    assert outcome.plan.state == "target_benefit"
    assert outcome.plan.answers["target_benefit"] == s.EVENT["target_benefit"]
    assert "Earlier answer:" in outcome.reply.text
    back_twice = apply(outcome.plan, ANNA, ev.Back()).plan
    assert back_twice.state == "strategy_goal"
    reply = apply(back_twice, ANNA, ev.Start()).reply
    assert [o.key for o in reply.options if o.selected] == ["more_members"]


def test_back_from_the_first_question_is_refused() -> None:
    plan = started()
    outcome = apply(plan, ANNA, ev.Back())
    assert outcome.reply.kind == kinds.INVALID and not outcome.changed
    assert "first question" in outcome.reply.text


def test_back_skips_questions_that_do_not_apply() -> None:
    plan = answer_all(started(), s.EVENT, stop_at="partner_name")
    assert apply(plan, ANNA, ev.Back()).plan.state == "partner_kind"  # not same_theme, we_need
    plan = answer_all(started(), s.NETWORK, stop_at="success_measure")
    assert apply(plan, ANNA, ev.Back()).plan.state == "network_basis"


def test_skip_only_where_skippable() -> None:
    plan = answer_all(started(), s.EVENT, stop_at="partner_name")
    skipped = apply(plan, ANNA, ev.Skip())
    assert skipped.changed and skipped.plan.state == "field_closeness"
    assert skipped.plan.answers["partner_name"] is None
    assert skipped.records[0].value is None
    refused = apply(skipped.plan, ANNA, ev.Skip())
    assert refused.reply.kind == kinds.INVALID and not refused.changed
    assert "can't be skipped" in refused.reply.text


def test_the_machine_refuses_moves_the_flow_does_not_allow() -> None:
    assert move("aims", "skip", "strategy_goal") is None  # aims is not skippable
    assert move("aims", "answer", "aims") is None  # answers only go forward
    assert move("aims", "finish") is None  # only from the review
    assert move("target_benefit", "edit", "aims") is None  # only from the review
    assert move(REVIEW, "edit", "money") == "money"


def test_edit_from_the_review_changes_one_answer_and_returns() -> None:
    plan = answer_all(started(), s.EVENT)
    review = apply(plan, ANNA, ev.Start()).reply
    assert review.kind == kinds.REVIEW
    assert "edit:time_span" in [o.key for o in review.options]
    editing = apply(plan, ANNA, ev.Edit("time_span")).plan
    assert editing.state == "time_span"
    done = apply(editing, ANNA, ev.Text("Several years"))
    assert done.plan.state == REVIEW
    assert done.plan.answers["time_span"] == "several_years"
    assert {k: v for k, v in done.plan.answers.items() if k != "time_span"} == {
        k: v for k, v in plan.answers.items() if k != "time_span"
    }


def test_edit_that_opens_a_branch_asks_the_new_questions_then_returns() -> None:
    plan = answer_all(started(), s.EVENT)
    editing = apply(plan, ANNA, ev.Edit("partner_kind")).plan
    after = apply(editing, ANNA, ev.Text("Several organisations")).plan
    assert after.state == "network_basis"  # newly applicable, unanswered
    after = apply(after, ANNA, ev.Skip()).plan
    assert after.state == REVIEW


def test_review_accepts_typed_numbers() -> None:
    plan = answer_all(started(), s.EVENT)
    edit_second = apply(plan, ANNA, ev.Text("3"))  # 1 = finish, 2 = first question, 3 = second
    assert edit_second.plan.state == applicable(plan.answers)[1].key
    finished = apply(plan, ANNA, ev.Text("1"))
    assert finished.reply.kind == kinds.RESULT


def test_restart_clears_answers_and_goes_to_the_first_question() -> None:
    plan = answer_all(started(), s.EVENT, stop_at="money")
    outcome = apply(plan, ANNA, ev.Restart())
    assert outcome.plan.state == QUESTIONS[0].key and outcome.plan.answers == {}
    assert outcome.plan.id == plan.id


def test_a_button_for_another_question_is_stale() -> None:
    plan = answer_all(started(), s.EVENT, stop_at="money")
    outcome = apply(plan, ANNA, ev.Answer("time_span", "one_day"))
    assert outcome.reply.kind == kinds.STALE and not outcome.changed


@pytest.mark.parametrize("value", ["nonsense", 3, None, ["one_day"], {"x": 1}, "x" * 100])
def test_a_forged_value_for_the_current_question_is_refused(value: object) -> None:
    plan = answer_all(started(), s.EVENT, stop_at="time_span")
    outcome = apply(plan, ANNA, ev.Answer("time_span", value))
    assert outcome.reply.kind == kinds.INVALID and not outcome.changed


def test_multi_select_toggles_then_done() -> None:
    plan = started()
    plan = apply(plan, ANNA, ev.Toggle("aims", "joint_event")).plan
    plan = apply(plan, ANNA, ev.Toggle("aims", "raise_funds")).plan
    plan = apply(plan, ANNA, ev.Toggle("aims", "joint_event")).plan
    reply = apply(plan, ANNA, ev.Start()).reply
    assert [o.key for o in reply.options if o.selected] == ["raise_funds"]
    assert plan.state == "aims"
    done = apply(plan, ANNA, ev.Done("aims"))
    assert done.plan.answers["aims"] == ["raise_funds"]
    assert done.plan.state == "strategy_goal"


def test_done_with_nothing_selected_is_refused() -> None:
    outcome = apply(started(), ANNA, ev.Done("aims"))
    assert outcome.reply.kind == kinds.INVALID and not outcome.changed


def test_progress_shows_the_part_of_the_questionnaire() -> None:
    reply = apply(started(), ANNA, ev.Start()).reply
    assert (reply.progress, reply.part) == ((1, 4), "us")
    plan = answer_all(started(), s.EVENT, stop_at="time_span")
    reply = apply(plan, ANNA, ev.Start()).reply
    assert (reply.progress, reply.part) == ((3, 4), "plan")


def test_a_plan_stored_at_a_question_no_longer_asked_goes_on_at_the_first_open_one() -> None:
    plan = answer_all(started(), s.EVENT, stop_at="partner_name")
    plan.state = "cost_split"  # a question of an earlier questionnaire
    outcome = apply(plan, ANNA, ev.Start())
    assert outcome.reply.question == "partner_name"
    answered = apply(plan, ANNA, ev.Text("Kallio"))
    assert answered.plan.answers["partner_name"] == "Kallio"
    assert answered.plan.state == "field_closeness"


def test_a_finished_plan_shows_its_result_again() -> None:
    plan, outcomes = s.play(s.EVENT)
    again = apply(plan, ANNA, ev.Start())
    assert again.reply.kind == kinds.RESULT and again.reply.text == outcomes[-1].reply.text
    refused = apply(plan, MemberRef("2", "Ben"), ev.Text("1"))
    assert not refused.changed and "/restart" in refused.reply.text


def test_a_back_button_from_an_earlier_question_is_stale() -> None:
    plan = answer_all(started(), s.EVENT, stop_at="money")
    outcome = apply(plan, ANNA, ev.Back("aims"))
    assert outcome.reply.kind == kinds.STALE and not outcome.changed
    assert apply(plan, ANNA, ev.Back("money")).plan.state == "success_measure"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("joint event", ["joint_event"]),  # a part of "A joint event"
        ("JOINT EVENT", ["joint_event"]),
        ("1 3", ["joint_event", "share_information"]),
        ("1,3", ["joint_event", "share_information"]),
        ("1, 3 7", ["joint_event", "share_information", "new_activity"]),
        ("event, network", ["joint_event", "build_network"]),
        ("regular", ["new_activity"]),
    ],
)
def test_a_list_takes_parts_of_labels_and_numbers_with_spaces_or_commas(
    typed: str, stored: list[str]
) -> None:
    outcome = apply(started(), ANNA, ev.Text(typed))
    assert outcome.plan.answers["aims"] == stored, outcome.reply.text


def test_a_part_that_fits_several_options_is_refused_naming_them() -> None:
    plan = answer_all(started(), s.EVENT, stop_at="partner_kind")
    outcome = apply(plan, ANNA, ev.Text("a"))  # "Another association", "A company", ...
    assert outcome.reply.kind == kinds.INVALID and not outcome.changed
    assert "fits more than one option" in outcome.reply.text
    assert "Another association" in outcome.reply.text and "A company" in outcome.reply.text


def test_two_numbers_for_a_single_choice_are_refused() -> None:
    plan = answer_all(started(), s.EVENT, stop_at="strategy_goal")
    outcome = apply(plan, ANNA, ev.Text("1 3"))
    assert outcome.reply.kind == kinds.INVALID and not outcome.changed
    assert t("invalid.one_only") in outcome.reply.text


@pytest.mark.parametrize("state", ["aims", "strategy_goal", "field_closeness", "target_benefit"])
def test_refused_input_says_it_without_buttons_for_typed_transports(state: str) -> None:
    plan = answer_all(started(), s.EVENT, stop_at=state)
    reply = apply(plan, ANNA, ev.Text("x" * 3000)).reply
    assert reply.kind == kinds.INVALID
    assert reply.plain_text is not None and "tap" not in reply.plain_text.lower()
    assert t(f"expect_typed.{by_key(state).kind}") in reply.plain_text


def test_the_median_of_votes_is_statistics_median() -> None:
    """The scale's median is computed without the statistics module (its import costs a
    running bot ~0.5 MB); it must give what statistics.median gives, type included."""
    import itertools
    import statistics

    from flows.conversation import _median

    for count in range(1, 6):
        for votes in itertools.product(range(1, 6), repeat=count):
            got, expected = _median(list(votes)), statistics.median(votes)
            assert got == expected and type(got) is type(expected), votes
