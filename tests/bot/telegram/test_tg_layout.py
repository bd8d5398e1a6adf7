"""Phone-first layout, as rules over every message the bot draws, in every shipped language,
in a private chat and in a group.

A phone shows about 35-40 characters a line and cuts inline buttons past about 25. The rules:
- no button label over 24 characters, none cut short ("…");
- buttons sharing a row fit a phone's width together;
- no message over Telegram's 4096 characters; a result's first message about one screen
  (700 characters), in HTML with emphasis, leading on with [Checklist] [Tasks] [Agreement];
- scales are plain 1-5 buttons (the legend is in the question);
- the review has two buttons, its picker pages the questions;
- refused input says what to tap, never what to type (typing is the console's word);
- toasts fit Telegram's 200 characters.

The replies come from walking whole plans through the domain (every question kind, the votes,
ticks and credit of a group, the review, results of every scenario, checklist and board pages),
so a new question, a longer text or a new language is checked without touching this test.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import replace
from html.parser import HTMLParser
from typing import Any

import pytest
from telegram import ForceReply, InlineKeyboardMarkup

from bot.telegram.admin import CONFIRMATIONS
from bot.telegram.app import command_menu
from bot.telegram.delivery import MAX_TOAST
from bot.telegram.render import (
    MAX_MESSAGE,
    Rendered,
    picker,
    render,
    split_text,
    visible_length,
)
from bot.telegram.work_render import view_keyboard, view_text
from flows import checklist
from flows import events as ev
from flows import reply as kinds
from flows.conversation import apply, new_plan, result_reply
from flows.model import ChecklistRecord, MemberRef, Plan
from flows.parse import Invalid
from flows.questionnaire import CHOICE, MULTI, QUESTIONS, REVIEW, SCALE, TEXT, by_key, is_question
from flows.recommend import recommend
from flows.render import invalid_reply
from flows.reply import Reply
from flows.tasks import split
from flows.texts import languages, t
from flows.workboard import board_reply, checklist_reply
from tests.flows import scenarios

MAX_LABEL = 24  # a phone cuts inline buttons past about 25 characters
ROW = 36  # characters of labels (plus 2 between buttons) a phone shows in one row
RESULT_SCREEN = 700  # a result's first message: about one phone screen
MEMBERS = (MemberRef("1", "Anna"), MemberRef("2", "Äänekoski"), MemberRef("3", "Đorđe"))
PLACES = ("private", "group")


# --- the replies ---------------------------------------------------------------------------


def walk(language: str, group: bool) -> Iterator[Reply]:
    """Every reply of a whole plan, answered the way members would, in ``language``."""
    plan = new_plan(language, group)
    plan.id = 1
    turn = 0

    def act(event: ev.Event) -> Reply:
        nonlocal plan, turn
        outcome = apply(plan, MEMBERS[turn % len(MEMBERS)] if group else MEMBERS[0], event)
        turn += 1
        plan = outcome.plan
        return outcome.reply

    yield act(ev.Start())
    for _ in range(200):
        if plan.state == REVIEW:
            yield act(ev.Summary())
            yield act(ev.Text("no such option"))  # refused at the review
            yield act(ev.Finish())
            return
        question = by_key(plan.state)
        yield invalid_reply(plan, Invalid("empty_text"), language)
        if question.kind == SCALE and group:
            yield act(ev.Answer(question.key, 1))
            yield act(ev.Answer(question.key, 5))
            spread = act(ev.Done(question.key))  # far apart: the group is asked
            assert spread.spread is not None
            yield spread
            yield act(ev.Done(question.key, use=spread.spread))
        elif question.kind == MULTI:
            if group:
                yield act(ev.Toggle(question.key, question.options[0]))
                yield act(ev.Toggle(question.key, question.options[1]))
                yield act(ev.Done(question.key))
            else:
                yield act(ev.Answer(question.key, list(question.options[:2])))
        elif question.kind == SCALE:
            yield act(ev.Answer(question.key, 3))
        elif question.kind == CHOICE:
            yield act(ev.Answer(question.key, question.options[0]))
        else:
            assert question.kind == TEXT
            yield act(ev.Text("Our own words, as a member would write them on a phone."))
    raise AssertionError("the walk never reached the review")


def results(language: str) -> Iterator[tuple[Plan, Reply]]:
    """The result of every guide scenario (each form, combinations, warnings, no partner yet)
    in ``language``."""
    for scenario in scenarios.SCENARIOS:
        _, outcomes = scenarios.play(scenario.answers)
        done = replace(outcomes[-1].plan, language=language)
        yield done, result_reply(done)


def work_views(plan: Plan, group: bool) -> Iterator[Reply]:
    """Every page of the checklist and the task board of a finished plan, half ticked."""
    rec = recommend(plan.answers)
    tasks = split(rec.forms, plan.answers)
    forms = tuple(f for f in (rec.form, rec.combined_with) if f)
    items = checklist.items([], forms)
    ticked = [
        replace(i, done_by="Äänekoski Ådalén", done_at="2026-01-01T00:00:00+00:00") if n % 2 else i
        for n, i in enumerate(items)
    ]
    ticked.append(ChecklistRecord("c1", "x" * checklist.MAX_LABEL_LENGTH))  # a long own item
    tasks = [
        replace(x, claimed_by="Đorđe", done_by="Đorđe" if n % 3 == 0 else None) if n % 2 else x
        for n, x in enumerate(tasks)
    ]
    for page in range(checklist.pages(len(ticked))):
        yield checklist_reply(plan, ticked, page, group)
    for page in range(checklist.pages(len(tasks))):
        yield board_reply(plan, tasks, page)


# --- the rules -------------------------------------------------------------------------------


def check_keyboard(markup: Any) -> None:
    if markup is None or isinstance(markup, ForceReply):
        return
    assert isinstance(markup, InlineKeyboardMarkup)
    for row in markup.inline_keyboard:
        labels = [button.text for button in row]
        for label in labels:
            assert len(label) <= MAX_LABEL, f"label over {MAX_LABEL}: {label!r}"
            assert not label.endswith("…"), f"label cut short: {label!r}"
        width = sum(len(label) for label in labels) + 2 * (len(labels) - 1)
        assert width <= ROW, f"row too wide for a phone: {labels}"


def check_message(rendered: Rendered) -> None:
    for chunk in rendered.chunks:
        assert 0 < len(chunk) <= MAX_MESSAGE
        if rendered.html:
            parser = _Tags()
            parser.feed(chunk)
            assert parser.open == [], f"unclosed tags in {chunk!r}"
    check_keyboard(rendered.markup)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        assert tag in ("b", "i"), tag
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open.pop() == tag


def rows_of(markup: Any) -> list[list[str]]:
    return [[b.text for b in row] for row in markup.inline_keyboard] if markup else []


# --- the tests -------------------------------------------------------------------------------


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("language", languages())
def test_every_step_of_a_plan_fits_a_phone(language: str, place: str) -> None:
    group = place == "group"
    seen: set[str] = set()
    for reply in walk(language, group):
        rendered = render(reply, language, group=group)
        check_message(rendered)
        seen.add(reply.kind if reply.kind != kinds.QUESTION else str(reply.question_kind))
        rows = rows_of(rendered.markup if not isinstance(rendered.markup, ForceReply) else None)
        if reply.kind == kinds.QUESTION and reply.question_kind == SCALE:
            if reply.spread is None:
                assert rows[0] == ["1", "2", "3", "4", "5"]  # plain numbers
                assert "1" in reply.text and "5" in reply.text  # the legend is in the text
            else:
                assert rows[0] == [
                    t("ui.use_value", language, value=str(reply.spread)),
                    t("ui.vote_again", language),
                ]
        if reply.kind == kinds.INVALID and reply.question and is_question(reply.question):
            # Telegram speaks of tapping; the console's typing words never show here.
            kind = by_key(reply.question).kind
            text = "\n".join(rendered.chunks)
            assert t(f"expect.{kind}", language) in text
            if kind != TEXT:  # an open question is typed on a phone too
                assert t(f"expect_typed.{kind}", language) not in text
        if reply.kind == kinds.REVIEW:
            assert rows[0] == [t("ui.finish", language), t("ui.change_answer", language)]
            for page in range(len(QUESTIONS)):
                check_keyboard(picker(reply, language, page))
        if reply.kind in (kinds.STALE, kinds.CONFLICT, kinds.INVALID):
            assert len(reply.text) <= MAX_TOAST  # may be shown as a tap's toast
    assert {CHOICE, MULTI, SCALE, TEXT, kinds.REVIEW, kinds.RESULT, kinds.INVALID} <= seen


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("language", languages())
def test_results_checklists_and_boards_fit_a_phone(language: str, place: str) -> None:
    group = place == "group"
    for plan, reply in results(language):
        rendered = render(reply, language, group=group)
        check_message(rendered)
        assert rendered.html and rendered.chunks[0].startswith("<b>")  # the form, emphasised
        (first,) = rendered.chunks
        assert visible_length(first) <= RESULT_SCREEN, html.unescape(first)
        assert rows_of(rendered.markup) == [
            [t("ui.checklist", language), t("ui.tasks", language), t("ui.agreement", language)],
            [t("ui.why", language)],
        ]
        assert reply.details  # the reasoning, behind "Why this?"
        check_message(Rendered(split_text(reply.details)))
        for view in work_views(plan, group):
            text, markup = view_text(view, language), view_keyboard(view, language)
            check_message(Rendered((text,), markup))


@pytest.mark.parametrize("language", languages())
def test_interface_buttons_and_menus_fit(language: str) -> None:
    for what in CONFIRMATIONS:
        for key in ("yes", "no"):
            label = t(f"ui.{what}_{key}", language)
            assert len(label) <= MAX_LABEL
        # The two sit side by side.
        assert len(t(f"ui.{what}_yes", language)) + len(t(f"ui.{what}_no", language)) + 2 <= ROW
    for command in command_menu(language):
        assert 0 < len(command.description) <= 256  # Telegram's limit
