"""Who does what: task templates per form, each given to one accountable party with a reason.

The rules, in order (``split``):

1. A task only our association can do (our values check, our board's decision, our members,
   our channels) is ours. A task only the partner can do (its own marketing) is the partner's.
2. A task needs one or more resources; the first one that either side offers decides. Offered
   by one side: that side. Offered by both: see 4.
3. Without a partner yet, every task is ours: finding one.
4. What is left (tasks joint by nature, tasks both sides could do, tasks nobody named a resource
   for) goes to the side with fewer tasks, us on a tie, but never past the time we said we can
   give (the commitment answer caps our load). A task joint by nature (agreeing the goals) is
   done together and still has one lead.

Forced tasks are placed first, so the balancing in 4 sees the whole load.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flows.forms import ADVOCACY, CORPORATE, EVENT, INFORMATION, NETWORK, STRATEGIC
from flows.model import PARTNER, TOGETHER, US, TaskRecord
from flows.questionnaire import chosen, effective

PREPARE = "prepare"
RUN = "run"
FOLLOW_UP = "follow_up"
PHASES = (PREPARE, RUN, FOLLOW_UP)

# Who may take a task.
SHARED = "shared"  # whoever offers what it needs, else whoever has room
OURS = "ours"  # only our association can do it
THEIRS = "theirs"  # only the partner can do it
JOINT = "joint"  # done together by nature (agreeing), with one lead

# Why a task has its owner (texts under ``reason.`` in the locale files).
WE_OFFER = "we_offer"
THEY_OFFER = "they_offer"
BOTH_EVEN = "both_even"
BOTH_OUR_TIME = "both_our_time"
NOBODY_EVEN = "nobody_even"
OUR_TIME = "our_time"
OURS_ONLY = "ours_only"
THEIRS_ONLY = "theirs_only"
LEAD_WE = "lead_we"
LEAD_THEY = "lead_they"
NO_PARTNER = "no_partner"
REASONS = (
    WE_OFFER,
    THEY_OFFER,
    BOTH_EVEN,
    BOTH_OUR_TIME,
    NOBODY_EVEN,
    OUR_TIME,
    OURS_ONLY,
    THEIRS_ONLY,
    LEAD_WE,
    LEAD_THEY,
    NO_PARTNER,
)

# How many tasks our side can carry, by the answer about the time we can give.
CAPS: Mapping[str, int | None] = {
    "few_hours": 2,
    "some_days": 4,
    "monthly": 6,
    "substantial": None,
}


@dataclass(frozen=True)
class TaskTemplate:
    key: str
    phase: str
    resources: tuple[str, ...] = ()  # from questionnaire.RESOURCES, most telling first
    side: str = SHARED
    about_money: bool = False  # left out when no money is involved


def _t(
    key: str, phase: str, *resources: str, side: str = SHARED, about_money: bool = False
) -> TaskTemplate:
    return TaskTemplate(key, phase, resources, side, about_money)


TEMPLATES: Mapping[str, tuple[TaskTemplate, ...]] = {
    EVENT: (
        _t("event_goals", PREPARE, side=JOINT),
        _t("event_venue", PREPARE, "premises"),
        _t("event_programme", PREPARE, "special_skills", "knowledge", "lived_expertise"),
        _t("event_budget", PREPARE, "money", about_money=True),
        _t("event_marketing", PREPARE, "channels"),
        _t("event_invite", PREPARE, "contacts"),
        _t("event_volunteers", RUN, "volunteers"),
        _t("event_equipment", RUN, "equipment", "premises"),
        _t("event_feedback", FOLLOW_UP, "channels", "contacts"),
    ),
    ADVOCACY: (
        _t("advocacy_position", PREPARE, side=JOINT),
        _t("advocacy_facts", PREPARE, "knowledge"),
        _t("advocacy_stories", PREPARE, "lived_expertise"),
        _t("advocacy_text", PREPARE, "special_skills", "knowledge"),
        _t("advocacy_approval", PREPARE, side=OURS),
        _t("advocacy_channels", RUN, "channels"),
        _t("advocacy_decision_makers", RUN, "contacts"),
        _t("advocacy_follow", FOLLOW_UP, "contacts", "knowledge"),
    ),
    INFORMATION: (
        _t("info_topics", PREPARE, side=JOINT),
        _t("info_knowledge", RUN, "knowledge"),
        _t("info_practices", RUN, "lived_expertise", "special_skills"),
        _t("info_meetings", RUN, "premises"),
        _t("info_notes", RUN, "channels"),
        _t("info_review", FOLLOW_UP),
    ),
    NETWORK: (
        _t("network_join", PREPARE, side=OURS),
        _t("network_needs", PREPARE, "contacts", "knowledge"),
        _t("network_rules", PREPARE, side=JOINT),
        _t("network_coordination", RUN, "contacts"),
        _t("network_meetings", RUN, "premises"),
        _t("network_channel", RUN, "channels"),
        _t("network_evaluate", FOLLOW_UP),
    ),
    CORPORATE: (
        _t("corporate_ethics", PREPARE, side=OURS),
        _t("corporate_agreement", PREPARE, side=JOINT),
        _t("corporate_funding", RUN, "money", "equipment"),
        _t("corporate_visibility", RUN, side=OURS),
        _t("corporate_their_marketing", RUN, side=THEIRS),
        _t("corporate_member_offer", RUN, side=OURS),
        _t("corporate_report", FOLLOW_UP, side=OURS),
    ),
    STRATEGIC: (
        _t("strategic_goals", PREPARE, side=JOINT),
        _t("strategic_board", PREPARE, side=OURS),
        _t("strategic_competence", PREPARE, "knowledge", "special_skills"),
        _t("strategic_activity", RUN, "special_skills", "knowledge", "lived_expertise"),
        _t("strategic_people", RUN, "volunteers"),
        _t("strategic_funding", RUN, "special_skills", "money"),
        _t("strategic_review", FOLLOW_UP),
    ),
}

# An activity that repeats (a weekly club, a regular food aid) needs its sessions run.
SESSIONS: tuple[TaskTemplate, ...] = (
    _t("session_schedule", PREPARE, "premises"),
    _t("session_leaders", RUN, "volunteers", "special_skills"),
    _t("session_contact", RUN, "contacts", "channels"),
)

# Without a partner the first step is to find one, as the guide advises: map the field.
FINDING: tuple[TaskTemplate, ...] = (
    _t("find_map", PREPARE, side=OURS),
    _t("find_shortlist", PREPARE, side=OURS),
    _t("find_contact", RUN, side=OURS),
    _t("find_meet", RUN, side=OURS),
    _t("find_plan", FOLLOW_UP, side=OURS),
)

# A named value conflict is for our board to weigh, whatever the form (a company partnership
# has its own values check).
VALUES_CHECK = _t("values_board", PREPARE, side=OURS)

_ALL: dict[str, TaskTemplate] = {
    t.key: t for group in (*TEMPLATES.values(), SESSIONS, FINDING, (VALUES_CHECK,)) for t in group
}
# The tasks done together by nature (``is_joint``): storage routes their reminders by it.
JOINT_KEYS = tuple(sorted(key for key, found in _ALL.items() if found.side == JOINT))
# Spans over which a joint event becomes a series of sessions.
LONG_SPANS = ("about_year", "ongoing", "several_years")


def template(key: str) -> TaskTemplate | None:
    return _ALL.get(key)


def is_joint(task: TaskRecord) -> bool:
    found = template(task.key)
    return task.owner == TOGETHER or (found is not None and found.side == JOINT)


def single_owner(task: TaskRecord) -> bool:
    """Whether one party alone carries the task (joint tasks have a lead, but not one doer)."""
    return not is_joint(task)


def no_partner_yet(answers: Mapping[str, Any]) -> bool:
    return answers.get("partner_kind") == "unknown"


def recurring(answers: Mapping[str, Any]) -> bool:
    """Whether the activity repeats: a new regular activity, or a joint event kept up long."""
    aims = chosen(answers.get("aims"))
    return "new_activity" in aims or (
        "joint_event" in aims and answers.get("time_span") in LONG_SPANS
    )


def our_cap(answers: Mapping[str, Any]) -> int | None:
    return CAPS.get(str(answers.get("commitment")))


def templates_for(forms: Sequence[str], answers: Mapping[str, Any]) -> list[TaskTemplate]:
    """The tasks of ``forms`` (the second form's extra ones after the first's), in phase order."""
    if no_partner_yet(answers):
        return list(FINDING)
    found: dict[str, TaskTemplate] = {}
    groups = [TEMPLATES[form] for form in forms]
    if answers.get("value_conflict") not in (None, "none") and CORPORATE not in forms:
        groups.insert(0, (VALUES_CHECK,))
    if recurring(answers):
        groups.append(SESSIONS)
    no_money = answers.get("money") == "none"
    for group in groups:
        for item in group:
            if not (item.about_money and no_money):
                found.setdefault(item.key, item)
    # Phase order first, so the board reads as a timeline; stable within a phase.
    return sorted(found.values(), key=lambda t: PHASES.index(t.phase))


def _record(item: TaskTemplate, owner: str, resource: str | None, reason: str) -> TaskRecord:
    return TaskRecord(item.key, item.phase, owner, resource, reason=reason)


def split(forms: Sequence[str], answers: Mapping[str, Any]) -> list[TaskRecord]:
    """The tasks of ``forms``, each with one accountable party and the reason for it."""
    answers = effective(answers)
    items = templates_for(forms, answers)
    if no_partner_yet(answers):
        return [_record(item, US, None, NO_PARTNER) for item in items]
    ours, theirs = chosen(answers.get("we_offer")), chosen(answers.get("partner_offers"))
    cap = our_cap(answers)
    load = {US: 0, PARTNER: 0}
    placed: dict[str, TaskRecord] = {}
    open_items: list[tuple[TaskTemplate, str | None]] = []  # (template, resource both offer)
    for item in items:
        record: TaskRecord | None = None
        both: str | None = None
        if item.side == OURS:
            record = _record(item, US, None, OURS_ONLY)
        elif item.side == THEIRS:
            record = _record(item, PARTNER, None, THEIRS_ONLY)
        elif item.side == SHARED:
            for resource in item.resources:
                we, they = resource in ours, resource in theirs
                if we and they:
                    both = resource
                    break
                if we or they:
                    owner, why = (US, WE_OFFER) if we else (PARTNER, THEY_OFFER)
                    record = _record(item, owner, resource, why)
                    break
        if record is None:
            open_items.append((item, both))
        else:
            placed[item.key] = record
            load[record.owner] += 1
    for item, both in open_items:
        room = cap is None or load[US] < cap
        if item.side == JOINT:
            owner, why = (US, LEAD_WE) if room else (PARTNER, LEAD_THEY)
        else:
            owner = US if room and load[US] <= load[PARTNER] else PARTNER
            if owner == PARTNER and not room:
                why = BOTH_OUR_TIME if both else OUR_TIME
            else:
                why = BOTH_EVEN if both else NOBODY_EVEN
        placed[item.key] = _record(item, owner, both, why)
        load[owner] += 1
    return [placed[item.key] for item in items]


def over_our_time(tasks: Sequence[TaskRecord], answers: Mapping[str, Any]) -> bool:
    """Whether our side has more tasks than the time we can give allows."""
    cap = our_cap(effective(answers))
    return cap is not None and sum(task.owner == US for task in tasks) > cap


@dataclass(frozen=True)
class Balance:
    give: tuple[str, ...]  # resources we bring
    get: tuple[str, ...]  # resources we receive
    tasks: Mapping[str, int]  # tasks per party

    @property
    def two_way(self) -> bool:
        return bool(self.give) and bool(self.get)


def balance(tasks: list[TaskRecord], give: list[str], get: list[str]) -> Balance:
    counts = {US: 0, PARTNER: 0, TOGETHER: 0}
    for task in tasks:
        counts[task.owner] += 1
    return Balance(tuple(give), tuple(get), counts)
