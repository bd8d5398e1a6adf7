"""A finished plan as an agreement draft two associations can sign: the data.

``agreement`` gives plain JSON data with language-neutral keys (the JSON export, checked
against ``flows/schemas/agreement.schema.json``). ``flows.agreement_text`` turns the same data
into the sections every readable format (Markdown, PDF, a Telegram message) is drawn from, so
they all hold the same facts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from importlib import resources
from typing import Any

from flows.followup import review_delay
from flows.model import PARTNER, TOGETHER, US, ChecklistRecord, Plan, ReviewAnswer, TaskRecord
from flows.questionnaire import effective
from flows.recommend import MAP_THE_FIELD, VALUE_CONFLICT, give_and_get, recommend
from flows.setup import contacts, our_name, partner_name
from flows.tasks import PHASES, is_joint, split

SCHEMA_VERSION = 1

# A first review a few months in (a week after a one-day event: ``flows.followup``), as the
# guide's "follow up" suggests checking what worked; a longer cooperation is reviewed again
# each year.
YEARLY = timedelta(days=365)
LONG = ("about_year", "ongoing", "several_years")

# Tasks in which a party collects participants' personal data (registrations, a contact
# list): that party is responsible for the data.
DATA_TASKS = ("event_marketing", "network_coordination")


def agreement(
    plan: Plan,
    tasks: Sequence[TaskRecord],
    items: Sequence[ChecklistRecord],
    today: date,
    generated_at: datetime,
    review: Sequence[ReviewAnswer] = (),
) -> dict[str, Any]:
    answers = effective(plan.answers)
    rec = recommend(plan.answers)
    give, get = give_and_get(plan.answers)
    # Reasons are not stored with the tasks: the same answers give the same split again.
    reasons = {task.key: task for task in split(rec.forms, plan.answers)}
    ordered = [task for phase in PHASES for task in tasks if task.phase == phase]
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "language": plan.language,
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "plan_id": plan.id,
        "parties": {
            US: {"name": our_name(plan), "contacts": contacts(plan)},
            # Seam for partner invites (issue 15): the partner's contacts come from its half.
            PARTNER: {
                "name": partner_name(plan),
                "kind": answers.get("partner_kind"),
                "contacts": [],
            },
        },
        "purpose": {
            "aims": list(answers.get("aims") or []),
            "strategy_goal": answers.get("strategy_goal"),
            "strategy_detail": _text(answers, "strategy_detail"),
            "target_benefit": _text(answers, "target_benefit"),
            "success_measure": _text(answers, "success_measure"),
        },
        "form": {
            "key": rec.form,
            "combined_with": rec.combined_with,
            "reasons": [{"question": r.question, "option": r.option} for r in rec.reasons],
        },
        "give_and_get": {US: give, PARTNER: get},
        "tasks": [_task(task, reasons.get(task.key)) for task in ordered],
        "money": {
            "arrangement": answers.get("money"),
            "our_time": answers.get("commitment"),
        },
        "visibility": {"public_voice": answers.get("public_voice")},
        "period": {
            "time_span": answers.get("time_span"),
            "start": None,
            "end": None,
            "review_dates": _reviews(today, answers.get("time_span")),
        },
        "values": {
            "value_closeness": answers.get("value_closeness"),
            "conflict": answers.get("value_conflict"),
            "conflict_detail": _text(answers, "value_conflict_detail"),
        },
        "data_protection": {"responsible": _data_holder(ordered)},
        "ending": {"notice": None},
        "binding": False,
        "checklist": [
            {
                "key": item.key,
                "text": item.label,
                "done_by": item.done_by,
                "done_at": item.done_at,
            }
            for item in items
        ],
        "notes": [{"key": key, "detail": _note_detail(key, answers)} for key in rec.notes],
        # The answers of the review and the mid-term check (issue 17), oldest first.
        "review": [
            {"kind": r.kind, "question": r.question, "answer": r.value, "by": r.member_name}
            for r in review
        ],
    }
    doc["open_points"] = open_points(doc)
    return doc


def schema() -> dict[str, Any]:
    """The JSON Schema every export follows (shipped in the package)."""
    path = resources.files("flows").joinpath("schemas", "agreement.schema.json")
    return json.loads(path.read_text("utf-8"))  # type: ignore[no-any-return]


def _text(answers: dict[str, Any], key: str) -> str | None:
    value = answers.get(key)
    return str(value).strip() or None if value is not None else None


def _task(task: TaskRecord, why: TaskRecord | None) -> dict[str, Any]:
    return {
        "key": task.key,
        "phase": task.phase,
        "owner": task.owner,
        "joint": is_joint(task),
        "member": task.claimed_by,
        "due": task.due_on,
        "status": "done" if task.done_by is not None else "open",
        "done_by": task.done_by,
        "done_at": task.done_at,
        "reason": why.reason if why else None,
        "resource": why.resource if why else None,
    }


def _reviews(today: date, time_span: str | None) -> list[str]:
    # The bot's own review falls on the first date (flows.followup): a week on for one day.
    first = today + review_delay(time_span)
    dates = [first] + ([first + YEARLY] if time_span in LONG else [])
    return [d.isoformat() for d in dates]


def _data_holder(tasks: Sequence[TaskRecord]) -> str | None:
    """The party that collects participants' data, when one task says so."""
    owners = {task.owner for task in tasks if task.key in DATA_TASKS}
    return owners.pop() if len(owners) == 1 and TOGETHER not in owners else None


def _note_detail(key: str, answers: dict[str, Any]) -> str | None:
    """What the member typed that a note quotes."""
    if key == VALUE_CONFLICT:
        return _text(answers, "value_conflict_detail")
    if key == MAP_THE_FIELD:
        return _text(answers, "same_theme")
    return None


def open_points(doc: dict[str, Any]) -> list[str]:
    """What the parties still have to decide, as keys (``agreement.todo.<key>``)."""
    parties = doc["parties"]
    points = []
    if not parties[US]["name"]:
        points.append("our_name")
    if not parties[PARTNER]["name"]:
        points.append("partner_name")
    if not parties[US]["contacts"]:
        points.append("our_contact")
    if not parties[PARTNER]["contacts"]:
        points.append("partner_contact")
    if not (doc["purpose"]["target_benefit"] or doc["purpose"]["success_measure"]):
        points.append("goals")
    gives = doc["give_and_get"]
    if not gives[US]:
        points.append("our_gives")
    if not gives[PARTNER]:
        points.append("partner_gives")
    if any(task["due"] is None for task in doc["tasks"]):
        points.append("due_dates")
    money = doc["money"]["arrangement"]
    if money is None:
        points.append("money")
    elif money == "shared_costs":
        points.append("cost_split")
    elif money == "sponsor":
        points.append("sponsor_amount")
    elif money in ("joint_product", "sales_share", "joint_funding"):
        points.append("proceeds_split")
    points.append("visibility")
    if doc["period"]["start"] is None:
        points.append("start")
    if doc["period"]["end"] is None and doc["period"]["time_span"] != "ongoing":
        points.append("end")
    if doc["data_protection"]["responsible"] is None:
        points.append("data_holder")
    if doc["ending"]["notice"] is None:
        points.append("notice")
    return points
