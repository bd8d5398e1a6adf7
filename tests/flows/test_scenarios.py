"""The guide's own examples, played as whole plans: the form the guide points to, and a split
that really divides the work."""

from __future__ import annotations

import re
from functools import cache

import pytest

from flows import forms
from flows.model import DONE, PARTNER, US, Plan, TaskRecord
from flows.recommend import recommend
from flows.render import reason_text
from flows.tasks import JOINT, OURS, THEIRS, single_owner, template
from flows.texts import t
from tests.flows import scenarios as s

# The share of tasks without one single owner (done together), over the whole scenario set.
MAX_SHARED_SHARE = 0.25


@cache
def played(name: str) -> tuple[Plan, list[TaskRecord], str]:
    scenario = next(x for x in s.SCENARIOS if x.name == name)
    plan, outcomes = s.play(scenario.answers)
    return plan, outcomes[-1].tasks or [], s.whole(outcomes[-1].reply)


NAMES = [x.name for x in s.SCENARIOS]


def test_the_set_holds_at_least_twenty_plans_from_the_guide() -> None:
    assert len(s.SCENARIOS) >= 20
    assert len(set(NAMES)) == len(NAMES)
    # Every form of the guide is what some example expects.
    assert {x.form for x in s.SCENARIOS} == set(forms.FORMS)


@pytest.mark.parametrize("scenario", s.SCENARIOS, ids=NAMES)
def test_each_plan_gets_the_form_the_guide_points_to(scenario: s.Scenario) -> None:
    plan, tasks, text = played(scenario.name)
    rec = recommend(plan.answers)
    assert plan.status == DONE
    assert (rec.form, rec.combined_with) == (scenario.form, scenario.combined_with)
    name = t(f"form.{scenario.form}.name")
    if rec.no_partner:
        assert text.startswith(t("result.find_title"))
        assert t("result.then", form=name) in text
    else:
        assert text.startswith(f"Recommended: {name}")
    assert plan.meta["result"]["form"] == scenario.form
    # The reply explains itself and names what the form brings.
    assert t("result.why") in text
    assert t(f"form.{scenario.form}.benefits") in text
    assert tasks


@pytest.mark.parametrize("scenario", s.SCENARIOS, ids=NAMES)
def test_every_task_has_one_accountable_party_and_a_reason(scenario: s.Scenario) -> None:
    _plan, tasks, text = played(scenario.name)
    for task in tasks:
        assert task.owner in (US, PARTNER), task
        why = reason_text(task, "en")
        assert why, task
        assert f"{t(f'task.{task.key}')} — " in text and f"({why})" in text


def test_at_most_a_quarter_of_all_tasks_lack_a_single_owner() -> None:
    tasks = [task for name in NAMES for task in played(name)[1]]
    shared = sum(not single_owner(task) for task in tasks)
    share = shared / len(tasks)
    print(f"tasks without a single owner: {shared} of {len(tasks)} ({share:.0%})")
    assert share <= MAX_SHARED_SHARE


@pytest.mark.parametrize("scenario", s.SCENARIOS, ids=NAMES)
def test_no_owner_contradicts_the_task_text(scenario: s.Scenario) -> None:
    for task in played(scenario.name)[1]:
        text = t(f"task.{task.key}").lower()
        side = template(task.key).side  # type: ignore[union-attr]
        # A task about "our" board, values, members or channels is ours.
        if " our " in f" {text} ":
            assert side == OURS and task.owner == US, task.key
        # A task about the company's own work is the company's.
        if "company's own" in text:
            assert side == THEIRS and task.owner == PARTNER, task.key
        # Tasks speak from our side ("our board"), never of "your" (whose would it be?).
        assert not {"you", "your"} & set(re.findall(r"[a-z]+", text)), task.key
        # "Together" in a task text only for tasks that are joint by nature.
        if "together" in text or text.startswith("agree"):
            assert side == JOINT, task.key


def test_where_the_sides_offer_different_things_both_have_work() -> None:
    # We: volunteers and contacts; the partner: premises and money.
    _plan, tasks, _text = played("food_aid")
    owners = {task.key: task.owner for task in tasks}
    assert owners["strategic_people"] == US  # we offer volunteers
    assert owners["session_contact"] == US  # we offer contacts
    assert owners["session_schedule"] == PARTNER  # they offer premises
    assert owners["strategic_funding"] == PARTNER  # they offer money
    assert sum(not single_owner(task) for task in tasks) / len(tasks) <= MAX_SHARED_SHARE


def test_same_answers_give_the_same_result() -> None:
    _first, a = s.play(s.EVENT_WITH_SPONSOR)
    _second, b = s.play(s.EVENT_WITH_SPONSOR)
    assert s.whole(a[-1].reply) == s.whole(b[-1].reply)
    assert a[-1].tasks == b[-1].tasks


def test_ties_go_to_the_lighter_commitment() -> None:
    answers = {"aims": ["joint_event", "share_information"]}
    rec = recommend(answers)
    assert rec.scores[forms.EVENT] == rec.scores[forms.INFORMATION]
    assert rec.form == forms.INFORMATION  # information is lighter than an event


def test_give_and_get_is_shown() -> None:
    text = played("event")[2]
    assert "We give: Special skills, Volunteers, Equipment" in text
    assert "We get: Volunteers, Premises, Communication channels" in text
