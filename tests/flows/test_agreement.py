"""The agreement draft's data, its Markdown and the shipped JSON Schema."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import jsonschema
import pytest

from flows import events as ev
from flows.agreement_text import SECTION_TODOS, markdown
from flows.conversation import new_plan
from flows.export import agreement, schema
from flows.followup import review_delay
from flows.model import US, ChecklistRecord, MemberRef, Plan, TaskRecord
from flows.questionnaire import by_key
from flows.setup import apply_setup
from flows.texts import t
from tests.flows.scenarios import EVENT, EVENT_ONE_WAY, EVENT_WITH_SPONSOR, SCENARIOS, play

ANNA = MemberRef("101", "Anna")
TODAY = date(2026, 3, 1)
NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
ORG = "Kallion Nuoret ry"
CONTACT = "Anna Virtanen, chair, anna@kallio.example"


def validate(doc: dict[str, Any]) -> None:
    checker = jsonschema.FormatChecker()
    jsonschema.Draft202012Validator(schema(), format_checker=checker).validate(doc)


def finished(answers: dict[str, str]) -> tuple[Plan, list[TaskRecord]]:
    plan, outcomes = play(answers, ANNA)
    assert plan.status == "done"
    return plan, list(outcomes[-1].tasks or [])


def set_up(plan: Plan, *events: ev.Setup) -> Plan:
    for event in events:
        changed, _reply = apply_setup(plan, ANNA, event)
        assert changed is not None
        plan = changed
    return plan


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_every_scenario_exports_json_that_follows_the_schema(scenario: Any) -> None:
    plan, tasks = finished(scenario.answers)
    doc = agreement(plan, tasks, [], TODAY, NOW)
    validate(doc)
    assert (doc["schema_version"], doc["language"]) == (1, "en")
    assert doc["generated_at"] == "2026-03-01T09:30:00+00:00"
    assert doc["form"]["key"] == scenario.form
    assert doc["binding"] is False


def test_a_worked_plan_with_ticks_and_own_items_follows_the_schema() -> None:
    plan, tasks = finished(EVENT_WITH_SPONSOR)
    plan = set_up(plan, ev.Setup("name", ORG), ev.Setup("contact", CONTACT))
    ours = next(task for task in tasks if task.owner == US)
    when = "2026-03-02T10:00:00+00:00"
    tasks = [replace(x, claimed_by="Łukasz", done_by="Łukasz", done_at=when) if x == ours else x
             for x in tasks]  # fmt: skip
    items = [ChecklistRecord("own1", label="Buy coffee 🌻", done_by="Anna", done_at=when)]
    doc = agreement(plan, tasks, items, TODAY, NOW)
    validate(doc)
    done = [x for x in doc["tasks"] if x["status"] == "done"]
    assert done == [
        {**done[0], "key": ours.key, "member": "Łukasz", "done_by": "Łukasz", "done_at": when}
    ]
    assert doc["parties"]["us"] == {"name": ORG, "contacts": [CONTACT]}
    assert doc["money"]["arrangement"] == "sponsor"  # keys, not labels
    assert t(f"opt.commitment.{doc['money']['our_time']}") == EVENT_WITH_SPONSOR["commitment"]
    # A one-day event: its review a week on (90 days for longer ones).
    delay = review_delay(plan.answers.get("time_span"))
    assert doc["period"]["review_dates"] == [(TODAY + delay).isoformat()]


def test_the_schema_refuses_labels_and_missing_fields() -> None:
    plan, tasks = finished(EVENT)
    doc = agreement(plan, tasks, [], TODAY, NOW)
    with pytest.raises(jsonschema.ValidationError):
        validate({**doc, "money": {"arrangement": "We share the costs", "our_time": None}})
    with pytest.raises(jsonschema.ValidationError):
        validate({k: v for k, v in doc.items() if k != "generated_at"})


def test_the_schema_knows_every_option_of_the_questions_it_names() -> None:
    props = schema()["properties"]
    enums = {
        "money": props["money"]["properties"]["arrangement"]["enum"],
        "time_span": props["period"]["properties"]["time_span"]["enum"],
        "value_conflict": props["values"]["properties"]["conflict"]["enum"],
        "aims": props["purpose"]["properties"]["aims"]["items"]["enum"],
        "strategy_goal": props["purpose"]["properties"]["strategy_goal"]["enum"],
    }
    for question, enum in enums.items():
        assert set(by_key(question).options) <= set(enum), question
    todos = set(props["open_points"]["items"]["enum"])
    assert todos == {key for keys in SECTION_TODOS.values() for key in keys}


def test_the_markdown_names_both_parties_every_section_and_what_is_open() -> None:
    plan, tasks = finished({**EVENT, "partner_name": "Kahvila Oy"})
    plan = set_up(plan, ev.Setup("name", ORG))
    doc = agreement(plan, tasks, [], TODAY, NOW)
    text = markdown(doc)
    assert t("export.parties", association=ORG, partner="Kahvila Oy") in text
    for key in ("parties", "purpose", "form", "give_get", "tasks", "money", "visibility",
                "period", "values", "data", "ending", "status", "signatures"):  # fmt: skip
        assert f"## {t(f'agreement.section.{key}')}\n" in text, key
    assert f"**{t('agreement.sign_for', name=ORG)}**" in text
    assert f"**{t('agreement.sign_for', name='Kahvila Oy')}**" in text
    aims = t("opt.aims.joint_event").lower()
    assert t("agreement.aims", aims=aims) in text
    # The members' own words, and what the plan leaves open.
    assert EVENT["target_benefit"] in text and EVENT["success_measure"] in text
    to_decide = t("agreement.to_decide")
    assert f"- {to_decide}: {t('agreement.todo.our_contact', us=ORG)}" in text
    assert t("agreement.todo.notice") in text and t("agreement.todo.due_dates") in text
    assert t("agreement.not_binding") in text
    # Owners by organisation name, never "us" or "partner".
    for task in doc["tasks"]:
        start = f"| {t('task.' + task['key'])} |"
        row = next(line for line in text.splitlines() if line.startswith(start))
        assert ORG in row or "Kahvila Oy" in row, row


def test_a_missing_name_shows_as_still_to_decide() -> None:
    plan, tasks = finished({k: v for k, v in EVENT.items() if k != "partner_name"})
    doc = agreement(plan, tasks, [], TODAY, NOW)
    assert {"our_name", "partner_name"} <= set(doc["open_points"])
    text = markdown(doc)
    assert t("export.parties", association=t("agreement.us_unnamed"),
             partner=t("agreement.partner_unnamed")) in text  # fmt: skip
    assert t("agreement.todo.our_name") in text


def test_setup_names_are_checked_kept_and_carried_to_a_new_plan() -> None:
    plan, _tasks = finished(EVENT)
    _same, reply = apply_setup(plan, ANNA, ev.Setup("name", "   "))
    assert _same is None and reply.text == t("setup.empty_name")
    _same, reply = apply_setup(plan, ANNA, ev.Setup("name", "x" * 201))
    assert _same is None and reply.text == t("setup.too_long", limit=200)
    plan = set_up(plan, ev.Setup("name", f"  {ORG}  "), ev.Setup("contact", CONTACT))
    assert plan.meta["parties"] == {"us": ORG}
    again, reply = apply_setup(plan, ANNA, ev.Setup("name", ORG))
    assert again is None  # the same name again writes nothing
    fresh = new_plan("en", False, plan)  # what /restart stores for the association
    assert fresh.meta["parties"] == {"us": ORG} and list(fresh.meta["contacts"].values()) == [
        CONTACT
    ]
    cleared = set_up(plan, ev.Setup("contact", "-"))
    assert cleared.meta["contacts"] == {}


def test_a_value_conflict_with_a_company_is_named_under_values() -> None:
    answers = {
        **EVENT_WITH_SPONSOR,
        "value_conflict": "Alcohol",
        "value_conflict_detail": "They sell beer",
    }
    plan, tasks = finished(answers)
    doc = agreement(plan, tasks, [], TODAY, NOW)
    validate(doc)
    text = markdown(doc)
    values = text.split(f"## {t('agreement.section.values')}\n")[1].split("## ")[0]
    assert "They sell beer" in values
    partner = doc["parties"]["partner"]["name"] or t("agreement.partner_unnamed")
    assert t("agreement.ethics_company", us=t("agreement.us_unnamed"), partner=partner) in values


def test_a_one_way_plan_says_what_the_partner_gives_is_still_open() -> None:
    plan, tasks = finished({**EVENT_ONE_WAY, "partner_name": "Kahvila Oy"})
    doc = agreement(plan, tasks, [], TODAY, NOW)
    assert doc["give_and_get"]["partner"] == [] and "partner_gives" in doc["open_points"]
    text = markdown(doc)
    gives = text.split(f"## {t('agreement.section.give_get')}\n")[1].split("## ")[0]
    assert t("agreement.gives", name="Kahvila Oy", what=t("agreement.nothing_named")) in gives
    todo = t("agreement.todo.partner_gives", partner="Kahvila Oy")
    assert f"- {t('agreement.to_decide')}: {todo}" in gives
