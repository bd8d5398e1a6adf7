"""The bot's own messages: send a Rendered reply, say an interface text, edit a message.

Every call goes through ``deliver``, so a blocked chat, flood control and network errors are
met the same way wherever a handler writes.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import (
    ForceReply,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.telegram.delivery import deliver
from bot.telegram.deps import deps
from bot.telegram.language import update_language
from bot.telegram.render import Rendered
from flows.texts import t

logger = logging.getLogger(__name__)


async def send(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    rendered: Rendered,
    *,
    reply_to: int | None = None,
    entities: list[MessageEntity] | None = None,
) -> Message | None:
    """Send every chunk; the keyboard goes under the last. Returns the last message sent.

    ``reply_to``: the first chunk replies to that message (and the last too, when it carries
    a ForceReply, which reaches the member replied to). ``entities`` belong to the first chunk.
    """
    last: Message | None = None
    count = len(rendered.chunks)
    for number, chunk in enumerate(rendered.chunks, start=1):
        markup = rendered.markup if number == count else None
        options: dict[str, Any] = {}
        if reply_to is not None and (number == 1 or isinstance(markup, ForceReply)):
            options["reply_parameters"] = ReplyParameters(
                reply_to, allow_sending_without_reply=True
            )
        if entities and number == 1:
            options["entities"] = entities
        if rendered.html:
            options["parse_mode"] = ParseMode.HTML

        async def call(chunk: str = chunk, markup: Any = markup, options: Any = options) -> Message:
            return await context.bot.send_message(chat_id, chunk, reply_markup=markup, **options)

        last = await deliver(context, chat_id, "sendMessage", call)
        if last is None:  # the chat blocked us: the rest would be refused as well
            return None
    return last


async def respond(update: Update, context: ContextTypes.DEFAULT_TYPE, rendered: Rendered) -> None:
    """Send ``rendered`` to the chat of ``update`` (in a group, as a reply to the member)."""
    chat = update.effective_chat
    if chat is None:
        return
    await send(context, chat.id, rendered, reply_to=group_message_id(update))


async def say(update: Update, context: ContextTypes.DEFAULT_TYPE, key: str, **params: Any) -> None:
    """Send one interface text (``ui.*``) to the chat of ``update`` (in a group, as a reply)."""
    text = t(key, update_language(update, context), **params)
    await respond(update, context, Rendered((text,)))


async def edit_ids(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    message_id: int,
    text: str | None,
    markup: InlineKeyboardMarkup | None,
) -> bool:
    """Edit a message now (text None: its buttons only). False when it cannot be edited.

    Handlers go through ``redraw`` instead, so that edits of one message stay in order."""
    bot = context.bot
    try:
        if text is None:
            await deliver(
                context,
                chat_id,
                "editMessageReplyMarkup",
                lambda: bot.edit_message_reply_markup(
                    chat_id=chat_id, message_id=message_id, reply_markup=markup
                ),
            )
        else:
            await deliver(
                context,
                chat_id,
                "editMessageText",
                lambda: bot.edit_message_text(
                    text, chat_id=chat_id, message_id=message_id, reply_markup=markup
                ),
            )
    except BadRequest as exc:  # e.g. older than 48 hours or deleted: cosmetic, carry on
        logger.info("Could not edit message %s in chat %s: %s", message_id, chat_id, exc)
        return False
    return True


def redraw(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    message_id: int,
    text: str | None,
    markup: InlineKeyboardMarkup | None,
    on_fail: Callable[[], Awaitable[Any]] | None = None,
) -> None:
    """Edit a message soon, merged with other redraws of it (see ``redraw``); returns at once.

    ``on_fail`` runs when the message cannot be edited (e.g. deleted): send it anew.
    """

    async def draw() -> None:
        if not await edit_ids(context, chat_id, message_id, text, markup) and on_fail:
            await on_fail()

    deps(context).redraws.submit((chat_id, message_id), draw)


def group_message_id(update: Update) -> int | None:
    """In a group, the member's message to reply to; None in private chats."""
    message = update.message
    if message is None or message.chat.type == ChatType.PRIVATE:
        return None
    return message.message_id
