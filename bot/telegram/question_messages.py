"""The messages that show questions: send a Reply, mark the answered one, and remember which
message shows which question.

``chat_data`` only remembers which messages show questions, to tidy them up and to tell which
question a reply in a group answers; losing that is cosmetic (a reply is then matched by the
question's text, or taken for the current one).
"""

from __future__ import annotations

import logging
from typing import TypedDict

from telegram import Chat, ForceReply, Message, MessageEntity, User
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.telegram.language import chat_language
from bot.telegram.messages import redraw, send
from bot.telegram.refs import member_ref
from bot.telegram.render import answered_text, asked_by, render, utf16_len
from flows.questionnaire import QUESTIONS, REVIEW
from flows.reply import CONFLICT, INVALID, QUESTION, RESULT, STALE, Reply
from flows.reply import REVIEW as REVIEW_REPLY
from flows.texts import languages, t

logger = logging.getLogger(__name__)

REFUSED = frozenset({STALE, INVALID, CONFLICT})  # reply kinds that changed nothing
MAX_SHOWN = 50  # question messages remembered per group
_CURRENT = "question_message"  # chat_data key: the message showing the question
_SHOWN = "question_messages"  # chat_data key (groups): message id -> question it shows


class QuestionMessage(TypedDict):
    """The message showing the chat's current question, as remembered in ``chat_data``."""

    id: int
    text: str
    question: str | None
    buttons: bool  # False: a ForceReply question, with no buttons to remove


# --- showing a reply -------------------------------------------------------------------------


async def show(
    context: ContextTypes.DEFAULT_TYPE,
    chat: Chat,
    reply: Reply,
    *,
    tidy: bool,
    reply_to: int | None = None,
    mention: User | None = None,
) -> None:
    """Send ``reply``; with ``tidy``, first mark the question it answers as answered.

    One live copy: when a question (or the review, or a result) is shown anew, the message
    that showed the chat's question before loses its buttons, so two members sending /plan
    never hold two working copies.

    In a group the message replies to ``reply_to`` (the member's message), or else mentions
    ``mention``, so that a selective ForceReply opens the reply field for that member.
    """
    lang = reply.language or chat_language(context, chat)
    group = chat.type != ChatType.PRIVATE
    if reply.kind in (QUESTION, REVIEW_REPLY, RESULT) or (
        tidy and reply.previous_question is not None and reply.kind not in REFUSED
    ):
        remembered = _take_current(context)
        if remembered and remembered.get("buttons", True):  # a ForceReply question has none
            if tidy and remembered["question"] == reply.previous_question:
                _tidy_answered(context, chat, remembered, reply)
            else:
                redraw(context, chat.id, remembered["id"], None, None)
    rendered = render(reply, lang, group=group)
    entities: list[MessageEntity] | None = None
    if group and isinstance(rendered.markup, ForceReply) and reply_to is None and mention:
        if rendered.name_span is None:
            rendered = asked_by(rendered, member_ref(mention).name, lang)
        if rendered.name_span is not None:
            entities = [_mention(rendered.chunks[0], rendered.name_span, mention)]
    sent = await send(context, chat.id, rendered, reply_to=reply_to, entities=entities)
    if sent is not None and reply.kind in (QUESTION, REVIEW_REPLY):
        remember(context, chat, sent.message_id, sent.text or rendered.chunks[-1], reply)


def _mention(text: str, span: tuple[int, int], user: User) -> MessageEntity:
    """A mention of ``user`` over ``span`` of ``text`` (Telegram counts UTF-16 code units)."""
    offset, length = span
    return MessageEntity(
        MessageEntity.TEXT_MENTION,
        offset=utf16_len(text[:offset]),
        length=utf16_len(text[offset : offset + length]),
        user=user,
    )


def _tidy_answered(
    context: ContextTypes.DEFAULT_TYPE, chat: Chat, remembered: QuestionMessage, reply: Reply
) -> None:
    lang = reply.language or chat_language(context, chat)
    group = chat.type != ChatType.PRIVATE
    text = answered_text(remembered["text"], reply, group=group, language=lang)
    redraw(context, chat.id, remembered["id"], text, None)


def is_old_copy(context: ContextTypes.DEFAULT_TYPE, message_id: int) -> bool:
    """Whether ``message_id`` shows an older copy of the chat's question (its buttons were
    removed when a newer copy was sent, but a tap was already on its way).

    Telegram numbers a chat's messages upwards, so only a lower id is older: a higher one was
    sent by another bot instance sharing the chat, whose ``chat_data`` this one never sees.
    """
    remembered = current(context)
    return remembered is not None and remembered["id"] > message_id


# --- remembering which message shows what ---------------------------------------------------


def remember(
    context: ContextTypes.DEFAULT_TYPE, chat: Chat, message_id: int, text: str, reply: Reply
) -> None:
    """Note that ``message_id`` now shows ``reply``'s question."""
    if context.chat_data is None:
        return
    rendered_buttons = reply.kind == REVIEW_REPLY or reply.question_kind != "text"
    buttons = rendered_buttons or chat.type == ChatType.PRIVATE
    # The text is kept only to mark the question answered (``_tidy_answered``); the review is
    # never an answered question, and its text is the longest (~1.7 KB per chat).
    if reply.kind == REVIEW_REPLY:
        text = ""
    context.chat_data[_CURRENT] = QuestionMessage(
        id=message_id, text=text, question=reply.question, buttons=buttons
    )
    if chat.type != ChatType.PRIVATE and reply.question:
        shown: dict[int, str] = context.chat_data.setdefault(_SHOWN, {})
        shown.pop(message_id, None)  # re-insert: the newest last
        shown[message_id] = reply.question
        while len(shown) > MAX_SHOWN:
            del shown[next(iter(shown))]


def current(context: ContextTypes.DEFAULT_TYPE) -> QuestionMessage | None:
    """The message showing the chat's current question, when this process knows it."""
    return context.chat_data.get(_CURRENT) if context.chat_data else None


def done_with(context: ContextTypes.DEFAULT_TYPE, message_id: int) -> None:
    """``message_id`` shows no current question any more (it was answered in place)."""
    remembered = current(context)
    if remembered and remembered["id"] == message_id:
        _take_current(context)


def forget_all(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Nothing is shown any more (everything stored for the chat was deleted)."""
    if context.chat_data is not None:
        context.chat_data.pop(_CURRENT, None)
        context.chat_data.pop(_SHOWN, None)


def _take_current(context: ContextTypes.DEFAULT_TYPE) -> QuestionMessage | None:
    return context.chat_data.pop(_CURRENT, None) if context.chat_data is not None else None


# --- which question a reply answers (groups) -------------------------------------------------


def replied_question(message: Message, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    """The question shown by the bot's message that ``message`` replies to, if known."""
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return None
    shown = context.chat_data.get(_SHOWN, {}) if context.chat_data is not None else {}
    if replied.message_id in shown:
        return shown[replied.message_id]  # type: ignore[no-any-return]
    # Not shown by this process (restarted, or another instance): recognise the question by
    # its text. None when there is no single match: then the line goes to the current one.
    return question_in(replied.text or "", chat_language(context, replied.chat))


def question_in(text: str, language: str) -> str | None:
    """The one question (or the review) whose text ``text`` shows, else None.

    The chat's language is tried first; then every other one (the question may have been
    asked before the chat's language changed).
    """
    for lang in (language, *(other for other in languages() if other != language)):
        found = [q.key for q in QUESTIONS if t(f"q.{q.key}.text", lang) in text]
        if t("ui.review", lang) in text:
            found.append(REVIEW)
        if found:
            return found[0] if len(found) == 1 else None
    return None
