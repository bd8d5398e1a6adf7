"""Every point of the source guide is asked, checked or answered somewhere.

GUIDE lists the guide's points (in our words); COVERAGE names where each is handled: a question
(``q:key``), an option (``opt:question:option``), a recommendation note (``note:key``), a form
(``form:key``), a task (``task:key``) or a task owner's reason (``reason:key``). The test fails
when a point has no entry, or an entry names something the bot does not have; and the notes,
tasks and reasons named must really come out of the guide's own examples (``scenarios``).
"""

from __future__ import annotations

from functools import cache

import pytest

from flows.forms import FORMS
from flows.questionnaire import QUESTIONS, by_key, is_question
from flows.recommend import (
    MAP_THE_FIELD,
    MAP_THE_FIELD_UNNAMED,
    NOT_MET,
    OVER_OUR_TIME,
    STRATEGIC_NEEDS_TRUST,
    VALUE_CONFLICT,
    VALUES_FAR_APART,
    WE_ONLY_GIVE,
    WHERE_TO_LOOK,
    recommend,
)
from flows.tasks import (
    BOTH_EVEN,
    LEAD_WE,
    OURS_ONLY,
    SESSIONS,
    TEMPLATES,
    THEY_OFFER,
    WE_OFFER,
    split,
)
from flows.texts import has
from tests.flows import scenarios as s

GUIDE = [
    "seek partners in the same field or sharing values",
    "both parties give and get",
    "get to know the partner first; trust",
    "assess whether values are close enough",
    "clarify the goals",
    "resources and know-how each party can offer",
    "assess the resources available",
    "agree a clear division of tasks",
    "before starting: how the partnership supports our strategy",
    "before starting: what we offer — factual knowledge",
    "before starting: what we offer — everyday expertise",
    "before starting: what we offer — special skills",
    "before starting: benefit to our target group",
    "before starting: who works on the same theme in our area",
    "without a partner: map who works on the same theme",
    "without a partner: look among actors of the same field or sharing values",
    "form: event partnership (a new event, or inviting others to ours) and its benefits",
    "form: partnership in advocacy (joint campaign or statement, shared responsibility)",
    "form: exchange of information (target group, practices, less overlap) and its benefits",
    "form: network (equal standing, common needs, objectives, culture, trust) and its benefits",
    "form: corporate partnership (fundraising, member offers, products, sales share)",
    "form: strategic partnership (long-term, competence, new activities, joint funding)",
]

COVERAGE: dict[str, list[str]] = {
    GUIDE[0]: ["q:field_closeness", "q:value_closeness", f"note:{WHERE_TO_LOOK}"],
    GUIDE[1]: ["q:we_offer", "q:partner_offers", f"note:{WE_ONLY_GIVE}"],
    GUIDE[2]: ["q:acquaintance", f"note:{NOT_MET}", f"note:{STRATEGIC_NEEDS_TRUST}"],
    GUIDE[3]: [
        "q:value_closeness",
        "q:value_conflict",
        "q:value_conflict_detail",
        f"note:{VALUES_FAR_APART}",
        f"note:{VALUE_CONFLICT}",
        "task:corporate_ethics",
        "task:values_board",
    ],
    GUIDE[4]: [
        "q:aims",
        "q:success_measure",
        "task:event_goals",
        "task:strategic_goals",
        "task:network_rules",
    ],
    GUIDE[5]: ["q:we_offer", "q:partner_offers", f"reason:{WE_OFFER}", f"reason:{THEY_OFFER}"],
    GUIDE[6]: ["q:commitment", "q:money", f"note:{OVER_OUR_TIME}"],
    GUIDE[7]: [f"task:{t.key}" for tasks in TEMPLATES.values() for t in tasks]
    + [f"reason:{OURS_ONLY}", f"reason:{LEAD_WE}", f"reason:{BOTH_EVEN}"],
    GUIDE[8]: ["q:strategy_goal", "q:strategy_detail"],
    GUIDE[9]: ["opt:we_offer:knowledge"],
    GUIDE[10]: ["opt:we_offer:lived_expertise"],
    GUIDE[11]: ["opt:we_offer:special_skills"],
    GUIDE[12]: ["q:target_benefit"],
    GUIDE[13]: ["q:same_theme"],
    GUIDE[14]: [
        "opt:partner_kind:unknown",
        "q:same_theme",
        "q:we_need",
        f"note:{MAP_THE_FIELD}",
        f"note:{MAP_THE_FIELD_UNNAMED}",
        "task:find_map",
    ],
    GUIDE[15]: [f"note:{WHERE_TO_LOOK}", "task:find_shortlist", "task:find_meet"],
    GUIDE[16]: ["form:event", "opt:aims:joint_event", "task:event_invite"],
    GUIDE[17]: [
        "form:advocacy",
        "opt:aims:joint_voice",
        "opt:public_voice:statement",
        "opt:public_voice:campaign",
        "task:advocacy_position",
    ],
    GUIDE[18]: [
        "form:information",
        "opt:aims:share_information",
        "task:info_knowledge",
        "task:info_practices",
        "task:info_review",
    ],
    GUIDE[19]: [
        "form:network",
        "opt:partner_kind:several",
        "opt:network_basis:equal_say",
        "opt:network_basis:common_needs",
        "opt:network_basis:shared_objectives",
        "opt:network_basis:shared_culture",
        "opt:network_basis:mutual_trust",
    ],
    GUIDE[20]: [
        "form:corporate",
        "opt:money:sponsor",
        "opt:money:member_offers",
        "opt:money:joint_product",
        "opt:money:sales_share",
    ],
    GUIDE[21]: [
        "form:strategic",
        "opt:aims:develop_long_term",
        "opt:aims:new_activity",
        "opt:strategy_goal:competence",
        "opt:money:joint_funding",
        "opt:time_span:several_years",
    ]
    + [f"task:{t.key}" for t in SESSIONS],
}


def exists(ref: str) -> bool:
    kind, _, rest = ref.partition(":")
    if kind == "q":
        return is_question(rest) and has(f"q.{rest}.text")
    if kind == "opt":
        question, _, option = rest.partition(":")
        return is_question(question) and option in by_key(question).options
    if kind == "note":
        return has(f"note.{rest}")
    if kind == "form":
        return rest in FORMS and has(f"form.{rest}.name") and has(f"form.{rest}.benefits")
    if kind in ("task", "reason"):
        return has(f"{kind}.{rest}")
    return False


@cache
def produced() -> frozenset[str]:
    """Every note, task and reason the guide's example plans bring out."""
    found: set[str] = set()
    for scenario in s.SCENARIOS:
        plan, _ = s.play(scenario.answers)
        rec = recommend(plan.answers)
        found |= {f"note:{n}" for n in rec.notes}
        for task in split(rec.forms, plan.answers):
            found |= {f"task:{task.key}", f"reason:{task.reason}"}
    return frozenset(found)


@pytest.mark.parametrize("point", GUIDE)
def test_every_point_of_the_guide_is_covered(point: str) -> None:
    refs = COVERAGE.get(point)
    assert refs, f"nothing covers: {point}"
    missing = [ref for ref in refs if not exists(ref)]
    assert not missing, f"{point}: {missing} do not exist"


@pytest.mark.parametrize("point", GUIDE)
def test_the_bot_uses_each_point_in_the_guide_examples(point: str) -> None:
    used = [ref for ref in COVERAGE[point] if ref.startswith(("note:", "reason:"))]
    unused = [ref for ref in used if ref not in produced()]
    assert not unused, f"{point}: no example plan brings out {unused}"


def test_every_form_of_the_guide_has_its_point() -> None:
    covered = {ref for refs in COVERAGE.values() for ref in refs}
    assert {f"form:{form}" for form in FORMS} <= covered


def test_every_question_serves_some_point() -> None:
    covered = {
        ref.split(":")[1]
        for refs in COVERAGE.values()
        for ref in refs
        if ref.startswith(("q:", "opt:"))
    }
    unused = [q.key for q in QUESTIONS if q.key not in covered]
    # The partner's name only fills in the agreement.
    assert set(unused) <= {"partner_name"}, unused
