"""Plans to Replies: every text a member reads is composed here, from the locale files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from flows import reply as kinds
from flows.model import DONE, PARTNER, TOGETHER, US, Plan, TaskRecord
from flows.parse import Invalid
from flows.questionnaire import (
    MULTI,
    PARTS,
    REVIEW,
    SCALE,
    SIDE,
    TEXT,
    Question,
    applicable,
    by_key,
    effective,
    is_question,
    part_of,
)
from flows.recommend import MAP_THE_FIELD, VALUE_CONFLICT, Recommendation, give_and_get
from flows.reply import Option, Reply
from flows.tasks import PHASES, is_joint, recurring
from flows.texts import cached_per_install, has, isolate, join, t

FINISH = "finish"
EDIT_PREFIX = "edit:"


def option_labels(question: Question, lang: str) -> dict[str, str]:
    """Each option's label. Every question shown (and every typed answer) needs them: looked
    up in the catalog once per question and language."""
    return dict(_option_labels(question.key, lang))  # the caller's own


@cached_per_install
@lru_cache(maxsize=1024)  # bounded, whatever languages come
def _option_labels(key: str, lang: str) -> dict[str, str]:
    question = by_key(key)
    return {o: option_label(question, o, lang) for o in question.options}


def option_label(question: Question, option: str, lang: str) -> str:
    """The label of one of ``question``'s options; anything else as it is."""
    if option not in question.options:
        return option
    return t(f"opt.{question.option_group}.{option}", lang)


def answer_text(question: Question, value: Any, lang: str) -> str:
    if value is None:
        return t("ui.skipped", lang)
    if question.kind == TEXT:
        return str(value)
    if question.kind == MULTI:
        return join((option_label(question, v, lang) for v in value), lang)
    return option_label(question, str(value), lang)


def progress(plan: Plan) -> tuple[int, int] | None:
    """(part of the questionnaire the current question is in, parts in all).

    Parts, not a question count: branches change how many questions a plan asks, and a total
    that moves ("9 of 22", then "13 of 21") unsettles. The part only ever moves on by one.
    """
    if not is_question(plan.state):
        return None
    return part_of(plan.state)[0], len(PARTS)


def number(plan: Plan, asked: Sequence[Question] | None = None) -> int | None:
    """The current question's place among the questions this plan asks (from 1); ``asked``:
    those questions, when the caller has them already.

    Earlier answers fix which questions come before, so it grows by one per answer.
    """
    keys = [q.key for q in (applicable(plan.answers) if asked is None else asked)]
    return keys.index(plan.state) + 1 if plan.state in keys else None


def progress_text(reply: Reply, lang: str) -> str:
    """The progress line of a question ("Part 2 of 4 — the partner (question 6)")."""
    assert reply.progress is not None
    n, total = reply.progress
    part = t(f"part.{reply.part}", lang) if reply.part else ""
    return t("ui.progress", lang, n=n, total=total, part=part, number=reply.number or n)


def _selected(question: Question, plan: Plan) -> set[str]:
    if question.kind == MULTI:
        selection = plan.meta.get("selection", {}).get(question.key)
        if selection is None:
            selection = plan.answers.get(question.key) or []
        return set(selection)
    value = plan.answers.get(question.key)
    return {str(value)} if value is not None else set()


def question_reply(plan: Plan, lang: str, **extra: Any) -> Reply:
    question = by_key(plan.state)
    selected = _selected(question, plan)
    labels = option_labels(question, lang)
    lines = [t(f"q.{question.key}.text", lang)]
    group = bool(plan.meta.get("group"))
    spread: int | None = None
    if group:
        lines += _group_lines(plan, question, labels, lang)
        spread = plan.meta.get("spread", {}).get(question.key)
    previous = plan.answers.get(question.key)
    if question.kind == TEXT and previous:
        lines.append(t("ui.previous_answer", lang, answer=previous))
    hint_key = f"q.{question.key}.hint"
    notes = tuple(extra.pop("notes", ()))
    asked = applicable(plan.answers)
    return Reply(
        kind=kinds.QUESTION,
        text="\n".join(lines),
        question=question.key,
        question_kind=question.kind,
        options=tuple(Option(k, labels[k], k in selected) for k in question.options),
        progress=progress(plan),
        part=part_of(question.key)[1],
        number=number(plan, asked),
        skippable=question.skippable,
        can_go_back=plan.state != asked[0].key,
        plan_id=plan.id,
        version=plan.version,
        notes=notes + ((t(hint_key, lang),) if has(hint_key, lang) else ()),
        header=_header(plan) if group else None,
        spread=spread,
        **extra,
    )


def _header(plan: Plan) -> str | None:
    """The credit of the step answered just before this one (see ``credit_for``)."""
    last = plan.meta.get("last_answered")
    credit = plan.meta.get("credit", {}).get(last) if last else None
    return credit["line"] if credit else None


def listed_votes(votes: Mapping[str, Mapping[str, Any]], lang: str) -> str:
    """ "Anna 3, Äänekoski 2, Đorđe 5": every member's vote, by name."""
    ordered = sorted(votes.values(), key=lambda v: (str(v["name"]).casefold(), v["value"]))
    return join((f"{isolate(v['name'], lang)} {v['value']}" for v in ordered), lang)


def _group_lines(plan: Plan, question: Question, labels: dict[str, str], lang: str) -> list[str]:
    """A group's progress on the open question: blind votes, or who ticked what."""
    if question.kind == SCALE:
        votes = plan.meta.get("votes", {}).get(question.key) or {}
        values = [v["value"] for v in votes.values()]
        if question.key in plan.meta.get("spread", {}):
            return [
                t(
                    "ui.spread_ask",
                    lang,
                    low=min(values),
                    high=max(values),
                    votes=listed_votes(votes, lang),
                    median=plan.meta["spread"][question.key],
                )
            ]
        if votes:
            # Blind: who has voted, not what, so early votes do not sway later ones.
            names = join((v["name"] for v in votes.values()), lang)
            return [t("ui.votes_blind", lang, count=len(votes), names=names)]
        return [t("ui.vote_hint", lang)]
    if question.kind == MULTI:
        ticks = plan.meta.get("ticks", {}).get(question.key) or {}
        if ticks:
            picks = join(
                (
                    t("ui.credit_pick", lang, option=labels[o], name=name)
                    for o, name in ticks.items()
                    if o in labels
                ),
                lang,
            )
            return [t("ui.ticked_by", lang, picks=picks)]
    return []


def answers_lines(plan: Plan, lang: str) -> list[str]:
    lines = []
    for question in applicable(plan.answers):
        if question.key in plan.answers:
            value = answer_text(question, plan.answers[question.key], lang)
            credit = plan.meta.get("credit", {}).get(question.key)
            by = plan.meta.get("answered_by", {}).get(question.key)
            if credit and plan.meta.get("group"):
                value = credit["answer"]  # e.g. "3 (median of Anna 3, Ben 2, Carl 5)"
            elif by and plan.meta.get("group"):
                value = f"{value} ({by})"
            lines.append(f"• {t(f'q.{question.key}.short', lang)}: {value}")
    return lines


def review_reply(plan: Plan, lang: str, **extra: Any) -> Reply:
    options = [Option(FINISH, t("ui.finish", lang))]
    for question in applicable(plan.answers):
        short = t(f"q.{question.key}.short", lang)
        options.append(Option(EDIT_PREFIX + question.key, t("ui.edit", lang, question=short)))
    text = "\n".join([t("ui.review", lang), "", *answers_lines(plan, lang)])
    return Reply(
        kind=kinds.REVIEW,
        text=text,
        question=REVIEW,
        question_kind="choice",
        options=tuple(options),
        can_go_back=True,
        plan_id=plan.id,
        version=plan.version,
        **extra,
    )


def current_reply(plan: Plan, lang: str, **extra: Any) -> Reply:
    """What the member should see now: the current question, or the review step."""
    if plan.state == REVIEW:
        return review_reply(plan, lang, **extra)
    return question_reply(plan, lang, **extra)


def summary_reply(plan: Plan, lang: str) -> Reply:
    lines = answers_lines(plan, lang)
    text = "\n".join([t("ui.summary", lang), "", *lines]) if lines else t("ui.summary_empty", lang)
    return Reply(kind=kinds.INFO, text=text, plan_id=plan.id, version=plan.version)


def plans_reply(plans: Sequence[Plan], lang: str) -> Reply:
    """The chat's plans, newest first, and which one the checklist and tasks are about."""
    lines = [t("ui.plans_title", lang)]
    work = next((p for p in plans if p.status == DONE), None)
    for position, plan in enumerate(plans):
        answered = sum(1 for k, v in plan.answers.items() if v is not None and k != SIDE)
        if plan.status == DONE:
            form = (plan.meta.get("result") or {}).get("form")
            name = t(f"form.{form}.name", lang) if form else t("ui.plans_finished", lang)
            line = t("ui.plans_done", lang, form=name)
            if plan is work:
                line += t("ui.plans_work", lang)
        elif position == 0:
            line = t("ui.plans_open", lang, answered=answered)
        else:
            line = t("ui.plans_closed", lang, answered=answered)
        lines.append(line)
    return Reply(kind=kinds.INFO, text="\n".join(lines), plan_id=plans[0].id)


def invalid_reply(plan: Plan | None, problem: Invalid, lang: str) -> Reply:
    """What was wrong and what is expected instead; ``plain_text`` says it without buttons."""
    text = plain = t(f"invalid.{problem.key}", lang, **problem.params)
    if plan is not None and is_question(plan.state):
        kind = by_key(plan.state).kind
        text = f"{text} {t(f'expect.{kind}', lang)}"
        plain = f"{plain} {t(f'expect_typed.{kind}', lang)}"
    return Reply(
        kind=kinds.INVALID,
        text=text,
        plain_text=plain,
        question=plan.state if plan else None,
        plan_id=plan.id if plan else None,
        version=plan.version if plan else None,
    )


def notice(kind: str, key: str, lang: str, plan: Plan | None = None, **params: Any) -> Reply:
    return Reply(
        kind=kind,
        text=t(key, lang, **params),
        plan_id=plan.id if plan else None,
        version=plan.version if plan else None,
        answered_by=params.get("name"),
        language=lang,
    )


def _resource_list(resources: Sequence[str], lang: str) -> str:
    if not resources:
        return t("result.nothing", lang)
    return join((t(f"opt.resource.{r}", lang) for r in resources), lang)


def owner_text(task: TaskRecord, lang: str) -> str:
    """Who is accountable: "us", "partner", or for a joint task "together, we lead"."""
    if task.owner == TOGETHER:  # a plan finished before every task had one lead
        return t("party.together", lang)
    if is_joint(task):
        return t(f"party.lead_{task.owner}", lang)
    return t(f"party.{task.owner}", lang)


def reason_text(task: TaskRecord, lang: str) -> str:
    """Why the owner has the task, in one short line ("they offer premises"), or ""."""
    if task.reason is None:
        return ""
    resource = t(f"resource.{task.resource}", lang) if task.resource else ""
    return t(f"reason.{task.reason}", lang, resource=resource)


def task_line(task: TaskRecord, lang: str) -> str:
    line = f"{t(f'task.{task.key}', lang)} — {owner_text(task, lang)}"
    why = reason_text(task, lang)
    return f"{line} ({why})" if why else line


def note_text(key: str, answers: Mapping[str, Any], lang: str) -> str:
    """A note, with what the member typed where the note quotes it."""
    answers = effective(answers)
    if key == VALUE_CONFLICT:
        typed = str(answers.get("value_conflict_detail") or "").strip().rstrip(".")
        what = typed or answer_text(by_key("value_conflict"), answers["value_conflict"], lang)
        return t("note.value_conflict", lang, what=what)
    if key == MAP_THE_FIELD:
        return t("note.map_the_field", lang, names=str(answers.get("same_theme", "")).strip())
    return t(f"note.{key}", lang)


def task_counts(tasks: Sequence[TaskRecord]) -> dict[str, int]:
    """Tasks each side leads, and how many of them are done together."""
    return {
        "us": sum(task.owner == US for task in tasks),
        "partner": sum(task.owner == PARTNER for task in tasks),
        "together": sum(is_joint(task) for task in tasks),
    }


# A result's first message: one phone screen (about 700 characters), less the form's own text.
SUMMARY_BUDGET = 640


def result_summary(answers: Mapping[str, Any], rec: Recommendation, lang: str) -> str:
    """The result's first message: the form, what it is, a combination, and the warnings
    when they fit one phone screen (else how many there are: they are in the details)."""
    answers = effective(answers)
    name = t(f"form.{rec.form}.name", lang)
    notes = [note_text(n, answers, lang) for n in rec.notes]
    if rec.no_partner:
        # No partner yet: the guide's advice is the result; the form is for later.
        lines = [t("result.find_title", lang), *[f"• {n}" for n in notes], ""]
        lines.append(t("result.then", lang, form=name))
        notes = []
    else:
        lines = [t("result.title", lang, form=name), t(f"form.{rec.form}.about", lang)]
    if rec.combined_with:
        other = t(f"form.{rec.combined_with}.name", lang)
        about = t(f"form.{rec.combined_with}.combine", lang)
        lines += ["", t("result.combined", lang, form=other, about=about)]
    if notes:
        full = ["", *[f"⚠ {n}" for n in notes]]
        if len("\n".join(lines + full)) <= SUMMARY_BUDGET:
            lines += full
        else:
            lines += ["", t("result.notes_count", lang, count=len(notes))]
    return "\n".join(lines)


def result_details(
    answers: Mapping[str, Any],
    rec: Recommendation,
    tasks: Sequence[TaskRecord],
    lang: str,
) -> str:
    """The reasoning behind the result: warnings, the answers that weighed most, benefits,
    who does what, and the balance of give and get."""
    answers = effective(answers)
    # Without a partner the notes are the first message already.
    notes = [] if rec.no_partner else [note_text(n, answers, lang) for n in rec.notes]
    lines: list[str] = []
    if notes:
        lines += [t("result.notes", lang), *[f"⚠ {n}" for n in notes], ""]
    if rec.no_partner:
        lines += [t(f"form.{rec.form}.about", lang), ""]
    if rec.reasons:
        lines += [t("result.why", lang)]
        for reason in rec.reasons:
            question = by_key(reason.question)
            lines.append(
                f"• {t(f'q.{question.key}.short', lang)}: "
                f"{answer_text(question, _typed(question, reason.option), lang)}"
            )
        lines.append("")
    lines += [t("result.benefits", lang)]
    lines += [f"• {t(f'form.{form}.benefits', lang)}" for form in rec.forms]
    lines += ["", t("result.tasks", lang)]
    if recurring(answers) and not rec.no_partner:
        lines.append(t("result.recurring", lang))
    for phase in PHASES:
        phase_tasks = [task for task in tasks if task.phase == phase]
        if phase_tasks:
            lines.append(t(f"phase.{phase}", lang))
            lines += [f"  • {task_line(task, lang)}" for task in phase_tasks]
    if rec.no_partner:
        return "\n".join(lines)
    give, get = give_and_get(answers)
    lines += [
        "",
        t("result.balance", lang),
        t("result.we_give", lang, what=_resource_list(give, lang)),
        t("result.we_get", lang, what=_resource_list(get, lang)),
        t("result.task_counts", lang, **task_counts(tasks)),
    ]
    return "\n".join(lines)


def _typed(question: Question, option: str) -> Any:
    if question.kind == SCALE:
        return int(option)
    if question.kind == MULTI:
        return [option]
    return option
