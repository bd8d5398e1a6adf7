"""Calls to Telegram with the error policy the design asks for.

- RetryAfter (flood control): ``AIORateLimiter(max_retries=2)`` waits ``retry_after`` and
  retries the call (and holds back every other call meanwhile); one that still fails is raised.
- Forbidden (the member blocked the bot, or it was removed from the group): stop sending to
  that chat and keep its data; logged at INFO. The chat is unblocked when it writes again.
- BadRequest "message is not modified": nothing to do.
- TimedOut / NetworkError: retried once, then raised to the error handler (which logs it and
  tells the member, if it can, that the answers are safe).
The chat's plan is stored before any of this runs, so a failed send never loses an answer.

Groups: Telegram lets a bot send about 20 messages a minute to one group. ``RateLimiter`` paces
every call aimed at a group (sends and edits) to that, but not the calls that only read
(``getChatMember`` for admin checks), so checking a member never delays the conversation, and
not the answers to taps (``answerCallbackQuery``), which are never queued behind anything.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from telegram import CallbackQuery
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, Application, ContextTypes

logger = logging.getLogger(__name__)

T = TypeVar("T")
JSONDict = dict[str, Any]

NETWORK_RETRIES = 1
NETWORK_RETRY_DELAY = 0.5  # seconds; tests set it to 0
RATE_LIMIT_RETRIES = 2  # passed to AIORateLimiter
GROUP_MESSAGES_PER_MINUTE = 20  # Telegram's limit per group; read when a limiter is built
# Bot API methods that post nothing into a chat: not paced by the per-group limit.
READ_ONLY_METHODS = frozenset(
    {"getChat", "getChatMember", "getChatAdministrators", "getChatMemberCount"}
)
# Answers to taps: not paced at all, so a tap's spinner never waits behind other chats' sends.
UNPACED_METHODS = frozenset({"answerCallbackQuery"})
MAX_TOAST = 200  # Telegram's limit for answerCallbackQuery text

_BLOCKED = "blocked_chats"


def blocked_chats(app: Application) -> set[int]:  # type: ignore[type-arg]
    """Chats that refused our messages (Forbidden); kept in memory only."""
    return app.bot_data.setdefault(_BLOCKED, set())  # type: ignore[no-any-return]


class RateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter (overall and per-group pacing, RetryAfter retries), except that
    read-only calls about a group do not use up the group's message budget."""

    def __init__(self, max_retries: int = RATE_LIMIT_RETRIES) -> None:
        super().__init__(group_max_rate=GROUP_MESSAGES_PER_MINUTE, max_retries=max_retries)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        if endpoint in UNPACED_METHODS:
            # Stops a spinner; posts nothing into a chat. Never queued behind messages.
            return await callback(*args, **kwargs)
        if endpoint in READ_ONLY_METHODS:
            # ``data`` only tells the limiter which chat a call is for; the request itself
            # is sent from ``args``, unchanged.
            data = {key: value for key, value in data.items() if key != "chat_id"}
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )


def is_not_modified(exc: BaseException) -> bool:
    return isinstance(exc, BadRequest) and "not modified" in exc.message.lower()


async def deliver(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    what: str,
    call: Callable[[], Awaitable[T]],
) -> T | None:
    """Run one Bot API ``call`` aimed at ``chat_id``; None when it was skipped or moot."""
    blocked = blocked_chats(context.application)
    if chat_id in blocked:
        logger.debug("Not sending %s to chat %s: it blocked the bot", what, chat_id)
        return None
    failures = 0
    while True:
        try:
            return await call()
        except Forbidden as exc:
            blocked.add(chat_id)
            logger.info("Chat %s refuses messages (%s); stopped sending to it", chat_id, exc)
            return None
        except BadRequest as exc:  # a NetworkError subclass: must come before it
            if is_not_modified(exc):
                logger.debug("%s in chat %s: message not modified", what, chat_id)
                return None
            raise
        except RetryAfter:
            logger.warning("Flood control still on after retries: %s to chat %s", what, chat_id)
            raise
        except NetworkError as exc:  # includes TimedOut
            if failures >= NETWORK_RETRIES:
                logger.warning("%s to chat %s failed again: %s", what, chat_id, exc)
                raise
            failures += 1
            logger.info("%s to chat %s failed (%s); retrying", what, chat_id, exc)
            await asyncio.sleep(NETWORK_RETRY_DELAY)


async def answer_query(query: CallbackQuery, toast: str | None = None) -> None:
    """Answer a callback query (stops the client's spinner); never raises.

    A query older than about 15 seconds cannot be answered any more; nothing is lost then.
    """
    text = toast[: MAX_TOAST - 1] + "…" if toast and len(toast) > MAX_TOAST else toast
    for attempt in range(NETWORK_RETRIES + 1):
        try:
            await query.answer(text=text, show_alert=False)
            return
        except BadRequest as exc:
            logger.debug("Callback query %s not answered: %s", query.id, exc)
            return
        except NetworkError as exc:
            if attempt >= NETWORK_RETRIES:
                logger.warning("Callback query %s not answered: %s", query.id, exc)
                return
            await asyncio.sleep(NETWORK_RETRY_DELAY)
        except TelegramError as exc:
            logger.warning("Callback query %s not answered: %s", query.id, exc)
            return
