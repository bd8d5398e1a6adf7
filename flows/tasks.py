"""Who does what: task templates per form, assigned by what each side offers.

A task needing a resource goes to the party that offers it; to the one with fewer tasks so far
when both do (us on a tie: we are the ones asking); to "together, to agree" when neither does or
the task needs no particular resource. Every task has exactly one accountable party.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flows.forms import ADVOCACY, CORPORATE, EVENT, INFORMATION, NETWORK, STRATEGIC
from flows.model import PARTNER, TOGETHER, US, TaskRecord

PREPARE = "prepare"
RUN = "run"
FOLLOW_UP = "follow_up"
PHASES = (PREPARE, RUN, FOLLOW_UP)


@dataclass(frozen=True)
class TaskTemplate:
    key: str
    phase: str
    resource: str | None  # one of questionnaire.RESOURCES, or None


def _t(key: str, phase: str, resource: str | None = None) -> TaskTemplate:
    return TaskTemplate(key, phase, resource)


TEMPLATES: Mapping[str, tuple[TaskTemplate, ...]] = {
    EVENT: (
        _t("event_goals", PREPARE),
        _t("event_venue", PREPARE, "premises"),
        _t("event_programme", PREPARE, "special_skills"),
        _t("event_budget", PREPARE, "money"),
        _t("event_marketing", PREPARE, "channels"),
        _t("event_volunteers", RUN, "volunteers"),
        _t("event_equipment", RUN, "equipment"),
        _t("event_feedback", FOLLOW_UP),
    ),
    ADVOCACY: (
        _t("advocacy_position", PREPARE, "knowledge"),
        _t("advocacy_stories", PREPARE, "lived_expertise"),
        _t("advocacy_text", RUN, "special_skills"),
        _t("advocacy_channels", RUN, "channels"),
        _t("advocacy_decision_makers", RUN, "contacts"),
        _t("advocacy_follow", FOLLOW_UP),
    ),
    INFORMATION: (
        _t("info_topics", PREPARE),
        _t("info_knowledge", RUN, "knowledge"),
        _t("info_practices", RUN, "lived_expertise"),
        _t("info_meetings", RUN, "premises"),
        _t("info_review", FOLLOW_UP),
    ),
    NETWORK: (
        _t("network_needs", PREPARE),
        _t("network_rules", PREPARE),
        _t("network_coordination", RUN, "contacts"),
        _t("network_meetings", RUN, "premises"),
        _t("network_channel", RUN, "channels"),
        _t("network_evaluate", FOLLOW_UP),
    ),
    CORPORATE: (
        _t("corporate_ethics", PREPARE),
        _t("corporate_agreement", PREPARE, "special_skills"),
        _t("corporate_funding", RUN, "money"),
        _t("corporate_visibility", RUN, "channels"),
        _t("corporate_member_offer", RUN, "contacts"),
        _t("corporate_report", FOLLOW_UP),
    ),
    STRATEGIC: (
        _t("strategic_goals", PREPARE),
        _t("strategic_competence", PREPARE, "knowledge"),
        _t("strategic_activity", RUN, "special_skills"),
        _t("strategic_people", RUN, "volunteers"),
        _t("strategic_funding", RUN, "money"),
        _t("strategic_review", FOLLOW_UP),
    ),
}


@dataclass(frozen=True)
class Balance:
    give: tuple[str, ...]  # resources we bring
    get: tuple[str, ...]  # resources we receive
    tasks: Mapping[str, int]  # tasks per party

    @property
    def two_way(self) -> bool:
        return bool(self.give) and bool(self.get)


def _chosen(value: Any) -> set[str]:
    return {str(v) for v in value} if isinstance(value, list) else set()


def split(forms: tuple[str, ...], answers: Mapping[str, Any]) -> list[TaskRecord]:
    """The tasks of ``forms`` (the second form's extra tasks after the first's), assigned."""
    ours = _chosen(answers.get("we_offer"))
    theirs = _chosen(answers.get("partner_offers"))
    load = {US: 0, PARTNER: 0}
    seen: set[str] = set()
    tasks: list[TaskRecord] = []
    templates = [t for form in forms for t in TEMPLATES[form]]
    # Phase order first, so the board reads as a timeline; stable within a phase.
    for template in sorted(templates, key=lambda t: PHASES.index(t.phase)):
        if template.key in seen:
            continue
        seen.add(template.key)
        resource = template.resource
        we, they = resource in ours, resource in theirs
        if resource is None or not (we or they):
            owner = TOGETHER
        elif we and they:
            owner = US if load[US] <= load[PARTNER] else PARTNER
        else:
            owner = US if we else PARTNER
        if owner in load:
            load[owner] += 1
        tasks.append(TaskRecord(template.key, template.phase, owner, resource))
    return tasks


def balance(tasks: list[TaskRecord], give: list[str], get: list[str]) -> Balance:
    counts = {US: 0, PARTNER: 0, TOGETHER: 0}
    for task in tasks:
        counts[task.owner] += 1
    return Balance(tuple(give), tuple(get), counts)
