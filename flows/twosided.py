"""Two-sided plans: invite codes, and one result made from both halves (pure).

Our half is the inviting association's plan; the partner's half is a plan of the partner's own
chat that answers the questions of ``side=THEIRS`` (``flows.questionnaire``). The merged answers
are ours with the partner's own word where it knows better: what it offers replaces our guess,
its name and kind stand, and the closeness of fields and values is the lower of the two views.
Where the halves differ, both sides are shown the difference before anything is agreed.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from flows.model import PARTNER, US, TaskRecord
from flows.questionnaire import OURS, QUESTIONS, TEXT, applicable, by_key, effective
from flows.recommend import Recommendation, recommend
from flows.render import answer_text, result_details, result_summary
from flows.tasks import split
from flows.texts import t

# 32 letters and digits: about 190 bits (Telegram allows 64 characters in a deep link). No "-" or
# "_": a code starting with "-" reads as an option in `partnerbot chat --join CODE`, and a code
# a member copies by hand should hold no look-alike punctuation.
CODE_ALPHABET = string.ascii_letters + string.digits
CODE_LENGTH = 32
CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")
DEFAULT_INVITE_DAYS = 14
# The keys of the two options an opened invite offers.
JOIN = "join"
DECLINE = "decline"

# Where a partner kind of theirs fits our question "what kind of partner".
KIND_AS_PARTNER = {
    "association": "association",
    "company": "company",
    "public_body": "public_body",
    "other": "association",
}
NAMED_CONFLICT = ("tobacco", "alcohol", "gambling", "other")
# A result's first message on a phone: about this many characters at most.
FIRST_MESSAGE = 700
# Scales this far apart (or more) are a disagreement.
SCALE_GAP = 2


def new_code() -> str:
    """A fresh invite code: unguessable, fit for a Telegram deep link."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def code_hash(code: str) -> str:
    """What is stored of a code (the code itself never is)."""
    return hashlib.sha256(code.encode("ascii", "replace")).hexdigest()


def well_formed(code: str) -> bool:
    return CODE.fullmatch(code) is not None


def merged_answers(ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> dict[str, Any]:
    """The answers the recommendation and the split use: ours, corrected by the partner's own."""
    merged = dict(effective(ours))
    theirs = effective(theirs)
    if merged.get("partner_kind") in (None, "unknown") and theirs.get("p_kind"):
        merged["partner_kind"] = KIND_AS_PARTNER.get(str(theirs["p_kind"]), "association")
    if theirs.get("p_name"):
        merged["partner_name"] = theirs["p_name"]
    if "p_offer" in theirs:
        merged["partner_offers"] = list(theirs["p_offer"] or [])
    for key in ("field_closeness", "value_closeness"):
        values = [v for v in (merged.get(key), theirs.get(f"p_{key}")) if isinstance(v, int)]
        if values:
            merged[key] = min(values)
    if merged.get("value_conflict") in (None, "none") and theirs.get("p_value_conflict"):
        merged["value_conflict"] = theirs["p_value_conflict"]
    return merged


@dataclass(frozen=True)
class Difference:
    question: str  # the key of our question (its short text names the topic)
    ours: str
    theirs: str


def differences(ours: Mapping[str, Any], theirs: Mapping[str, Any], lang: str) -> list[Difference]:
    """Where the two halves disagree: scales 2 or more apart, another time span or money
    model, a value concern named by one side only."""
    ours, theirs = effective(ours), effective(theirs)
    found: list[Difference] = []
    for key in ("field_closeness", "value_closeness"):
        a, b = ours.get(key), theirs.get(f"p_{key}")
        if isinstance(a, int) and isinstance(b, int) and abs(a - b) >= SCALE_GAP:
            found.append(Difference(key, str(a), str(b)))
    for key in ("time_span", "money"):
        a, b = ours.get(key), theirs.get(f"p_{key}")
        if a is not None and b is not None and a != b:
            question = by_key(key)
            found.append(
                Difference(key, answer_text(question, a, lang), answer_text(question, b, lang))
            )
    a, b = ours.get("value_conflict"), theirs.get("p_value_conflict")
    if (a in NAMED_CONFLICT) != (b in NAMED_CONFLICT) or (
        a in NAMED_CONFLICT and b in NAMED_CONFLICT and a != b
    ):
        question = by_key("value_conflict")
        none = t("two.no_concern", lang)
        found.append(
            Difference(
                "value_conflict",
                answer_text(question, a, lang) if a in NAMED_CONFLICT else none,
                answer_text(question, b, lang) if b in NAMED_CONFLICT else none,
            )
        )
    return found


# Meta flag of the inviting plan: a member chose to share its members' own words.
SHARE_TEXTS = "share_texts"


def shared_texts(ours_meta: Mapping[str, Any]) -> tuple[str, ...]:
    """The free-text questions of ours the partner may read: all once a member of ours chose
    to share them (/invite share), else none."""
    if not ours_meta.get(SHARE_TEXTS):
        return ()
    return tuple(q.key for q in QUESTIONS if q.kind == TEXT and q.side == OURS)


def shared_view(answers: Mapping[str, Any], shared: Sequence[str] = ()) -> dict[str, Any]:
    """What the other side may see of one half: its choices, not its free text (unless a
    member of that side marked the answer to share)."""
    return {
        q.key: answers[q.key]
        for q in applicable(answers)
        if q.key in answers and (q.kind != TEXT or q.key in shared)
    }


_FLIP = {US: PARTNER, PARTNER: US}


def for_viewer(tasks: Sequence[TaskRecord], viewer_is_host: bool) -> list[TaskRecord]:
    """The tasks as the viewer's side reads them ("us" is the viewer), its own first."""
    if not viewer_is_host:
        # The reasons are worded from the inviting side: the partner sees the owner only.
        tasks = [
            replace(task, owner=_FLIP.get(task.owner, task.owner), reason=None) for task in tasks
        ]
    return sorted(tasks, key=lambda task: task.owner != US)


def from_viewer(seen: Sequence[TaskRecord], stored: Sequence[TaskRecord]) -> list[TaskRecord]:
    """``seen`` (a viewer's tasks) back as stored: the stored order, the owners as the
    inviting side names them; only progress (claims, ticks, due days) comes from ``seen``."""
    by_key = {task.key: task for task in seen}
    return [_with_progress(task, by_key.get(task.key, task)) for task in stored]


def _with_progress(task: TaskRecord, source: TaskRecord) -> TaskRecord:
    """``task`` with the claim, tick and due day of ``source``."""
    return replace(
        task,
        claimed_by=source.claimed_by,
        claimed_by_id=source.claimed_by_id,
        done_by=source.done_by,
        done_at=source.done_at,
        due_on=source.due_on,
    )


def keep_progress(fresh: Sequence[TaskRecord], old: Sequence[TaskRecord]) -> list[TaskRecord]:
    """The merged split, with the claims, ticks and due days of tasks that were already on
    the board."""
    before = {task.key: task for task in old}
    return [
        _with_progress(task, before[task.key]) if task.key in before else task for task in fresh
    ]


@dataclass(frozen=True)
class Merged:
    answers: dict[str, Any]
    recommendation: Recommendation
    tasks: list[TaskRecord]


def merge(ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> Merged:
    answers = merged_answers(ours, theirs)
    rec = recommend(answers)
    return Merged(answers, rec, split(rec.forms, answers))


def merged_text(
    ours: Mapping[str, Any],
    theirs: Mapping[str, Any],
    *,
    viewer_is_host: bool,
    host: str,
    partner: str,
    lang: str,
    shared: Sequence[str] = (),
) -> tuple[str, str]:
    """(first message, details) of the merged result, as the viewer's side sees it.

    The partner's side is shown our half's choices only (``shared_view``): no text a member
    of ours typed reaches it.
    """
    merged = merge(ours, theirs)
    shown = merged.answers
    if not viewer_is_host:
        # The partner reads it as its own: it gives what it offers and gets what we offer.
        shown = shared_view(merged.answers, shared)
        shown["we_offer"] = list(merged.answers.get("partner_offers") or [])
        shown["partner_offers"] = list(merged.answers.get("we_offer") or [])
    # The differences first: they are what both sides must see before anything is agreed.
    lines = [t("two.result_title", lang, us=host, partner=partner)]
    found = differences(ours, theirs, lang)
    if found:
        lines += ["", t("two.differ_title", lang)]
        for d in found:
            mine, other = (d.ours, d.theirs) if viewer_is_host else (d.theirs, d.ours)
            what = t(f"q.{d.question}.short", lang)
            lines.append("• " + t("two.differ_line", lang, what=what, ours=mine, theirs=other))
        lines.append(t("two.differ_talk", lang))
    rec = merged.recommendation
    summary = result_summary(shown, rec, lang)
    if len("\n".join([*lines, "", summary])) > FIRST_MESSAGE and rec.notes:
        # A phone's first message stays short: the warnings are counted, and in the details.
        summary = result_summary(shown, replace(rec, notes=()), lang)
        summary += "\n\n" + t("result.notes_count", lang, count=len(rec.notes))
    lines += ["", summary]
    tasks = for_viewer(merged.tasks, viewer_is_host)
    return "\n".join(lines), result_details(shown, merged.recommendation, tasks, lang)


def preview_text(host: str, ours: Mapping[str, Any], lang: str) -> str:
    """What whoever opens an invite sees before choosing: who invites, for what, and what
    will be shared."""
    aims = ours.get("aims")
    what = answer_text(by_key("aims"), aims, lang) if aims else t("two.aims_unknown", lang)
    return t("two.preview", lang, host=host, aims=what)


def partner_organisation(theirs: Mapping[str, Any]) -> str | None:
    """The partner's own name for itself, from its half's answers (None when not given).

    The seam for the agreement export: ``PlanningService.partner_organisation`` gives it for a
    chat's plan, and ``PlanningService.agreement`` names the partner party with it.
    """
    name = str(theirs.get("p_name") or "").strip()
    return name or None
