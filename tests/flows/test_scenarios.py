"""Each form of the guide is what a realistic association gets when it is the right one."""

from __future__ import annotations

import pytest

from flows import forms
from flows.model import DONE, PARTNER, TOGETHER, US
from flows.recommend import recommend
from flows.reply import Reply
from flows.texts import t
from tests.flows import scenarios as s


def whole(reply: Reply) -> str:
    """A result's first message and its details, as one text."""
    return f"{reply.text}\n{reply.details or ''}"


@pytest.mark.parametrize(
    ("answers", "form"),
    [
        (s.EVENT, forms.EVENT),
        (s.ADVOCACY, forms.ADVOCACY),
        (s.INFORMATION, forms.INFORMATION),
        (s.NETWORK, forms.NETWORK),
        (s.CORPORATE, forms.CORPORATE),
        (s.STRATEGIC, forms.STRATEGIC),
    ],
    ids=["event", "advocacy", "information", "network", "corporate", "strategic"],
)
def test_each_form_is_recommended_for_its_scenario(answers: dict[str, str], form: str) -> None:
    plan, outcomes = s.play(answers)
    result = outcomes[-1]
    assert plan.status == DONE
    assert result.reply.text.startswith(f"Recommended: {t(f'form.{form}.name')}")
    assert plan.meta["result"]["form"] == form
    # The reply explains itself and names what the form brings.
    # The reasoning comes on request, after a first message that fits a phone screen.
    assert "Why — the answers that weighed most:" in (result.reply.details or "")
    assert t(f"form.{form}.benefits") in (result.reply.details or "")
    # Every task has exactly one accountable party, and both sides have work.
    assert result.tasks
    assert {task.owner for task in result.tasks} <= {US, PARTNER, TOGETHER}
    owners = [task.owner for task in result.tasks]
    assert US in owners and PARTNER in owners


def test_event_with_a_company_sponsor_is_a_combination() -> None:
    plan, outcomes = s.play(s.EVENT_WITH_SPONSOR)
    rec = recommend(plan.answers)
    assert rec.forms == (forms.EVENT, forms.CORPORATE)
    text = whole(outcomes[-1].reply)
    assert text.startswith("Recommended: Event partnership")
    assert "Combine it with: Corporate partnership" in text
    # Tasks of both forms, each once.
    keys = [task.key for task in outcomes[-1].tasks or []]
    assert "event_venue" in keys and "corporate_funding" in keys
    assert len(keys) == len(set(keys))
    # The sponsor offers money, so the money tasks are the partner's.
    by_key = {task.key: task.owner for task in outcomes[-1].tasks or []}
    assert by_key["corporate_funding"] == PARTNER
    assert by_key["event_volunteers"] == US


def test_same_answers_give_the_same_result() -> None:
    _first, a = s.play(s.EVENT_WITH_SPONSOR)
    _second, b = s.play(s.EVENT_WITH_SPONSOR)
    assert whole(a[-1].reply) == whole(b[-1].reply)
    assert a[-1].tasks == b[-1].tasks


def test_strategic_waits_for_trust_when_partners_are_new_and_time_is_short() -> None:
    answers = dict(s.STRATEGIC, acquaintance="We haven't met", time_span="One day")
    plan, outcomes = s.play(answers)
    rec = recommend(plan.answers)
    assert rec.form != forms.STRATEGIC
    assert forms.STRATEGIC not in rec.forms
    assert t("note.strategic_needs_trust") in whole(outcomes[-1].reply)
    assert t("note.not_met") in whole(outcomes[-1].reply)


def test_a_value_conflict_flags_a_company_partnership() -> None:
    answers = dict(s.CORPORATE, value_conflict="Alcohol", value_conflict_detail="A brewery.")
    plan, outcomes = s.play(answers)
    assert recommend(plan.answers).form == forms.CORPORATE
    assert t("note.corporate_value_conflict") in whole(outcomes[-1].reply)


def test_values_far_apart_and_one_sided_giving_are_warned_about() -> None:
    answers = dict(s.EVENT, value_closeness="1")
    del answers["partner_offers"]  # skipped: the partner brings nothing named
    _plan, outcomes = s.play(answers)
    text = whole(outcomes[-1].reply)
    assert t("note.values_far_apart") in text
    assert t("note.we_only_give") in text
    assert "We get: nothing named yet" in text


def test_give_and_get_is_shown() -> None:
    _, outcomes = s.play(s.EVENT)
    text = whole(outcomes[-1].reply)
    assert "We give: Special skills, Volunteers, Equipment" in text
    assert "We get: Premises, Communication channels" in text


def test_ties_go_to_the_lighter_commitment() -> None:
    # Nothing but one aim that weighs event and strategic... build an exact tie by hand.
    answers = {"aims": ["joint_event", "share_information"]}
    rec = recommend(answers)
    assert rec.scores[forms.EVENT] == rec.scores[forms.INFORMATION]
    assert rec.form == forms.INFORMATION  # information is lighter than an event


def test_network_needs_several_organisations() -> None:
    answers = dict(s.NETWORK, partner_kind="Another association")
    plan, _outcomes = s.play(answers)
    rec = recommend(plan.answers)
    assert forms.NETWORK not in rec.forms
    assert "org_count" not in plan.answers  # the network questions were not asked
