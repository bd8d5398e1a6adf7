"""Taps on inline buttons: each answered exactly once, a garbled or foreign one refused.

Telegram hands back whatever callback data a client sends, so the data is untrusted input;
the client shows a spinner on the button until the tap is answered.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any, TypeVar

from telegram import CallbackQuery, Chat, MaybeInaccessibleMessage, Update, User
from telegram.ext import CallbackQueryHandler, ContextTypes

from bot.telegram.delivery import answer_query
from bot.telegram.deps import deps
from flows.texts import t

logger = logging.getLogger(__name__)

DataT = TypeVar("DataT")  # decoded callback data


class CallbackDataHandler(CallbackQueryHandler[Any, None]):
    """Only taps whose data starts with ``prefix`` and matches ``pattern``. PTB hands a tap
    without data (or with empty data) to every pattern handler; such taps are left to the
    adapter's own button handler.

    Every tap on a question is checked against each of these handlers before it reaches the
    question buttons' own: ``prefix`` (each format's first characters, which its pattern
    requires too) refuses another format's data at once, without the pattern's parse."""

    def __init__(self, callback: Any, pattern: Any, *, prefix: str) -> None:
        super().__init__(callback, pattern=pattern)
        self.prefix = prefix

    def check_update(self, update: object) -> bool | object | None:
        if not isinstance(update, Update) or not update.callback_query:
            return None
        data = update.callback_query.data
        if not data:
            return None
        if not isinstance(data, str) or not data.startswith(self.prefix):
            return False
        return super().check_update(update)


class AnswerOnce:
    """``async with AnswerOnce(query, context) as tap:`` answers ``query`` exactly once.

    ``await tap.answer()`` answers at once (an accepted tap: stop the spinner before the slower
    work); otherwise leaving the block answers with ``tap.toast``. When something in it raised
    before the tap was answered (the database refused the write: locked, full, read-only),
    nothing was stored, and the toast says so: a silent answer would look like an accepted tap.

    The answer is sent alongside, not waited for: the chat's next update (the next tap of a
    burst) need not wait for this answer's round trip to Telegram.
    """

    def __init__(self, query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE) -> None:
        self.query = query
        self.context = context
        self.toast: str | None = None
        self.answered = False

    async def answer(self, toast: str | None = None) -> None:
        self.answered = True
        deps(self.context).redraws.alongside(answer_query(self.query, toast))

    async def __aenter__(self) -> AnswerOnce:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not self.answered:
            failed = isinstance(exc, Exception)
            await self.answer(
                t("ui.not_saved", deps(self.context).language) if failed else self.toast
            )


def tap_of(
    update: Update, query: CallbackQuery, kind: str, data: DataT | None
) -> tuple[Chat, User, MaybeInaccessibleMessage, DataT] | None:
    """The chat, user, message and decoded ``data`` of a tap worth acting on.

    None (and logged) for garbage, a forged button, or a button of an inline message: such a
    tap is never acted on.
    """
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or query.message is None or data is None:
        logger.warning(
            "Refused %s %r from user %s in chat %s",
            kind,
            (query.data or "")[:80],
            user.id if user else None,
            chat.id if chat else None,
        )
        return None
    return chat, user, query.message, data


def log_race(kind: str, plan_id: int, user: User, chat: Chat) -> None:
    """Another member (or bot instance) changed the plan first: ordinary, nothing changed."""
    logger.info(
        "Lost a race: %s for plan %s from user %s in chat %s came after another change; "
        "not applied",
        kind,
        plan_id,
        user.id,
        chat.id,
    )


def log_foreign(kind: str, plan_id: int, user: User, chat: Chat, chats_plan: int | None) -> None:
    """A button of another plan: an old plan of this chat, or one forged or copied from
    another chat. Nothing was changed."""
    logger.warning(
        "Refused %s for plan %s from user %s in chat %s (chat's plan: %s)",
        kind,
        plan_id,
        user.id,
        chat.id,
        chats_plan,
    )
