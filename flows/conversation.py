"""One event applied to one plan: pure, so it is the same for every transport and store.

``apply`` never mutates the plan it is given; it returns the new plan (or the same one when
nothing changed), the answers to append to the history, the tasks when the plan was finished,
and the Reply for the member.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from flows import events as ev
from flows import machine
from flows import reply as kinds
from flows.model import DONE, AnswerRecord, MemberRef, Plan, TaskRecord
from flows.parse import MAX_MESSAGE_LENGTH, Invalid, parse, pick, valid_value
from flows.questionnaire import (
    FIRST,
    MULTI,
    REVIEW,
    SCALE,
    applicable,
    by_key,
    first_unanswered,
    is_question,
    next_key,
    previous_key,
)
from flows.recommend import recommend
from flows.render import (
    EDIT_PREFIX,
    FINISH,
    answer_text,
    current_reply,
    invalid_reply,
    notice,
    option_labels,
    result_text,
    review_reply,
    summary_reply,
)
from flows.reply import Reply
from flows.tasks import split
from flows.texts import t

# Spread of group votes on a 1-5 scale at which the group is asked to talk it over.
WIDE_SPREAD = 3


@dataclass
class Outcome:
    plan: Plan
    reply: Reply
    changed: bool = False
    records: tuple[AnswerRecord, ...] = ()
    tasks: list[TaskRecord] | None = None


def new_plan(language: str = "en", group: bool = False) -> Plan:
    return Plan(id=None, state=FIRST, language=language, meta={"group": group} if group else {})


def result_reply(plan: Plan) -> Reply:
    rec = recommend(plan.answers)
    tasks = split(rec.forms, plan.answers)
    return Reply(
        kind=kinds.RESULT,
        text=result_text(plan.answers, rec, tasks, plan.language),
        plan_id=plan.id,
        version=plan.version,
    )


def apply(plan: Plan, member: MemberRef, event: ev.Event) -> Outcome:
    lang = plan.language
    if plan.status != DONE and plan.state != REVIEW and not _asked(plan):
        # Stored at a question the questionnaire no longer asks (it changed since, or an
        # answer was edited around it): carry on at the first open question.
        plan = plan.copy()
        plan.state = first_unanswered(plan.answers)
    if isinstance(event, ev.Summary):
        reply = result_reply(plan) if plan.status == DONE else summary_reply(plan, lang)
        return Outcome(plan, reply)
    if plan.status == DONE:
        if isinstance(event, ev.Start):
            return Outcome(plan, result_reply(plan))
        return Outcome(plan, notice(kinds.STALE, "ui.finished", lang, plan))
    match event:
        case ev.Start():
            return Outcome(plan, current_reply(plan, lang))
        case ev.Text(text=text, question=question):
            if question is not None and question != plan.state:
                return _stale(plan, question)
            return _text(plan, member, text)
        case ev.Answer(question=question, value=value):
            if question != plan.state:
                return _stale(plan, question)
            if not is_question(question) or not valid_value(by_key(question), value):
                return Outcome(plan, notice(kinds.INVALID, "ui.bad_button", lang, plan))
            return _answer(plan, member, question, value)
        case ev.Toggle(question=question, option=option):
            return _toggle(plan, question, option)
        case ev.Done(question=question):
            return _done(plan, member, question)
        case ev.Back(question=question):
            if question is not None and question != plan.state:
                return _stale(plan)  # a Back button on an earlier question's message
            return _back(plan)
        case ev.Skip(question=question):
            return _skip(plan, member, question or plan.state)
        case ev.Edit(question=question):
            return _edit(plan, question)
        case ev.Finish():
            return _finish(plan)
        case ev.Restart():
            fresh = new_plan(lang, bool(plan.meta.get("group")))
            fresh.id, fresh.version = plan.id, plan.version
            return Outcome(fresh, current_reply(fresh, lang), changed=True)
    raise TypeError(f"unknown event {event!r}")


def _asked(plan: Plan) -> bool:
    return is_question(plan.state) and by_key(plan.state).applies(plan.answers)


def _stale(plan: Plan, question: str | None = None) -> Outcome:
    # In a group, say who answered the question the member was too late for.
    name = plan.meta.get("answered_by", {}).get(question) if plan.meta.get("group") else None
    if name:
        return Outcome(plan, notice(kinds.STALE, "ui.stale_by", plan.language, plan, name=name))
    return Outcome(plan, notice(kinds.STALE, "ui.stale_button", plan.language, plan))


def _invalid(plan: Plan, problem: Invalid) -> Outcome:
    return Outcome(plan, invalid_reply(plan, problem, plan.language))


def _text(plan: Plan, member: MemberRef, text: str) -> Outcome:
    if plan.state == REVIEW:
        if len(text) > MAX_MESSAGE_LENGTH:
            return _invalid(
                plan, Invalid("too_long", {"length": len(text), "limit": MAX_MESSAGE_LENGTH})
            )
        review = review_reply(plan, plan.language)
        found = pick(text, [(o.key, o.label) for o in review.options])
        if isinstance(found, Invalid):
            return _invalid(plan, found)
        if found == FINISH:
            return _finish(plan)
        return _edit(plan, found.removeprefix(EDIT_PREFIX))
    question = by_key(plan.state)
    value = parse(question, text, option_labels(question, plan.language))
    if isinstance(value, Invalid):
        return _invalid(plan, value)
    if question.kind == SCALE and plan.meta.get("group"):
        return _vote(plan, member, question.key, value)
    return _answer(plan, member, question.key, value)


def _answer(plan: Plan, member: MemberRef, key: str, value: Any) -> Outcome:
    if by_key(key).kind == SCALE and plan.meta.get("group"):
        return _vote(plan, member, key, value)
    return _advance(plan, member, key, value, "answer")


def _advance(plan: Plan, member: MemberRef, key: str, value: Any, trigger: str) -> Outcome:
    """Store ``value`` (None when skipped) for ``key`` and move to the next step."""
    new = plan.copy()
    new.answers[key] = value
    new.meta.setdefault("answered_by", {})[key] = member.name
    new.meta.get("selection", {}).pop(key, None)
    # After an edit from the review, go on to what is still unanswered, else back to review.
    editing = new.meta.get("editing", False)
    target = first_unanswered(new.answers) if editing else next_key(key, new.answers)
    moved = machine.move(plan.state, trigger, target)
    if moved is None:  # cannot happen for a valid target; refuse rather than corrupt
        return _stale(plan)
    new.state = moved
    if moved == REVIEW:
        new.meta.pop("editing", None)
    reply = current_reply(
        new,
        new.language,
        previous_question=key,
        answer_text=answer_text(by_key(key), value, new.language),
        answered_by=member.name,
        changed=True,
        notes=_spread_note(plan, key, new.language),
    )
    return Outcome(new, reply, True, (AnswerRecord(key, value, member),))


def _spread_note(plan: Plan, key: str, lang: str) -> tuple[str, ...]:
    votes = plan.meta.get("votes", {}).get(key) or {}
    values = [v["value"] for v in votes.values()]
    if len(values) > 1 and max(values) - min(values) >= WIDE_SPREAD:
        return (t("note.wide_spread", lang, low=min(values), high=max(values)),)
    return ()


def _vote(plan: Plan, member: MemberRef, key: str, value: int) -> Outcome:
    """In a group a scale question collects one vote per member; Done applies the median."""
    new = plan.copy()
    votes = new.meta.setdefault("votes", {}).setdefault(key, {})
    votes[member.user_id] = {"name": member.name, "value": value}
    reply = current_reply(new, new.language, answered_by=member.name, changed=True)
    return Outcome(new, reply, True)


def _toggle(plan: Plan, key: str, option: str) -> Outcome:
    if key != plan.state:
        return _stale(plan, key)
    question = by_key(key)
    if question.kind != MULTI or option not in question.options:
        return Outcome(plan, notice(kinds.INVALID, "ui.bad_button", plan.language, plan))
    new = plan.copy()
    current = new.meta.setdefault("selection", {}).get(key)
    if current is None:
        current = list(plan.answers.get(key) or [])
    chosen = set(current) ^ {option}
    new.meta["selection"][key] = [o for o in question.options if o in chosen]
    return Outcome(new, current_reply(new, new.language, changed=True), True)


def _done(plan: Plan, member: MemberRef, key: str) -> Outcome:
    if key != plan.state:
        return _stale(plan, key)
    question = by_key(key)
    if question.kind == MULTI:
        selection = plan.meta.get("selection", {}).get(key)
        if selection is None:
            selection = plan.answers.get(key) or []
        if not selection:
            return _invalid(plan, Invalid("empty_multi", {"count": len(question.options)}))
        return _answer(plan, member, key, list(selection))
    if question.kind == SCALE:
        votes = plan.meta.get("votes", {}).get(key) or {}
        if not votes:
            return _invalid(plan, Invalid("no_votes"))
        median = round(statistics.median(v["value"] for v in votes.values()))
        return _advance(plan, member, key, median, "answer")
    return Outcome(plan, notice(kinds.INVALID, "ui.bad_button", plan.language, plan))


def _back(plan: Plan) -> Outcome:
    target = previous_key(plan.state, plan.answers)
    if target is None:
        return _invalid(plan, Invalid("first_question"))
    moved = machine.move(plan.state, "back", target)
    if moved is None:
        return _invalid(plan, Invalid("first_question"))
    new = plan.copy()
    new.state = moved
    return Outcome(new, current_reply(new, new.language, changed=True), True)


def _skip(plan: Plan, member: MemberRef, key: str) -> Outcome:
    if key != plan.state:
        return _stale(plan, key)
    if plan.state == REVIEW or not by_key(key).skippable:
        return _invalid(plan, Invalid("not_skippable"))
    return _advance(plan, member, key, None, "skip")


def _edit(plan: Plan, key: str) -> Outcome:
    if plan.state != REVIEW:
        return _stale(plan)
    if not is_question(key) or key not in {q.key for q in applicable(plan.answers)}:
        return Outcome(plan, notice(kinds.INVALID, "ui.bad_button", plan.language, plan))
    moved = machine.move(plan.state, "edit", key)
    if moved is None:
        return _stale(plan)
    new = plan.copy()
    new.state = moved
    new.meta["editing"] = True
    return Outcome(new, current_reply(new, new.language, changed=True), True)


def _finish(plan: Plan) -> Outcome:
    if plan.state != REVIEW:
        return _stale(plan)
    new = plan.copy()
    new.state = machine.move(plan.state, "finish") or plan.state
    new.status = DONE
    rec = recommend(new.answers)
    tasks = split(rec.forms, new.answers)
    new.meta["result"] = {"form": rec.form, "combined_with": rec.combined_with}
    reply = Reply(
        kind=kinds.RESULT,
        text=result_text(new.answers, rec, tasks, new.language),
        plan_id=new.id,
        version=new.version,
        changed=True,
    )
    return Outcome(new, reply, True, tasks=tasks)
