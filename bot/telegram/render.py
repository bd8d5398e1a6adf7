"""Reply → Telegram message: text chunks and an inline keyboard.

Nothing here writes domain text: the question, options and results come in the Reply, and
the few interface words (progress, Back, Skip, Done, "Your answer") come from ``ui.*`` keys.
Messages are plain text (no parse mode), so member-typed answers never need escaping; only a
result's first message is HTML (escaped here), for its emphasis.

Phone rules (a phone shows ~35–40 characters a line; buttons are cut past ~25):
- no button label over ``MAX_LABEL``; short labels share a row (``grid``) when they fit
  ``ROW_CHARS`` together, longer ones get a row each;
- scales are plain 1–5 buttons (the question's text holds the legend);
- a result's first message stays short, with buttons leading on, the reasoning behind one;
- the review has two buttons; "Change an answer" opens a paged picker in the same message.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup

from bot.telegram.callback_data import (
    Action,
    ResultButton,
    encode_button,
    encode_result,
)
from flows.questionnaire import TEXT, by_key, is_question
from flows.render import progress_text
from flows.reply import INVALID, QUESTION, RESULT, REVIEW, Reply
from flows.texts import t

logger = logging.getLogger(__name__)

MAX_MESSAGE = 4096  # Telegram's limit for a message text
MAX_LABEL = 24  # a phone cuts inline buttons past about 25 characters
ROW_CHARS = 34  # labels sharing a row fit this together (plus about 2 per extra button)
PICKER_PAGE = 10  # questions per page of the "change an answer" picker
MAX_PLACEHOLDER = 64  # Telegram's limit for ForceReply.input_field_placeholder
CHECK = "✓ "
EDIT_PREFIX = "edit:"


@dataclass(frozen=True)
class Rendered:
    """One Reply as Telegram messages: the keyboard goes under the last chunk.

    ``name_span`` is (offset, length) of a member's name in the first chunk, in characters:
    the transport turns it into a mention, so that a selective ForceReply reaches that member.
    """

    chunks: tuple[str, ...]
    markup: InlineKeyboardMarkup | ForceReply | None = None
    name_span: tuple[int, int] | None = None
    html: bool = False  # the chunks are Telegram HTML (parse_mode HTML)


def render(reply: Reply, language: str, *, group: bool = False) -> Rendered:
    """``reply`` as messages. In a group a step after an answer starts with who gave it, and
    a text question asks for a reply to its message (``ForceReply``): with privacy mode on,
    replies to the bot's messages are the only plain messages it sees.
    """
    if reply.kind == RESULT:
        return render_result(reply, language)
    text = message_text(reply, language)
    markup: InlineKeyboardMarkup | ForceReply | None = keyboard(reply, language, group=group)
    span: tuple[int, int] | None = None
    if not group:
        return Rendered(split_text(text), markup)
    if reply.header and reply.kind in (QUESTION, REVIEW):
        # Who answered the step before, and how: on every drawing of this step, so a later
        # vote or tick never wipes it. The closing member's name is where a mention goes.
        text = f"{reply.header}\n\n{text}"
        name = reply.answered_by or ""
        at = reply.header.rfind(name) if name else -1
        span = (at, len(name)) if at >= 0 else None
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


def render_result(reply: Reply, language: str) -> Rendered:
    """A result's first message: the form in bold, then what it means; buttons lead on."""
    first, _, rest = (reply.text or "…").partition("\n")
    text = f"<b>{html.escape(first, quote=False)}</b>"
    if rest:
        text += "\n" + html.escape(rest, quote=False)
    if reply.header:
        text = f"<i>{html.escape(reply.header, quote=False)}</i>\n\n{text}"
    return Rendered((text,), result_keyboard(reply, language), html=True)


def result_keyboard(reply: Reply, language: str) -> InlineKeyboardMarkup | None:
    if reply.plan_id is None:
        return None
    plan_id = reply.plan_id

    def button(what: str) -> InlineKeyboardButton:
        data = encode_result(ResultButton(plan_id, what))
        return InlineKeyboardButton(button_label(t(f"ui.{what}", language)), callback_data=data)

    rows = [[button("checklist"), button("tasks"), button("agreement")]]
    last = [button("why")] if reply.details else []
    if reply.can_invite:
        last.append(button("invite"))
    if last:
        rows.append(last)
    return InlineKeyboardMarkup(rows)


def visible_length(text: str) -> int:
    """How many characters of an HTML message a member sees (tags and entities resolved)."""
    return len(html.unescape(re.sub(r"<[^>]+>", "", text)))


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
        data = encode_button(plan_id, version, action, question, option)
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
                rows += grid([button(o.label, Action.ANSWER, key, o.key) for o in options])
            case "scale" if group and reply.spread is not None:
                # Votes far apart: the group settles it before the plan moves on.
                value = str(reply.spread)
                rows.append(
                    [
                        button(t("ui.use_value", language, value=value), Action.USE, key, value),
                        button(t("ui.vote_again", language), Action.REVOTE, key),
                    ]
                )
            case "scale":
                # Plain numbers: the question's text holds the legend.
                rows.append([button(o.key, Action.ANSWER, key, o.key) for o in options])
                if group:  # in a group a tap is a vote; Done applies the median
                    rows.append([button(t("ui.done", language), Action.DONE, key)])
            case "multi":
                rows += grid(
                    [
                        button((CHECK if o.selected else "") + o.label, Action.TOGGLE, key, o.key)
                        for o in options
                    ]
                )
                rows.append([button(t("ui.done", language), Action.DONE, key)])
        nav = []
        if reply.can_go_back:
            nav.append(button(t("ui.back", language), Action.BACK, key))
        if reply.skippable:
            nav.append(button(t("ui.skip", language), Action.SKIP, key))
        if nav:
            rows.append(nav)
    elif reply.kind == REVIEW:
        rows.append(
            [
                button(t("ui.finish", language), Action.FINISH),
                _pick_button(plan_id, version, 0, t("ui.change_answer", language)),
            ]
        )
        if reply.can_go_back:
            rows.append([button(t("ui.back", language), Action.BACK)])
    return InlineKeyboardMarkup(rows) if rows else None


def _pick_button(plan_id: int, version: int, page: int, label: str) -> InlineKeyboardButton:
    data = encode_button(plan_id, version, Action.PICK, page=page)
    return InlineKeyboardButton(button_label(label), callback_data=data)


def picker(reply: Reply, language: str, page: int) -> InlineKeyboardMarkup | None:
    """The review's "change an answer" picker: a page of questions (their short names) in a
    grid, ◀ ▶ between pages, and a way back to the review's two buttons."""
    if reply.plan_id is None or reply.kind != REVIEW:
        return None
    plan_id, version = reply.plan_id, reply.version or 0
    edits = [
        (o.key[len(EDIT_PREFIX) :], t(f"q.{o.key[len(EDIT_PREFIX) :]}.short", language))
        for o in reply.options
        if o.key.startswith(EDIT_PREFIX) and is_question(o.key[len(EDIT_PREFIX) :])
    ]
    pages = max(1, -(-len(edits) // PICKER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = edits[page * PICKER_PAGE : (page + 1) * PICKER_PAGE]
    rows = grid(
        [
            InlineKeyboardButton(
                button_label(label),
                callback_data=encode_button(plan_id, version, Action.EDIT, key),
            )
            for key, label in shown
        ]
    )
    if pages > 1:
        rows.append(
            [
                _pick_button(plan_id, version, (page - 1) % pages, t("ui.page_prev", language)),
                _pick_button(plan_id, version, (page + 1) % pages, t("ui.page_next", language)),
            ]
        )
    rows.append(
        [
            InlineKeyboardButton(
                button_label(t("ui.back_to_review", language)),
                callback_data=encode_button(plan_id, version, Action.PICK, page=MAX_PICK),
            )
        ]
    )
    return InlineKeyboardMarkup(rows)


MAX_PICK = 99  # the PICK "page" that means: back to the review's own buttons


def grid(buttons: list[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    """Buttons two to a row when their labels fit a phone's width together, else one."""
    rows: list[list[InlineKeyboardButton]] = []
    for button in buttons:
        last = rows[-1] if rows else None
        if last is not None and len(last) == 1 and row_fits([last[0].text, button.text]):
            last.append(button)
        else:
            rows.append([button])
    return rows


def row_fits(labels: list[str]) -> bool:
    """Whether labels fit one row of a phone screen side by side."""
    return sum(len(label) for label in labels) + 2 * (len(labels) - 1) <= ROW_CHARS


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
