"""The guide's gates and warnings, and the rules of the task split, one test each.

Each test names the rule it guards; without the rule, the test fails.
"""

from __future__ import annotations

import pytest

from flows import forms
from flows.model import PARTNER, US
from flows.recommend import (
    MAP_THE_FIELD,
    STRATEGIC_NEEDS_TRUST,
    TRUST_BUILDING,
    VALUE_CONFLICT,
    WHERE_TO_LOOK,
    recommend,
)
from flows.tasks import (
    FINDING,
    JOINT,
    LEAD_THEY,
    OUR_TIME,
    OURS,
    SESSIONS,
    TEMPLATES,
    split,
    template,
)
from flows.texts import t
from tests.flows import scenarios as s

SPANS = ["One day", "A few weeks", "About a year", "Ongoing, no end date", "Several years"]


# --- Strategic needs prior work together, whatever the time span ------------------------------


@pytest.mark.parametrize("span", SPANS)
@pytest.mark.parametrize("known", ["We haven't met", "We have met"])
def test_strategic_is_never_for_partners_who_have_not_worked_together(
    span: str, known: str
) -> None:
    answers = dict(s.STRATEGIC_COMPETENCE, acquaintance=known, time_span=span)
    plan, outcomes = s.play(answers)
    rec = recommend(plan.answers)
    assert forms.STRATEGIC not in rec.forms
    # Strategic would fit these answers best: the first step builds trust, and says why.
    assert recommend(dict(plan.answers, acquaintance="long_history")).form == forms.STRATEGIC
    assert rec.form in TRUST_BUILDING
    assert STRATEGIC_NEEDS_TRUST in rec.notes
    assert t("note.strategic_needs_trust") in s.whole(outcomes[-1].reply)


@pytest.mark.parametrize("known", ["We worked together once", "We have worked a lot"])
def test_strategic_is_open_once_the_partners_have_worked_together(known: str) -> None:
    plan, _ = s.play(dict(s.STRATEGIC_COMPETENCE, acquaintance=known, time_span="About a year"))
    assert recommend(plan.answers).form == forms.STRATEGIC


def test_about_a_year_is_a_time_span() -> None:
    plan, _ = s.play(s.INFORMATION_PUBLIC_YEAR)
    assert plan.answers["time_span"] == "about_year"


# --- An unknown partner: no rating, and the guide's advice to map the field first -------------


def test_an_unknown_partner_is_not_rated() -> None:
    asked = s.asked(s.UNKNOWN_PARTNER)
    for key in (
        "partner_name",
        "field_closeness",
        "value_closeness",
        "value_conflict",
        "acquaintance",
        "partner_offers",
    ):
        assert key not in asked
    assert "same_theme" in asked and "we_need" in asked


def test_without_a_partner_the_result_leads_with_mapping_the_field() -> None:
    plan, outcomes = s.play(s.UNKNOWN_PARTNER)
    text = s.whole(outcomes[-1].reply)
    lines = text.splitlines()
    assert lines[0] == t("result.find_title")
    # The organisations the member listed are named back, then where to look.
    assert "Library youth corner, Kallio sports club, the parish youth work" in lines[1]
    assert lines[2] == f"• {t('note.where_to_look')}"
    assert recommend(plan.answers).notes[:2] == (MAP_THE_FIELD, WHERE_TO_LOOK)
    # The form comes after, as the way to start once a partner is found.
    assert text.index(t("result.then", form=t("form.event.name"))) > text.index(lines[2])


def test_without_a_partner_the_first_step_is_finding_one() -> None:
    _plan, outcomes = s.play(s.UNKNOWN_PARTNER)
    tasks = outcomes[-1].tasks or []
    assert [task.key for task in tasks] == [item.key for item in FINDING]
    assert {task.owner for task in tasks} == {US}
    # No event task that nobody could run.
    assert not {task.key for task in tasks} & {item.key for item in TEMPLATES[forms.EVENT]}


def test_without_names_the_advice_still_says_where_to_look() -> None:
    _plan, outcomes = s.play(s.UNKNOWN_SPONSOR)
    text = s.whole(outcomes[-1].reply)
    assert t("note.map_the_field_unnamed") in text and t("note.where_to_look") in text


# --- A named value conflict is warned about for every form -----------------------------------

KNOWN = [x for x in s.SCENARIOS if x.answers.get("partner_kind") not in ("Not known yet",)]


@pytest.mark.parametrize("scenario", KNOWN, ids=[x.name for x in KNOWN])
def test_a_value_conflict_is_warned_for_every_form_quoting_the_member(
    scenario: s.Scenario,
) -> None:
    typed = "Their owner runs slot machines"
    answers = dict(
        scenario.answers,
        value_closeness="2",
        value_conflict="Gambling",
        value_conflict_detail=typed,
    )
    plan, outcomes = s.play(answers)
    rec = recommend(plan.answers)
    assert VALUE_CONFLICT in rec.notes
    assert t("note.value_conflict", what=typed) in s.whole(outcomes[-1].reply)
    # ...and our board weighs it: a task of ours, whatever the form.
    checks = [x for x in outcomes[-1].tasks or [] if x.key in ("values_board", "corporate_ethics")]
    assert len(checks) == 1 and checks[0].owner == US


def test_the_brewery_sponsor_of_an_event_is_warned_about() -> None:
    plan, outcomes = s.play(s.EVENT_BREWERY)
    assert recommend(plan.answers).forms == (forms.EVENT, forms.CORPORATE)
    assert "“They sell beer and our members are under 18”" in s.whole(outcomes[-1].reply)


def test_a_conflict_without_words_is_named_by_its_option() -> None:
    answers = {k: v for k, v in s.EVENT_BREWERY.items() if k != "value_conflict_detail"}
    _plan, outcomes = s.play(answers)
    assert t("note.value_conflict", what="Alcohol") in s.whole(outcomes[-1].reply)


# --- The split ---------------------------------------------------------------------------------


def test_together_only_for_tasks_joint_by_nature_and_then_with_a_lead() -> None:
    for scenario in s.SCENARIOS:
        _plan, outcomes = s.play(scenario.answers)
        for task in outcomes[-1].tasks or []:
            item = template(task.key)
            assert item is not None
            assert task.owner in (US, PARTNER)  # the lead of a joint task, or its one owner
    joint = {item.key for items in TEMPLATES.values() for item in items if item.side == JOINT}
    assert len(joint) <= len(TEMPLATES)  # about one per form: agreeing the goals


def test_a_task_may_need_several_resources() -> None:
    # Equipment is not offered by anyone; the venue is the partner's, so is the setup.
    answers = dict(s.EVENT, we_offer="Volunteers, Special skills", partner_offers="Premises")
    plan, _ = s.play(answers)
    owners = {task.key: task for task in split((forms.EVENT,), plan.answers)}
    assert template("event_equipment").resources == ("equipment", "premises")  # type: ignore[union-attr]
    assert owners["event_equipment"].owner == PARTNER
    assert owners["event_equipment"].resource == "premises"
    # Our contacts are used by an event task.
    with_contacts = dict(s.EVENT, we_offer="Volunteers, Contacts")
    plan, _ = s.play(with_contacts)
    owners = {task.key: task for task in split((forms.EVENT,), plan.answers)}
    assert owners["event_invite"].owner == US and owners["event_invite"].resource == "contacts"


def test_our_side_only_tasks_never_go_to_the_partner() -> None:
    # A partner offering everything, and us with almost no time: still ours.
    answers = dict(
        s.EVENT_WITH_SPONSOR,
        partner_offers="1,2,3,4,5,6,7,8,9",
        commitment="A few hours in all",
    )
    plan, _ = s.play(answers)
    for task in split((forms.CORPORATE, forms.ADVOCACY, forms.NETWORK), plan.answers):
        if template(task.key).side == OURS:  # type: ignore[union-attr]
            assert task.owner == US, task.key


def test_the_time_we_can_give_caps_our_load() -> None:
    generous = dict(s.HOMEWORK_CLUB, commitment="Many hours each week")
    scarce = dict(s.HOMEWORK_CLUB, commitment="A few hours in all")
    many = s.play(generous)[1][-1].tasks or []
    few = s.play(scarce)[1][-1].tasks or []
    assert [task.key for task in many] == [task.key for task in few]
    ours_many = sum(task.owner == US for task in many)
    ours_few = sum(task.owner == US for task in few)
    assert ours_few < ours_many
    moved = [b for a, b in zip(many, few, strict=True) if a.owner == US and b.owner == PARTNER]
    assert moved and all(task.reason in (OUR_TIME, LEAD_THEY) for task in moved)


def test_each_owner_comes_with_a_one_line_reason() -> None:
    text = s.whole(s.play(s.HOMEWORK_CLUB)[1][-1].reply)
    assert "Book a venue that everyone can reach — partner (they offer premises)" in text
    assert "Find volunteers and tell them their tasks — us (we offer volunteers)" in text
    assert "Agree the event's aim, audience and date — together, we lead (" in text


# --- Recurring activities ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "form"), [(s.HOMEWORK_CLUB, forms.EVENT), (s.FOOD_AID, forms.STRATEGIC)]
)
def test_a_recurring_activity_gets_its_form_and_session_tasks(
    answers: dict[str, str], form: str
) -> None:
    plan, outcomes = s.play(answers)
    assert recommend(plan.answers).form == form
    keys = [task.key for task in outcomes[-1].tasks or []]
    assert {item.key for item in SESSIONS} <= set(keys)
    assert t("result.recurring") in s.whole(outcomes[-1].reply)


def test_a_one_day_event_has_no_sessions() -> None:
    keys = {task.key for task in s.play(s.EVENT)[1][-1].tasks or []}
    assert not keys & {item.key for item in SESSIONS}


def test_in_an_information_exchange_the_side_that_holds_the_information_shares_it() -> None:
    tasks = {task.key: task for task in s.play(s.INFORMATION)[1][-1].tasks or []}
    # The city offers factual knowledge; we offer everyday expertise.
    assert tasks["info_knowledge"].owner == PARTNER
    assert tasks["info_knowledge"].reason == "they_offer"
    assert tasks["info_practices"].owner == US
