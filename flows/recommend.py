"""Which partnership form fits: sum the declared weights, apply the guide's gates, explain.

Deterministic: the same answers always give the same result. Ties go to the lighter commitment
(the order of ``flows.forms.FORMS``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flows.forms import CORPORATE, FORMS, NETWORK, STRATEGIC
from flows.questionnaire import applicable

# A second form at least this share of the top score is offered as a combination.
COMBINATION_SHARE = 0.75
# How many answers are named as the reasons for the result.
REASONS = 3

# Notes (keys under ``note.`` in the locale files).
STRATEGIC_NEEDS_TRUST = "strategic_needs_trust"
NETWORK_NEEDS_SEVERAL = "network_needs_several"
CORPORATE_VALUE_CONFLICT = "corporate_value_conflict"
VALUES_FAR_APART = "values_far_apart"
NOT_MET = "not_met"
WE_ONLY_GIVE = "we_only_give"
WE_ONLY_GET = "we_only_get"


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

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.form, self.combined_with) if self.combined_with else (self.form,)


def _chosen(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def contributions(answers: Mapping[str, Any]) -> list[tuple[str, str, str, int]]:
    """Every (question, option, form, points) the answers add, in questionnaire order."""
    found: list[tuple[str, str, str, int]] = []
    for question in applicable(answers):
        for option in _chosen(answers.get(question.key)):
            for form, points in question.weights.get(option, {}).items():
                found.append((question.key, option, form, points))
    return found


def _gates(answers: Mapping[str, Any]) -> dict[str, str]:
    """Forms ruled out by the guide's advice, each with the note that explains why."""
    excluded: dict[str, str] = {}
    short = answers.get("time_span") in ("one_day", "campaign")
    new = answers.get("acquaintance") in ("not_met", "met")
    if short and new:
        excluded[STRATEGIC] = STRATEGIC_NEEDS_TRUST
    if answers.get("partner_kind") != "several":
        # A network is made of several actors of equal standing; with one partner it is not one.
        excluded[NETWORK] = NETWORK_NEEDS_SEVERAL
    return excluded


def give_and_get(answers: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """What we give (our offer) and what we get (what the partner offers of what we need)."""
    give = _chosen(answers.get("we_offer"))
    partner = _chosen(answers.get("partner_offers"))
    need = _chosen(answers.get("we_need"))
    get = [r for r in partner if r in need] if need else partner
    return give, get


def warnings(answers: Mapping[str, Any], forms: tuple[str, ...]) -> list[str]:
    notes: list[str] = []
    if CORPORATE in forms and answers.get("value_conflict") not in (None, "none"):
        notes.append(CORPORATE_VALUE_CONFLICT)
    closeness = answers.get("value_closeness")
    if isinstance(closeness, int) and closeness <= 2:
        notes.append(VALUES_FAR_APART)
    if answers.get("acquaintance") == "not_met":
        notes.append(NOT_MET)
    give, get = give_and_get(answers)
    if give and not get:
        notes.append(WE_ONLY_GIVE)
    elif get and not give:
        notes.append(WE_ONLY_GET)
    return notes


def recommend(answers: Mapping[str, Any]) -> Recommendation:
    scores = dict.fromkeys(FORMS, 0)
    found = contributions(answers)
    for _question, _option, form, points in found:
        scores[form] += points
    excluded = _gates(answers)
    candidates = [f for f in FORMS if f not in excluded]
    # Highest score first; for equal scores the order of FORMS (lighter first) is kept.
    ranked = sorted(candidates, key=lambda f: -scores[f])
    top = ranked[0]
    second = ranked[1] if len(ranked) > 1 else None
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
    # A gate is only worth mentioning when it changed the outcome.
    notes = [
        note
        for form, note in excluded.items()
        if scores[form] > 0 and scores[form] >= COMBINATION_SHARE * scores[top]
    ]
    return Recommendation(
        form=top,
        combined_with=combined,
        scores=scores,
        reasons=tuple(reasons),
        excluded=tuple(f for f in FORMS if f in excluded),
        notes=tuple(notes + warnings(answers, forms)),
    )
