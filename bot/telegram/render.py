"""Reply → Telegram message: text chunks and an inline keyboard.

Nothing here writes domain text: the question, options and results come in the Reply, and
the few interface words (progress, Back, Skip, Done, "Your answer") come from ``ui.*`` keys.
Messages are sent as plain text (no parse mode), so member-typed answers never need escaping.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup

from bot.telegram.callback_data import Action, ButtonData, encode
from flows.questionnaire import TEXT, by_key, is_question
from flows.render import progress_text
from flows.reply import INVALID, QUESTION, RESULT, REVIEW, Option, Reply
from flows.texts import t

logger = logging.getLogger(__name__)

MAX_MESSAGE = 4096  # Telegram's limit for a message text
MAX_LABEL = 60  # long button labels get cut; Telegram clients truncate them anyway
MAX_PLACEHOLDER = 64  # Telegram's limit for ForceReply.input_field_placeholder
CHECK = "✓ "
FINISH_OPTION = "finish"
EDIT_PREFIX = "edit:"


class _ButtonMaker(Protocol):
    def __call__(
        self, label: str, action: Action, question: str | None = None, option: str | None = None
    ) -> InlineKeyboardButton: ...


@dataclass(frozen=True)
class Rendered:
    """One Reply as Telegram messages: the keyboard goes under the last chunk.

    ``name_span`` is (offset, length) of a member's name in the first chunk, in characters:
    the transport turns it into a mention, so that a selective ForceReply reaches that member.
    """

    chunks: tuple[str, ...]
    markup: InlineKeyboardMarkup | ForceReply | None = None
    name_span: tuple[int, int] | None = None


def render(reply: Reply, language: str, *, group: bool = False) -> Rendered:
    """``reply`` as messages. In a group a step after an answer starts with who gave it, and
    a text question asks for a reply to its message (``ForceReply``): with privacy mode on,
    replies to the bot's messages are the only plain messages it sees.
    """
    text = message_text(reply, language)
    markup: InlineKeyboardMarkup | ForceReply | None = keyboard(reply, language, group=group)
    span: tuple[int, int] | None = None
    if not group:
        return Rendered(split_text(text), markup)
    if reply.previous_question and reply.answered_by and reply.kind in (QUESTION, REVIEW, RESULT):
        line, span = answered_line(reply, language)
        text = f"{line}\n\n{text}"
    if reply.kind == QUESTION and reply.question_kind == TEXT and reply.question:
        hint = "ui.reply_to_answer_or_skip" if reply.skippable else "ui.reply_to_answer"
        text = f"{text}\n\n{t(hint, language)}"
        markup = force_reply(reply.question, language)
    elif reply.kind == INVALID and reply.question and _is_text_question(reply.question):
        markup = force_reply(reply.question, language)  # a text answer was refused: try again
    return Rendered(split_text(text), markup, span)


def _is_text_question(key: str) -> bool:
    return is_question(key) and by_key(key).kind == TEXT


def force_reply(question: str, language: str) -> ForceReply:
    """Opens the reply field for the member the message is aimed at (reply or mention)."""
    placeholder = button_label(t(f"q.{question}.short", language))[:MAX_PLACEHOLDER]
    return ForceReply(selective=True, input_field_placeholder=placeholder)


def answered_line(reply: Reply, language: str) -> tuple[str, tuple[int, int]]:
    """The line "Answered by Anna: …", and where the name is in it."""
    answer = reply.answer_text if reply.answer_text else t("ui.skipped", language)
    return named(t("ui.answered_by", language, name=_MARK, answer=answer), reply.answered_by)


def asked_by(rendered: Rendered, name: str, language: str) -> Rendered:
    """``rendered`` with a first line naming the member it is for (to mention them)."""
    line, span = named(t("ui.asked_by", language, name=_MARK), name)
    first = f"{line}\n\n{rendered.chunks[0]}"
    if len(first) > MAX_MESSAGE:
        return rendered
    return Rendered((first, *rendered.chunks[1:]), rendered.markup, span)


_MARK = "\x00\x01name\x01\x00"  # stands for the name while the text is formatted


def named(template: str, name: str | None) -> tuple[str, tuple[int, int]]:
    offset = template.index(_MARK)
    name = name or ""
    return template.replace(_MARK, name, 1), (offset, len(name))


def message_text(reply: Reply, language: str) -> str:
    parts: list[str] = []
    if reply.kind == QUESTION and reply.progress is not None:
        parts.append(progress_text(reply, language))
    if reply.text:
        parts.append(reply.text)
    if reply.notes:
        parts.append("\n".join(reply.notes))
    return "\n\n".join(parts) or "…"  # Telegram refuses empty messages


def answered_text(question_text: str, reply: Reply, *, group: bool, language: str) -> str:
    """The answered question's message: its text plus who answered what (no keyboard)."""
    answer = reply.answer_text if reply.answer_text else t("ui.skipped", language)
    if group and reply.answered_by:
        line = t("ui.answered_by", language, name=reply.answered_by, answer=answer)
    else:
        line = t("ui.answered", language, answer=answer)
    question_text = clip(question_text, MAX_MESSAGE - len(line) - 2)
    return f"{question_text}\n\n{line}" if question_text else line


def keyboard(reply: Reply, language: str, *, group: bool = False) -> InlineKeyboardMarkup | None:
    if reply.plan_id is None:  # nothing to point a button at
        return None
    plan_id, version = reply.plan_id, reply.version or 0

    def button(
        label: str, action: Action, question: str | None = None, option: str | None = None
    ) -> InlineKeyboardButton:
        data = encode(ButtonData(plan_id, version, action, question, option))
        return InlineKeyboardButton(button_label(label), callback_data=data)

    rows: list[list[InlineKeyboardButton]] = []
    if reply.kind == QUESTION and reply.question and is_question(reply.question):
        key = reply.question
        known = set(by_key(key).options)
        options = [o for o in reply.options if o.key in known]
        if len(options) != len(reply.options):
            logger.warning("Reply for %s names options the questionnaire lacks", key)
        match reply.question_kind:
            case "choice":
                rows += [[button(o.label, Action.ANSWER, key, o.key)] for o in options]
            case "scale":
                rows.append([button(o.label, Action.ANSWER, key, o.key) for o in options])
                if group:  # in a group a tap is a vote; Done applies the median
                    rows.append([button(t("ui.done", language), Action.DONE, key)])
            case "multi":
                rows += [
                    [button((CHECK if o.selected else "") + o.label, Action.TOGGLE, key, o.key)]
                    for o in options
                ]
                rows.append([button(t("ui.done", language), Action.DONE, key)])
        nav = []
        if reply.can_go_back:
            nav.append(button(t("ui.back", language), Action.BACK, key))
        if reply.skippable:
            nav.append(button(t("ui.skip", language), Action.SKIP, key))
        if nav:
            rows.append(nav)
    elif reply.kind == REVIEW:
        rows += _review_rows(reply.options, language, button)
        if reply.can_go_back:
            rows.append([button(t("ui.back", language), Action.BACK)])
    return InlineKeyboardMarkup(rows) if rows else None


def _review_rows(
    options: tuple[Option, ...], language: str, button: _ButtonMaker
) -> list[list[InlineKeyboardButton]]:
    rows = []
    for option in options:  # in the service's order
        if option.key == FINISH_OPTION:
            rows.append([button(option.label or t("ui.finish", language), Action.FINISH)])
        elif option.key.startswith(EDIT_PREFIX) and is_question(option.key[len(EDIT_PREFIX) :]):
            key = option.key[len(EDIT_PREFIX) :]
            label = option.label or t("ui.edit", language, question=key)
            rows.append([button(label, Action.EDIT, key)])
        else:
            logger.warning("Review option %r has no button", option.key)
    return rows


def split_text(text: str, limit: int = MAX_MESSAGE) -> tuple[str, ...]:
    """``text`` in pieces of at most ``limit`` characters, cut at line ends when possible."""
    chunks: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = limit
        chunks.append(text[:cut])
        text = text[cut:].lstrip("\n")
    chunks.append(text)
    return tuple(chunks)


def button_label(text: str) -> str:
    """``text`` on one line, cut to what a button shows."""
    return clip(" ".join(text.split()), MAX_LABEL)


def clip(text: str, limit: int) -> str:
    """``text``, cut to ``limit`` characters with "…" when it is longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units), for entity offsets and limits."""
    return len(text.encode("utf-16-le")) // 2
