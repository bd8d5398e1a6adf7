"""Every point of the source guide is asked, checked or answered somewhere.

GUIDE lists the guide's points (in our words); COVERAGE names where each is handled: a question
(``q:key``), an option (``opt:question:option``), a recommendation note (``note:key``), a form
(``form:key``) or a task (``task:key``). The test fails when a point has no entry, or an entry
names something the bot does not have.
"""

from __future__ import annotations

import pytest

from flows.forms import FORMS
from flows.questionnaire import QUESTIONS, by_key, is_question
from flows.recommend import (
    CORPORATE_VALUE_CONFLICT,
    NOT_MET,
    STRATEGIC_NEEDS_TRUST,
    VALUES_FAR_APART,
    WE_ONLY_GET,
    WE_ONLY_GIVE,
)
from flows.tasks import TEMPLATES
from flows.texts import has

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
    "form: event partnership and its benefits",
    "form: partnership in advocacy and its benefits",
    "form: exchange of information and its benefits",
    "form: network (equal standing, common needs, objectives, culture, trust) and its benefits",
    "form: corporate partnership (fundraising, member offers, products, campaigns) and benefits",
    "form: strategic partnership (long-term, competence, credibility, joint funding) and benefits",
]

COVERAGE: dict[str, list[str]] = {
    GUIDE[0]: ["q:field_closeness", "q:value_closeness", "q:same_theme"],
    GUIDE[1]: ["q:we_offer", "q:partner_offers", f"note:{WE_ONLY_GIVE}", f"note:{WE_ONLY_GET}"],
    GUIDE[2]: ["q:acquaintance", f"note:{NOT_MET}", f"note:{STRATEGIC_NEEDS_TRUST}"],
    GUIDE[3]: [
        "q:value_closeness",
        "q:value_conflict",
        f"note:{VALUES_FAR_APART}",
        f"note:{CORPORATE_VALUE_CONFLICT}",
    ],
    GUIDE[4]: ["q:aims", "q:success_measure", "task:event_goals", "task:strategic_goals"],
    GUIDE[5]: ["q:we_offer", "q:we_need", "q:partner_offers"],
    GUIDE[6]: ["q:commitment", "q:money", "q:cost_split"],
    GUIDE[7]: [f"task:{t.key}" for tasks in TEMPLATES.values() for t in tasks],
    GUIDE[8]: ["q:strategy_goal", "q:strategy_detail"],
    GUIDE[9]: ["opt:we_offer:knowledge"],
    GUIDE[10]: ["opt:we_offer:lived_expertise"],
    GUIDE[11]: ["opt:we_offer:special_skills"],
    GUIDE[12]: ["q:target_benefit"],
    GUIDE[13]: ["q:same_theme"],
    GUIDE[14]: ["form:event", "opt:aims:joint_event"],
    GUIDE[15]: ["form:advocacy", "opt:aims:joint_voice", "q:public_voice"],
    GUIDE[16]: ["form:information", "opt:aims:share_information"],
    GUIDE[17]: [
        "form:network",
        "opt:partner_kind:several",
        "q:org_count",
        "opt:network_basis:common_needs",
        "opt:network_basis:shared_objectives",
        "opt:network_basis:shared_culture",
        "opt:network_basis:mutual_trust",
    ],
    GUIDE[18]: [
        "form:corporate",
        "opt:money:sponsor",
        "opt:money:member_offers",
        "opt:money:joint_product",
        "opt:visibility:partner_campaign",
    ],
    GUIDE[19]: [
        "form:strategic",
        "opt:aims:develop_long_term",
        "opt:strategy_goal:competence",
        "opt:money:joint_funding",
        "opt:time_span:several_years",
    ],
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
    if kind == "task":
        return has(f"task.{rest}")
    return False


@pytest.mark.parametrize("point", GUIDE)
def test_every_point_of_the_guide_is_covered(point: str) -> None:
    refs = COVERAGE.get(point)
    assert refs, f"nothing covers: {point}"
    missing = [ref for ref in refs if not exists(ref)]
    assert not missing, f"{point}: {missing} do not exist"


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
    # A few questions only gather details for the plan itself (names, free text).
    assert set(unused) <= {"partner_name", "value_conflict_detail"}, unused
