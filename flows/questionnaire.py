"""The planning questions, declared as data.

Three stages, as the guide orders the work: know yourselves, know the partner, agree the work.
Each option may add weights to the six forms (``flows.forms``); ``flows.recommend`` sums them.
A question's ``when`` names an earlier answer it depends on, so branches skip what does not
apply (network questions only with several organisations, money questions only where money is
involved). Texts live in the locale files under ``q.<key>`` and ``opt.<option_set>.<option>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from flows.forms import ADVOCACY, CORPORATE, EVENT, INFORMATION, NETWORK, STRATEGIC

CHOICE = "choice"
MULTI = "multi"
SCALE = "scale"
TEXT = "text"

KNOW_US = "us"
KNOW_PARTNER = "partner"
AGREE_WORK = "work"

SCALE_VALUES: tuple[str, ...] = ("1", "2", "3", "4", "5")

# What a party can bring; the same list serves "we offer", "we need" and "partner offers".
RESOURCES: tuple[str, ...] = (
    "knowledge",  # factual knowledge of a subject
    "lived_expertise",  # everyday expertise from lived experience
    "special_skills",
    "volunteers",
    "premises",
    "channels",  # communication channels, members' newsletter, social media
    "contacts",
    "money",
    "equipment",
)

Weights = Mapping[str, Mapping[str, int]]


@dataclass(frozen=True)
class When:
    """Ask a question only when an earlier answer includes (or excludes) some options."""

    question: str
    any_of: tuple[str, ...] = ()
    none_of: tuple[str, ...] = ()

    def holds(self, answers: Mapping[str, Any]) -> bool:
        value = answers.get(self.question)
        if value is None:  # unanswered or skipped: the dependent question does not apply
            return False
        chosen = {str(v) for v in value} if isinstance(value, list) else {str(value)}
        if self.any_of and not chosen & set(self.any_of):
            return False
        return not chosen & set(self.none_of)


@dataclass(frozen=True)
class Question:
    key: str
    kind: str
    stage: str
    options: tuple[str, ...] = ()
    option_set: str = ""  # locale group of the option texts; defaults to the key
    skippable: bool = False
    when: When | None = None
    max_length: int = 600
    weights: Weights = field(default_factory=lambda: MappingProxyType({}))

    @property
    def option_group(self) -> str:
        return self.option_set or self.key

    def applies(self, answers: Mapping[str, Any]) -> bool:
        return self.when is None or self.when.holds(answers)


def _w(**per_option: dict[str, int]) -> Weights:
    return MappingProxyType({k: MappingProxyType(v) for k, v in per_option.items()})


# One-letter names keep the weight tables readable as tables.
E, A, I, N, C, S = EVENT, ADVOCACY, INFORMATION, NETWORK, CORPORATE, STRATEGIC  # noqa: E741

QUESTIONS: tuple[Question, ...] = (
    # --- Stage 1: know yourselves -------------------------------------------------------------
    Question(
        "aims",
        MULTI,
        KNOW_US,
        (
            "joint_event",
            "joint_voice",
            "share_information",
            "build_network",
            "raise_funds",
            "develop_long_term",
            "new_activity",
        ),
        weights=_w(
            joint_event={E: 5},
            joint_voice={A: 5},
            share_information={I: 5},
            build_network={N: 5},
            raise_funds={C: 5},
            develop_long_term={S: 5},
            new_activity={S: 3, E: 1},
        ),
    ),
    Question(
        "strategy_goal",
        CHOICE,
        KNOW_US,
        ("more_members", "visibility", "influence", "better_services", "funding", "competence"),
        weights=_w(
            more_members={E: 2, C: 1},
            visibility={E: 2, A: 1, C: 1},
            influence={A: 3, N: 1},
            better_services={I: 2, S: 2},
            funding={C: 3, S: 1},
            competence={S: 3, I: 1},
        ),
    ),
    Question("strategy_detail", TEXT, KNOW_US, skippable=True),
    Question("target_benefit", TEXT, KNOW_US),
    Question(
        "we_offer",
        MULTI,
        KNOW_US,
        RESOURCES,
        option_set="resource",
        weights=_w(
            knowledge={I: 1, A: 1},
            lived_expertise={A: 2, I: 1},
            special_skills={S: 1, E: 1},
            volunteers={E: 2},
            premises={E: 2},
            channels={A: 1, E: 1},
            contacts={N: 2},
            equipment={E: 1},
        ),
    ),
    Question(
        "we_need",
        MULTI,
        KNOW_US,
        RESOURCES,
        option_set="resource",
        skippable=True,
        weights=_w(
            knowledge={I: 2, S: 1},
            lived_expertise={I: 1},
            special_skills={S: 2},
            volunteers={E: 1},
            premises={E: 1},
            channels={A: 1, E: 1},
            contacts={N: 1, I: 1},
            money={C: 3},
            equipment={E: 1, C: 1},
        ),
    ),
    Question("same_theme", TEXT, KNOW_US, skippable=True),
    # --- Stage 2: know the partner ------------------------------------------------------------
    Question(
        "partner_kind",
        CHOICE,
        KNOW_PARTNER,
        ("association", "several", "company", "public_body", "unknown"),
        weights=_w(
            association={E: 1, I: 1, A: 1},
            several={N: 5, A: 1},
            company={C: 5},
            public_body={I: 2, A: 1, S: 1},
            unknown={I: 1, E: 1},
        ),
    ),
    Question(
        "partner_name",
        TEXT,
        KNOW_PARTNER,
        skippable=True,
        max_length=200,
        when=When("partner_kind", none_of=("unknown",)),
    ),
    Question(
        "field_closeness",
        SCALE,
        KNOW_PARTNER,
        SCALE_VALUES,
        weights=_w(
            **{
                "1": {E: 1},
                "2": {E: 1},
                "3": {I: 1},
                "4": {I: 1, A: 1, S: 1},
                "5": {I: 2, A: 1, S: 2},
            }
        ),
    ),
    Question(
        "value_closeness",
        SCALE,
        KNOW_PARTNER,
        SCALE_VALUES,
        weights=_w(**{"3": {E: 1}, "4": {A: 1, S: 1}, "5": {A: 2, S: 2, N: 1}}),
    ),
    Question(
        "value_conflict",
        CHOICE,
        KNOW_PARTNER,
        ("none", "tobacco", "alcohol", "gambling", "other"),
    ),
    Question(
        "value_conflict_detail",
        TEXT,
        KNOW_PARTNER,
        skippable=True,
        when=When("value_conflict", none_of=("none",)),
    ),
    Question(
        "acquaintance",
        CHOICE,
        KNOW_PARTNER,
        ("not_met", "met", "worked_once", "long_history"),
        weights=_w(
            not_met={I: 2, E: 1},
            met={E: 2, I: 1},
            worked_once={E: 1, A: 1, S: 1},
            long_history={S: 3, N: 1, A: 1},
        ),
    ),
    Question(
        "partner_offers",
        MULTI,
        KNOW_PARTNER,
        RESOURCES,
        option_set="resource",
        skippable=True,
        weights=_w(
            knowledge={I: 1, S: 1},
            lived_expertise={A: 1},
            special_skills={S: 2},
            volunteers={E: 1},
            premises={E: 1},
            channels={A: 1, E: 1, C: 1},
            contacts={N: 1},
            money={C: 3},
            equipment={E: 1},
        ),
    ),
    # --- Stage 3: agree the work --------------------------------------------------------------
    Question(
        "time_span",
        CHOICE,
        AGREE_WORK,
        ("one_day", "campaign", "ongoing", "several_years"),
        weights=_w(
            one_day={E: 4},
            campaign={A: 3, C: 2, E: 1},
            ongoing={I: 3, N: 2},
            several_years={S: 4, N: 1},
        ),
    ),
    Question(
        "org_count",
        CHOICE,
        AGREE_WORK,
        ("three_to_five_equal", "many_equal", "one_leads"),
        when=When("partner_kind", any_of=("several",)),
        weights=_w(three_to_five_equal={N: 3}, many_equal={N: 4, A: 1}, one_leads={E: 1, A: 1}),
    ),
    Question(
        "network_basis",
        MULTI,
        AGREE_WORK,
        ("common_needs", "shared_objectives", "shared_culture", "mutual_trust"),
        skippable=True,
        when=When("partner_kind", any_of=("several",)),
        weights=_w(
            common_needs={N: 2},
            shared_objectives={N: 2},
            shared_culture={N: 1},
            mutual_trust={N: 1},
        ),
    ),
    Question(
        "money",
        CHOICE,
        AGREE_WORK,
        ("none", "shared_costs", "sponsor", "member_offers", "joint_product", "joint_funding"),
        weights=_w(
            none={I: 1, A: 1},
            shared_costs={E: 2},
            sponsor={C: 3, E: 1},
            member_offers={C: 3},
            joint_product={C: 4},
            joint_funding={S: 3},
        ),
    ),
    Question(
        "cost_split",
        CHOICE,
        AGREE_WORK,
        ("equal", "by_use", "we_pay_more", "partner_pays_more"),
        when=When("money", none_of=("none",)),
    ),
    Question(
        "visibility",
        CHOICE,
        AGREE_WORK,
        ("no_logos", "logos", "joint_brand", "partner_campaign"),
        skippable=True,
        when=When("money", none_of=("none",)),
        weights=_w(logos={C: 1, E: 1}, joint_brand={S: 1, C: 1}, partner_campaign={C: 2}),
    ),
    Question(
        "public_voice",
        CHOICE,
        AGREE_WORK,
        ("statement", "campaign", "not_now"),
        weights=_w(statement={A: 4}, campaign={A: 3, C: 1}),
    ),
    Question(
        "commitment",
        CHOICE,
        AGREE_WORK,
        ("few_hours", "some_days", "monthly", "substantial"),
        weights=_w(
            few_hours={I: 2},
            some_days={E: 2, A: 1},
            monthly={N: 1, A: 1, C: 1},
            substantial={S: 3},
        ),
    ),
    Question("success_measure", TEXT, AGREE_WORK),
)

_INDEX: dict[str, int] = {q.key: i for i, q in enumerate(QUESTIONS)}
FIRST = QUESTIONS[0].key
REVIEW = "review"
DONE = "done"


def by_key(key: str) -> Question:
    return QUESTIONS[_INDEX[key]]


def question_index(key: str) -> int:
    return _INDEX[key]


def is_question(key: str) -> bool:
    return key in _INDEX


def applicable(answers: Mapping[str, Any]) -> list[Question]:
    """The questions this plan asks, in order, given its answers so far."""
    return [q for q in QUESTIONS if q.applies(answers)]


def next_key(after: str, answers: Mapping[str, Any]) -> str:
    """The next question that applies after ``after``, or the review step."""
    for q in QUESTIONS[_INDEX[after] + 1 :]:
        if q.applies(answers):
            return q.key
    return REVIEW


def previous_key(before: str, answers: Mapping[str, Any]) -> str | None:
    """The question that applies before ``before`` (a question or the review), if any."""
    end = len(QUESTIONS) if before == REVIEW else _INDEX[before]
    for q in reversed(QUESTIONS[:end]):
        if q.applies(answers):
            return q.key
    return None


def first_unanswered(answers: Mapping[str, Any]) -> str:
    """The first question that applies and has no answer yet, or the review step."""
    for q in applicable(answers):
        if q.key not in answers:
            return q.key
    return REVIEW
