"""One event applied to one plan: pure, so it is the same for every transport and store.

``apply`` never mutates the plan it is given; it returns the new plan (or the same one when
nothing changed), the answers to append to the history, the tasks when the plan was finished,
and the Reply for the member.
"""

from __future__ import annotations

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
from flows.recommend import Recommendation, recommend
from flows.render import (
    EDIT_PREFIX,
    FINISH,
    answer_text,
    current_reply,
    invalid_reply,
    listed_votes,
    notice,
    option_labels,
    result_details,
    result_summary,
    review_reply,
    summary_reply,
)
from flows.reply import Reply
from flows.setup import answer_to_ask, apply_setup, carried
from flows.tasks import split
from flows.texts import join, supported, t

# Spread of group votes on a 1-5 scale at which the group is asked to talk it over.
WIDE_SPREAD = 3


@dataclass
class Outcome:
    plan: Plan
    reply: Reply
    changed: bool = False
    records: tuple[AnswerRecord, ...] = ()
    tasks: list[TaskRecord] | None = None


def new_plan(language: str = "en", group: bool = False, before: Plan | None = None) -> Plan:
    """A fresh plan; the association's parties and contacts carry over from ``before``."""
    meta: dict[str, Any] = {"group": group} if group else {}
    if before is not None:
        meta.update(carried(before.meta))
    return Plan(id=None, state=FIRST, language=language, meta=meta)


def result_reply(
    plan: Plan,
    rec: Recommendation | None = None,
    tasks: list[TaskRecord] | None = None,
    **extra: Any,
) -> Reply:
    """The recommendation: a short first message, with the reasoning in ``details``.

    ``rec`` and ``tasks``: the plan's recommendation and its split, when the caller has them.
    """
    if rec is None:
        rec = recommend(plan.answers)
    if tasks is None:
        tasks = split(rec.forms, plan.answers)
    header = None
    if plan.meta.get("group") and plan.meta.get("last_answered"):
        header = plan.meta.get("credit", {}).get(plan.meta["last_answered"], {}).get("line")
    return Reply(
        kind=kinds.RESULT,
        text=result_summary(plan.answers, rec, plan.language),
        details=result_details(plan.answers, rec, tasks, plan.language),
        plan_id=plan.id,
        version=plan.version,
        header=header,
        **extra,
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
    if isinstance(event, ev.SetLanguage):
        return set_language(plan, event.language)
    if plan.status == DONE:
        if isinstance(event, ev.Start):
            return Outcome(plan, result_reply(plan))
        if isinstance(event, ev.Text) and (asked := answer_to_ask(plan, event.text)):
            changed, reply = apply_setup(plan, member, asked)
            return Outcome(changed or plan, reply, changed=changed is not None)
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
            return _toggle(plan, member, question, option)
        case ev.Done(question=question, use=use):
            return _done(plan, member, question, use)
        case ev.Revote(question=question):
            return _revote(plan, member, question)
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
            fresh = new_plan(lang, bool(plan.meta.get("group")), plan)
            fresh.id, fresh.version = plan.id, plan.version
            return Outcome(fresh, current_reply(fresh, lang), changed=True)
    raise TypeError(f"unknown event {event!r}")


def set_language(plan: Plan, language: str) -> Outcome:
    """The plan (and so the chat) speaks ``language`` from now on; exports use it too."""
    chosen = supported(language)
    if chosen is None:
        return Outcome(plan, notice(kinds.INVALID, "ui.language_unknown", plan.language, plan))
    new = plan.copy()
    new.language = chosen
    return Outcome(new, notice(kinds.INFO, "ui.language_set", chosen, new), chosen != plan.language)


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
    new.meta.get("spread", {}).pop(key, None)
    if new.meta.get("group"):
        # Who answered, truthfully (median of the votes, who ticked what): kept with the plan,
        # and shown on top of the next step until that one is answered.
        credit = credit_for(plan, member, key, value)
        new.meta.setdefault("credit", {})[key] = credit
        new.meta["last_answered"] = key
        new.meta.get("ticks", {}).pop(key, None)
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
    )
    return Outcome(new, reply, True, (AnswerRecord(key, value, member),))


def _vote(plan: Plan, member: MemberRef, key: str, value: int) -> Outcome:
    """In a group a scale question collects one vote per member; Done applies the median.

    Each vote also goes into the answer history (``{"vote": n}``), so who voted what is kept.
    """
    new = plan.copy()
    votes = new.meta.setdefault("votes", {}).setdefault(key, {})
    votes[member.user_id] = {"name": member.name, "value": value}
    new.meta.get("spread", {}).pop(key, None)  # a new vote: the group looks again at Done
    reply = current_reply(new, new.language, answered_by=member.name, changed=True)
    return Outcome(new, reply, True, (AnswerRecord(key, {"vote": value}, member),))


def _revote(plan: Plan, member: MemberRef, key: str) -> Outcome:
    if key != plan.state or key not in plan.meta.get("spread", {}):
        return _stale(plan, key)
    new = plan.copy()
    new.meta["votes"].pop(key, None)
    new.meta["spread"].pop(key, None)
    reply = current_reply(new, new.language, answered_by=member.name, changed=True)
    return Outcome(new, reply, True)


def _toggle(plan: Plan, member: MemberRef, key: str, option: str) -> Outcome:
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
    records: tuple[AnswerRecord, ...] = ()
    if new.meta.get("group"):
        # Who ticked what, for the credit when the question is closed, and for the history.
        ticks = new.meta.setdefault("ticks", {}).setdefault(key, {})
        if option in chosen:
            ticks[option] = member.name
        else:
            ticks.pop(option, None)
        records = (AnswerRecord(key, {"tick": option, "on": option in chosen}, member),)
    return Outcome(new, current_reply(new, new.language, changed=True), True, records)


def credit_for(plan: Plan, member: MemberRef, key: str, value: Any) -> dict[str, str]:
    """How a group's answer came about: ``line`` heads the next step, ``answer`` (the answer
    with who gave which part) goes in the summary and review."""
    lang = plan.language
    question = by_key(key)
    shown = answer_text(question, value, lang)
    votes = plan.meta.get("votes", {}).get(key) or {}
    ticks = plan.meta.get("ticks", {}).get(key) or {}
    # Only the closing member took part: a plain "Answered by Anna" says it all.
    if {v["name"] for v in votes.values()} <= {member.name}:
        votes = {}
    if set(ticks.values()) <= {member.name}:
        ticks = {}
    if question.kind == SCALE and votes and value is not None:
        listed = listed_votes(votes, lang)
        answer = t("ui.credit_median_answer", lang, value=value, votes=listed)
    elif question.kind == MULTI and ticks and value:
        labels = option_labels(question, lang)
        answer = join(
            (
                t("ui.credit_pick", lang, option=labels[o], name=ticks[o])
                if o in ticks
                else labels[o]
                for o in value
            ),
            lang,
        )
    else:
        return {
            "line": t("ui.answered_by", lang, name=member.name, answer=shown),
            "answer": t("ui.credit_by", lang, answer=shown, name=member.name),
            "name": member.name,
        }
    return {
        "line": t("ui.credit_group", lang, answer=answer, name=member.name),
        "answer": answer,
        "name": member.name,
    }


def _done(plan: Plan, member: MemberRef, key: str, use: int | None = None) -> Outcome:
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
        values = [v["value"] for v in votes.values()]
        median = round(_median(values))
        if use is not None:
            if plan.meta.get("spread", {}).get(key) != median or use != median:
                return _stale(plan)  # the votes changed since "Use 3" was shown
        elif max(values) - min(values) >= WIDE_SPREAD:
            # Far apart: ask the group before moving on ("Use 3" or "Vote again").
            new = plan.copy()
            new.meta.setdefault("spread", {})[key] = median
            reply = current_reply(new, new.language, answered_by=member.name, changed=True)
            return Outcome(new, reply, True)
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
    new.meta.pop("last_answered", None)
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
    new.meta.pop("last_answered", None)
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
    new.meta.pop("last_answered", None)
    return Outcome(new, result_reply(new, rec, tasks, changed=True), True, tasks=tasks)


def _median(values: list[int]) -> float:
    """As ``statistics.median``, whose import (with decimal and fractions) costs a running
    bot ~0.5 MB for this one call."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
