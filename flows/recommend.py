"""Which partnership form fits: sum the declared weights, apply the guide's gates, explain.

Deterministic: the same answers always give the same result. Ties go to the lighter commitment
(the order of ``flows.forms.FORMS``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flows.forms import EVENT, FORMS, INFORMATION, NETWORK, STRATEGIC
from flows.questionnaire import applicable, chosen, effective
from flows.tasks import no_partner_yet, over_our_time, split

# A second form at least this share of the top score is offered as a combination.
COMBINATION_SHARE = 0.75
# How many answers are named as the reasons for the result.
REASONS = 3
# Partners who have not worked together start with a step that builds trust.
TRUST_BUILDING = (INFORMATION, EVENT)
# How well the partners must know each other for a strategic partnership.
WORKED_TOGETHER = ("worked_once", "long_history")

# Notes (keys under ``note.`` in the locale files), most important first.
MAP_THE_FIELD = "map_the_field"
MAP_THE_FIELD_UNNAMED = "map_the_field_unnamed"
WHERE_TO_LOOK = "where_to_look"
STRATEGIC_NEEDS_TRUST = "strategic_needs_trust"
NETWORK_NEEDS_SEVERAL = "network_needs_several"
VALUE_CONFLICT = "value_conflict"
VALUES_FAR_APART = "values_far_apart"
NOT_MET = "not_met"
WE_ONLY_GIVE = "we_only_give"
OVER_OUR_TIME = "over_our_time"
NOTES = (
    MAP_THE_FIELD,
    MAP_THE_FIELD_UNNAMED,
    WHERE_TO_LOOK,
    STRATEGIC_NEEDS_TRUST,
    NETWORK_NEEDS_SEVERAL,
    VALUE_CONFLICT,
    VALUES_FAR_APART,
    NOT_MET,
    WE_ONLY_GIVE,
    OVER_OUR_TIME,
)


@dataclass(frozen=True)
class Contribution:
    question: str
    option: str
    points: int


@dataclass(frozen=True)
class Recommendation:
    form: str
    combined_with: str | None
    scores: Mapping[str, int]
    reasons: tuple[Contribution, ...]
    excluded: tuple[str, ...]  # forms the gates ruled out
    notes: tuple[str, ...]  # note keys, most important first
    no_partner: bool = False  # the form is for when a partner is found

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.form, self.combined_with) if self.combined_with else (self.form,)


def contributions(answers: Mapping[str, Any]) -> list[tuple[str, str, str, int]]:
    """Every (question, option, form, points) the answers add, in questionnaire order."""
    found: list[tuple[str, str, str, int]] = []
    for question in applicable(answers):
        value = answers.get(question.key)
        picked = [str(v) for v in value] if isinstance(value, list) else sorted(chosen(value))
        for option in picked:
            for form, points in question.weights.get(option, {}).items():
                found.append((question.key, option, form, points))
    return found


def _gates(answers: Mapping[str, Any]) -> dict[str, str]:
    """Forms ruled out by the guide's advice, each with the note that explains why."""
    excluded: dict[str, str] = {}
    if answers.get("acquaintance") not in WORKED_TOGETHER:
        # A strategic partnership grows out of knowing each other and having worked together,
        # whatever the time span.
        excluded[STRATEGIC] = STRATEGIC_NEEDS_TRUST
    if answers.get("partner_kind") != "several":
        # A network is made of several actors of equal standing; with one partner it is not one.
        excluded[NETWORK] = NETWORK_NEEDS_SEVERAL
    return excluded


def give_and_get(answers: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """What we give (our offer) and what we get (what the partner offers)."""
    answers = effective(answers)
    give = [str(r) for r in answers.get("we_offer") or []]
    get = [str(r) for r in answers.get("partner_offers") or []]
    return give, get


def warnings(answers: Mapping[str, Any]) -> list[str]:
    """The guide's cautions that hold whatever the form."""
    answers = effective(answers)
    notes: list[str] = []
    if no_partner_yet(answers):
        named = bool(str(answers.get("same_theme") or "").strip())
        return [MAP_THE_FIELD if named else MAP_THE_FIELD_UNNAMED, WHERE_TO_LOOK]
    if answers.get("value_conflict") not in (None, "none"):
        notes.append(VALUE_CONFLICT)
    closeness = answers.get("value_closeness")
    if isinstance(closeness, int) and closeness <= 2:
        notes.append(VALUES_FAR_APART)
    if answers.get("acquaintance") == "not_met":
        notes.append(NOT_MET)
    give, get = give_and_get(answers)
    if give and not get:  # what we offer is always asked; what the partner offers may be skipped
        notes.append(WE_ONLY_GIVE)
    return notes


def recommend(answers: Mapping[str, Any]) -> Recommendation:
    answers = effective(answers)
    scores = dict.fromkeys(FORMS, 0)
    found = contributions(answers)
    for _question, _option, form, points in found:
        scores[form] += points
    excluded = _gates(answers)
    # Highest score first; for equal scores the order of FORMS (lighter first) is kept.
    ranked_all = sorted(FORMS, key=lambda f: -scores[f])
    candidates = [f for f in ranked_all if f not in excluded]
    if ranked_all[0] == STRATEGIC and STRATEGIC in excluded:
        # Strategic fits best but trust is missing: the first step is one that builds it.
        top = next(f for f in candidates if f in TRUST_BUILDING)
    else:
        top = candidates[0]
    rest = [f for f in candidates if f != top]
    second = rest[0] if rest else None
    combined = (
        second
        if second and scores[second] > 0 and scores[second] >= COMBINATION_SHARE * scores[top]
        else None
    )
    forms = (top, combined) if combined else (top,)
    reasons = sorted(
        (Contribution(q, o, p) for q, o, f, p in found if f == top and p > 0),
        key=lambda c: -c.points,
    )[:REASONS]
    no_partner = no_partner_yet(answers)
    notes = warnings(answers)
    # A gate is worth mentioning when it changed the outcome (and a partner is in view).
    if not no_partner:
        gated = [
            note
            for form, note in excluded.items()
            if scores[form] > 0 and scores[form] >= COMBINATION_SHARE * scores[top]
        ]
        notes = gated + notes
        if over_our_time(split(forms, answers), answers):
            notes.append(OVER_OUR_TIME)
    return Recommendation(
        form=top,
        combined_with=combined,
        scores=scores,
        reasons=tuple(reasons),
        excluded=tuple(f for f in FORMS if f in excluded),
        notes=tuple(notes),
        no_partner=no_partner,
    )
