"""The planning questions, declared as data.

Four parts, as the guide orders the work: your association, the partner, the plan, time and
money. Each option may add weights to the six forms (``flows.forms``); ``flows.recommend`` sums
them. A question's ``when`` names earlier answers it depends on, so a plan skips what earlier
answers already imply: an unknown partner is not rated, the value conflict is asked about a
company or a partner whose values are not close, network questions only come with several
organisations. Texts live in the locale files under ``q.<key>`` and
``opt.<option_set>.<option>``; a part's name under ``part.<key>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

from flows.forms import ADVOCACY, CORPORATE, EVENT, INFORMATION, NETWORK, STRATEGIC

CHOICE = "choice"
MULTI = "multi"
SCALE = "scale"
TEXT = "text"

# The parts of the questionnaire, in order; progress is shown as "Part 2 of 4 — the partner".
OUR_SIDE = "us"
PARTNER_SIDE = "partner"
THE_PLAN = "plan"
TIME_AND_MONEY = "means"
PARTS: tuple[str, ...] = (OUR_SIDE, PARTNER_SIDE, THE_PLAN, TIME_AND_MONEY)

SCALE_VALUES: tuple[str, ...] = ("1", "2", "3", "4", "5")

# A two-sided plan has two halves (DESIGN "Two-sided plans"). The partner's half is a plan of
# the partner's own chat whose answers carry SIDE = THEIRS: only the questions of that side
# apply to it, asked from the partner's point of view. Our half has no SIDE key at all.
SIDE = "_side"
OURS = "ours"
THEIRS = "theirs"

# What a party can bring; the same list serves "we offer", "we look for" and "partner offers".
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

# Option lists that both halves of a plan ask (ours, and the partner's own "p_" questions).
VALUE_CONFLICTS: tuple[str, ...] = ("none", "tobacco", "alcohol", "gambling", "other")
TIME_SPANS: tuple[str, ...] = ("one_day", "campaign", "about_year", "ongoing", "several_years")
MONEY_OPTIONS: tuple[str, ...] = (
    "none",
    "shared_costs",
    "sponsor",
    "member_offers",
    "joint_product",
    "sales_share",
    "joint_funding",
)
COMMITMENTS: tuple[str, ...] = ("few_hours", "some_days", "monthly", "substantial")

Weights = Mapping[str, Mapping[str, int]]


def chosen(value: Any) -> set[str]:
    """The option keys an answer holds (one for a choice or scale, several for a multi)."""
    if value is None:
        return set()
    return {str(v) for v in value} if isinstance(value, list) else {str(value)}


class Condition(Protocol):
    def holds(self, answers: Mapping[str, Any]) -> bool: ...


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
        picked = chosen(value)
        if self.any_of and picked.isdisjoint(self.any_of):
            return False
        return picked.isdisjoint(self.none_of)


@dataclass(frozen=True)
class Either:
    """Ask a question when any one of several conditions holds."""

    conditions: tuple[When, ...]

    def holds(self, answers: Mapping[str, Any]) -> bool:
        return any(c.holds(answers) for c in self.conditions)


@dataclass(frozen=True)
class Question:
    key: str
    kind: str
    part: str
    options: tuple[str, ...] = ()
    option_set: str = ""  # locale group of the option texts; defaults to the key
    skippable: bool = False
    when: Condition | None = None
    max_length: int = 600
    weights: Weights = field(default_factory=lambda: MappingProxyType({}))
    # Which half of a plan asks it: ours (the inviting association) or the partner's own.
    side: str = OURS

    @property
    def option_group(self) -> str:
        return self.option_set or self.key

    def applies(self, answers: Mapping[str, Any], side: str | None = None) -> bool:
        """Whether the plan asks this question; ``side``: the plan's side, when the caller
        has looked it up already."""
        if (side or answers.get(SIDE, OURS)) != self.side:
            return False
        return self.when is None or self.when.holds(answers)


def _w(**per_option: dict[str, int]) -> Weights:
    return MappingProxyType({k: MappingProxyType(v) for k, v in per_option.items()})


# One-letter names keep the weight tables readable as tables.
E, A, I, N, C, S = EVENT, ADVOCACY, INFORMATION, NETWORK, CORPORATE, STRATEGIC  # noqa: E741

# The partner is not known yet: nothing about it can be rated.
KNOWN_PARTNER = When("partner_kind", none_of=("unknown",))
NO_PARTNER_YET = When("partner_kind", any_of=("unknown",))

QUESTIONS: tuple[Question, ...] = (
    # --- Part 1: your association -------------------------------------------------------------
    Question(
        "aims",
        MULTI,
        OUR_SIDE,
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
            build_network={N: 5, I: 2},  # a network's gain is open information (guide)
            raise_funds={C: 5},
            develop_long_term={S: 5},
            new_activity={E: 5, S: 3},  # a regular activity is a series of joint events
        ),
    ),
    Question(
        "strategy_goal",
        CHOICE,
        OUR_SIDE,
        (
            "more_members",
            "visibility",
            "influence",
            "better_services",
            "funding",
            "competence",
            "other",
        ),
        weights=_w(
            more_members={E: 2, C: 1},
            visibility={E: 2, A: 1, C: 1},
            influence={A: 3, N: 1},
            better_services={I: 2, S: 2},
            funding={C: 3, S: 1},
            competence={S: 3, I: 1},
        ),
    ),
    # Only when none of the listed goals fits: the member names it.
    Question(
        "strategy_detail",
        TEXT,
        OUR_SIDE,
        skippable=True,
        when=When("strategy_goal", any_of=("other",)),
    ),
    Question("target_benefit", TEXT, OUR_SIDE),
    Question(
        "we_offer",
        MULTI,
        OUR_SIDE,
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
    # --- Part 2: the partner ------------------------------------------------------------------
    Question(
        "partner_kind",
        CHOICE,
        PARTNER_SIDE,
        ("association", "several", "company", "public_body", "unknown"),
        weights=_w(
            association={E: 1, I: 1, A: 1},
            several={N: 5, A: 1},
            company={C: 5},
            public_body={I: 2, A: 1, S: 1},
            unknown={I: 1, E: 1},
        ),
    ),
    # Without a partner, the guide's advice is to map who works on the same theme nearby.
    Question("same_theme", TEXT, PARTNER_SIDE, skippable=True, when=NO_PARTNER_YET),
    Question(
        "we_need",
        MULTI,
        PARTNER_SIDE,
        RESOURCES,
        option_set="resource",
        skippable=True,
        when=NO_PARTNER_YET,
        weights=_w(
            knowledge={I: 2},
            lived_expertise={I: 1},
            special_skills={S: 1},
            volunteers={E: 1},
            premises={E: 1},
            channels={A: 1, E: 1},
            contacts={N: 1, I: 1},
            money={C: 3},
            equipment={E: 1},
        ),
    ),
    Question(
        "partner_name", TEXT, PARTNER_SIDE, skippable=True, max_length=200, when=KNOWN_PARTNER
    ),
    Question(
        "field_closeness",
        SCALE,
        PARTNER_SIDE,
        SCALE_VALUES,
        when=KNOWN_PARTNER,
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
        PARTNER_SIDE,
        SCALE_VALUES,
        when=KNOWN_PARTNER,
        weights=_w(**{"3": {E: 1}, "4": {A: 1, S: 1}, "5": {A: 2, S: 2, N: 1}}),
    ),
    # Asked of a company, or of any partner whose values are not close to ours.
    Question(
        "value_conflict",
        CHOICE,
        PARTNER_SIDE,
        VALUE_CONFLICTS,
        when=Either(
            (
                When("partner_kind", any_of=("company",)),
                When("value_closeness", any_of=("1", "2", "3")),
            )
        ),
    ),
    Question(
        "value_conflict_detail",
        TEXT,
        PARTNER_SIDE,
        skippable=True,
        max_length=200,
        when=When("value_conflict", none_of=("none",)),
    ),
    Question(
        "acquaintance",
        CHOICE,
        PARTNER_SIDE,
        ("not_met", "met", "worked_once", "long_history"),
        when=KNOWN_PARTNER,
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
        PARTNER_SIDE,
        RESOURCES,
        option_set="resource",
        skippable=True,
        when=KNOWN_PARTNER,
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
    # --- Part 3: the plan ---------------------------------------------------------------------
    Question(
        "time_span",
        CHOICE,
        THE_PLAN,
        TIME_SPANS,
        weights=_w(
            one_day={E: 4},
            campaign={A: 3, C: 2, E: 1},  # "a few weeks"; the key is kept for stored plans
            about_year={E: 2, I: 1, S: 1},
            ongoing={I: 2, N: 2, E: 1},  # also a regular activity with no end date
            several_years={S: 4, N: 1},
        ),
    ),
    Question(
        "network_basis",
        MULTI,
        THE_PLAN,
        ("equal_say", "common_needs", "shared_objectives", "shared_culture", "mutual_trust"),
        skippable=True,
        when=When("partner_kind", any_of=("several",)),
        weights=_w(
            equal_say={N: 2},
            common_needs={N: 2},
            shared_objectives={N: 2},
            shared_culture={N: 1},
            mutual_trust={N: 1},
        ),
    ),
    Question(
        "public_voice",
        CHOICE,
        THE_PLAN,
        ("statement", "campaign", "not_now"),
        when=When("aims", any_of=("joint_voice",)),
        weights=_w(statement={A: 2}, campaign={A: 2}),
    ),
    Question("success_measure", TEXT, THE_PLAN),
    # --- Part 4: time and money, asked apart --------------------------------------------------
    Question(
        "money",
        CHOICE,
        TIME_AND_MONEY,
        MONEY_OPTIONS,
        weights=_w(
            none={I: 1, A: 1},
            shared_costs={E: 2},
            sponsor={C: 3, E: 1},
            member_offers={C: 4},
            joint_product={C: 4},
            sales_share={C: 4},
            joint_funding={S: 3},
        ),
    ),
    Question(
        "commitment",
        CHOICE,
        TIME_AND_MONEY,
        COMMITMENTS,
        weights=_w(
            few_hours={I: 2},
            some_days={E: 2, A: 1},
            monthly={N: 1, A: 1, C: 1, E: 1},
            substantial={S: 3},
        ),
    ),
    # --- The partner's half: the same four parts, from the partner's point of view --------------
    Question("p_name", TEXT, OUR_SIDE, max_length=200, side=THEIRS),
    Question(
        "p_kind",
        CHOICE,
        OUR_SIDE,
        ("association", "company", "public_body", "other"),
        option_set="p_kind",
        side=THEIRS,
    ),
    Question("p_offer", MULTI, OUR_SIDE, RESOURCES, option_set="resource", side=THEIRS),
    Question(
        "p_need", MULTI, OUR_SIDE, RESOURCES, option_set="resource", skippable=True, side=THEIRS
    ),
    Question(
        "p_field_closeness",
        SCALE,
        PARTNER_SIDE,
        SCALE_VALUES,
        option_set="field_closeness",
        side=THEIRS,
    ),
    Question(
        "p_value_closeness",
        SCALE,
        PARTNER_SIDE,
        SCALE_VALUES,
        option_set="value_closeness",
        side=THEIRS,
    ),
    Question(
        "p_value_conflict",
        CHOICE,
        PARTNER_SIDE,
        VALUE_CONFLICTS,
        option_set="value_conflict",
        side=THEIRS,
    ),
    Question(
        "p_time_span",
        CHOICE,
        THE_PLAN,
        TIME_SPANS,
        option_set="time_span",
        side=THEIRS,
    ),
    Question(
        "p_money",
        CHOICE,
        TIME_AND_MONEY,
        MONEY_OPTIONS,
        option_set="money",
        side=THEIRS,
    ),
    Question(
        "p_commitment",
        CHOICE,
        TIME_AND_MONEY,
        COMMITMENTS,
        option_set="commitment",
        side=THEIRS,
    ),
    Question("p_contact", TEXT, TIME_AND_MONEY, max_length=200, side=THEIRS),
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


def _deciding() -> tuple[str, ...] | None:
    """The questions whose answers decide which questions apply (None: a condition of
    another kind than ``When``/``Either``, whose inputs are unknown)."""
    keys: set[str] = set()
    for q in QUESTIONS:
        conditions = q.when.conditions if isinstance(q.when, Either) else (q.when,)
        for condition in conditions:
            if isinstance(condition, When):
                keys.add(condition.question)
            elif condition is not None:
                return None
    return tuple(sorted(keys))


_DECIDING = _deciding()
# Which questions apply, per what decides it: a plan's side, and of each deciding question
# whether it is answered and with which options (all that ``When.holds`` looks at). Every
# event asks this once or twice; the answers of one walk give a few dozen keys.
_APPLICABLE: dict[tuple[Any, ...], tuple[Question, ...]] = {}
_APPLICABLE_SIZE = 4096


def applicable(answers: Mapping[str, Any]) -> list[Question]:
    """The questions this plan asks, in order, given its answers so far."""
    side = answers.get(SIDE, OURS)  # looked up once, not once per question
    if _DECIDING is None or not isinstance(side, str):
        return [q for q in QUESTIONS if q.applies(answers, side)]
    key = (side, *(_decides(answers.get(k)) for k in _DECIDING))
    found = _APPLICABLE.get(key)
    if found is None:
        found = tuple(q for q in QUESTIONS if q.applies(answers, side))
        if len(_APPLICABLE) >= _APPLICABLE_SIZE:
            _APPLICABLE.clear()
        _APPLICABLE[key] = found
    return list(found)


def _decides(value: Any) -> frozenset[str] | None:
    return None if value is None else frozenset(chosen(value))


def next_key(after: str, answers: Mapping[str, Any]) -> str:
    """The next question that applies after ``after``, or the review step."""
    index = _INDEX[after]
    for q in applicable(answers):
        if _INDEX[q.key] > index:
            return q.key
    return REVIEW


def previous_key(before: str, answers: Mapping[str, Any]) -> str | None:
    """The question that applies before ``before`` (a question or the review), if any."""
    end = len(QUESTIONS) if before == REVIEW else _INDEX[before]
    for q in reversed(QUESTIONS[:end]):
        if q.applies(answers):
            return q.key
    return None


def partner_half_answers() -> dict[str, Any]:
    """The answers a partner's half starts with: only its marker."""
    return {SIDE: THEIRS}


def side_of(answers: Mapping[str, Any]) -> str:
    return str(answers.get(SIDE, OURS))


def first_unanswered(answers: Mapping[str, Any]) -> str:
    """The first question that applies and has no answer yet, or the review step."""
    for q in applicable(answers):
        if q.key not in answers:
            return q.key
    return REVIEW


def effective(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers that count: those of questions the plan asks now.

    An answer to a question that stopped applying (the member changed an earlier answer) is
    kept in storage but no longer weighs on the recommendation or the split.
    """
    return {q.key: answers[q.key] for q in applicable(answers) if q.key in answers}


def part_of(key: str) -> tuple[int, str]:
    """(number of the part, counting from 1; part key) of question ``key``."""
    part = by_key(key).part
    return PARTS.index(part) + 1, part
