"""A finished plan as a one-page agreement draft: data first, then Markdown.

The data (``agreement``) is plain JSON-able dicts and lists, so every format — Markdown,
JSON, PDF — is rendered from the same facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from flows.model import ChecklistRecord, Plan, TaskRecord
from flows.questionnaire import by_key, is_question
from flows.recommend import give_and_get, recommend
from flows.render import answer_text, note_text, owner_text, reason_text
from flows.tasks import PHASES, split
from flows.texts import DEFAULT_LANGUAGE, format_day, join, t
from flows.workboard import item_label

# A first review a few months in, as the guide's "follow up" suggests checking what worked.
REVIEW_AFTER = timedelta(days=90)


def _answer(plan: Plan, key: str) -> str | None:
    if not is_question(key) or plan.answers.get(key) is None:
        return None
    return answer_text(by_key(key), plan.answers[key], plan.language)


def agreement(
    plan: Plan,
    association: str,
    tasks: Sequence[TaskRecord],
    items: Sequence[ChecklistRecord],
    today: date,
) -> dict[str, Any]:
    lang = plan.language
    rec = recommend(plan.answers)
    give, get = give_and_get(plan.answers)
    answered_by = plan.meta.get("answered_by", {})
    # Reasons are not stored with the tasks: the same answers give the same split again.
    reasons = {task.key: task for task in split(rec.forms, plan.answers)}
    return {
        "title": t("export.title", lang),
        "association": association,
        "partner": plan.answers.get("partner_name") or t("export.partner_unnamed", lang),
        "plan_id": plan.id,
        "language": lang,  # the language of the texts; the keys are the same in every one
        "form": {"key": rec.form, "name": t(f"form.{rec.form}.name", lang)},
        "combined_with": (
            {"key": rec.combined_with, "name": t(f"form.{rec.combined_with}.name", lang)}
            if rec.combined_with
            else None
        ),
        "why": [
            f"{t(f'q.{r.question}.short', lang)}: {answer_text(by_key(r.question), _one(r.question, r.option), lang)}"  # noqa: E501
            for r in rec.reasons
        ],
        "goals": {
            "aims": _answer(plan, "aims"),
            "strategy": _answer(plan, "strategy_goal"),
            "target_group": _answer(plan, "target_benefit"),
            "success": _answer(plan, "success_measure"),
        },
        "we_give": [t(f"opt.resource.{r}", lang) for r in give],
        "we_get": [t(f"opt.resource.{r}", lang) for r in get],
        "tasks": [
            {
                "key": task.key,
                "task": t(f"task.{task.key}", lang),
                "phase": t(f"phase.{task.phase}", lang),
                "owner": task.owner,
                "owner_name": owner_text(task, lang),
                "reason": reason_text(reasons[task.key], lang) if task.key in reasons else "",
                "claimed_by": task.claimed_by,
                "done": task.done_by is not None,
            }
            for phase in PHASES
            for task in tasks
            if task.phase == phase
        ],
        "money": _answer(plan, "money"),
        "commitment": _answer(plan, "commitment"),
        # No question settles visibility: the agreement leaves it for the parties to fill in.
        "visibility": None,
        "time_span": _answer(plan, "time_span"),
        "contacts": sorted(
            set(answered_by.values()) | {task.claimed_by for task in tasks if task.claimed_by}
        ),
        "review_date": (today + REVIEW_AFTER).isoformat(),
        "checklist": [{"item": item_label(item, lang), "done": item.done} for item in items],
        "notes": [note_text(n, plan.answers, lang) for n in rec.notes],
    }


def _one(question: str, option: str) -> Any:
    kind = by_key(question).kind
    return int(option) if kind == "scale" else [option] if kind == "multi" else option


def review_day(doc: dict[str, Any], lang: str) -> str:
    """The review date as people write it in ``lang`` (the data keeps it in ISO 8601)."""
    return format_day(date.fromisoformat(doc["review_date"]), lang)


def markdown(doc: dict[str, Any], lang: str | None = None) -> str:
    """The agreement draft as Markdown (also readable as a plain Telegram message), in the
    plan's language unless ``lang`` says otherwise."""
    lang = lang or doc.get("language") or DEFAULT_LANGUAGE
    none = t("export.none", lang)
    form = doc["form"]["name"]
    if doc["combined_with"]:
        form = t("export.combined", lang, form=form, other=doc["combined_with"]["name"])
    lines = [
        f"# {doc['title']}",
        "",
        t("export.parties", lang, association=doc["association"], partner=doc["partner"]),
        "",
        f"## {t('export.form', lang)}",
        form,
        *[f"- {reason}" for reason in doc["why"]],
        "",
        f"## {t('export.goals', lang)}",
    ]
    for key, value in doc["goals"].items():
        lines.append(f"- {t(f'export.goal_{key}', lang)}: {value or none}")
    lines += [
        "",
        f"## {t('export.give_get', lang)}",
        f"- {t('export.we_give', lang)}: {join(doc['we_give'], lang) or none}",
        f"- {t('export.we_get', lang)}: {join(doc['we_get'], lang) or none}",
        "",
        f"## {t('export.tasks', lang)}",
        f"| {t('export.task', lang)} | {t('export.phase', lang)} | {t('export.owner', lang)} "
        f"| {t('export.why', lang)} |",
        "|---|---|---|---|",
    ]
    for task in doc["tasks"]:
        owner = task["owner_name"] + (f" ({task['claimed_by']})" if task["claimed_by"] else "")
        lines.append(f"| {task['task']} | {task['phase']} | {owner} | {task['reason']} |")
    lines += [
        "",
        f"## {t('export.money', lang)}",
        f"- {t('q.money.short', lang)}: {doc['money'] or none}",
        f"- {t('q.commitment.short', lang)}: {doc['commitment'] or none}",
        f"- {t('export.visibility', lang)}: {doc['visibility'] or none}",
        f"- {t('q.time_span.short', lang)}: {doc['time_span'] or none}",
        "",
        f"## {t('export.contacts', lang)}",
        join(doc["contacts"], lang) or none,
        "",
        t("export.review", lang, date=review_day(doc, lang)),
    ]
    if doc["notes"]:
        lines += ["", f"## {t('result.notes', lang)}", *[f"- {n}" for n in doc["notes"]]]
    return "\n".join(lines) + "\n"
