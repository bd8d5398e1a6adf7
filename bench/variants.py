"""The bots under test, each a real ``telegram.ext.Application`` on an ``OfflineRequest``.

* ``partnerbot``: Partnerbot as shipped, ``bot.telegram.app.build_application`` around the
  real PlanningService and SqlStore (an SQLite file with the product defaults, or PostgreSQL).
* ``conversation``: the baseline, a python-telegram-bot ``ConversationHandler`` bot that keeps
  its state in memory. It has one state per step of the member's walk (``bench.walk``) and
  makes the same Bot API calls Partnerbot made at that step (same texts, same keyboards, same
  edits of the tapped or the remembered message), building its keyboards per reply.
* ``echo``: one handler that answers every update with one message (and answers the callback
  query of a tap): the framework's floor.

Flood control: Partnerbot's Application paces its sends with an ``AIORateLimiter`` at
Telegram's limits (30 messages a second overall), which would make any benchmark measure
Telegram's limit instead of the bot. Its limiter keeps its class and retries but its pacing is
turned off, and the baselines get an ``AIORateLimiter`` with pacing off and the same retries:
the same code path everywhere, no waiting.

Updates go through each Application's update processor, as in production: Partnerbot's
processes chats concurrently (in order within a chat), PTB's default one at a time. The
benchmark hands over one update at a time and waits for it, so only the processor's own cost
shows, and latency is the latency of one update.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bench.walk import TAPPED, Call, Script
from bot.telegram.offline import TOKEN, OfflineRequest

PARTNERBOT = "partnerbot"
CONVERSATION = "conversation"
ECHO = "echo"

RATE_LIMIT_RETRIES = 2  # Partnerbot's (bot.telegram.delivery); the baselines use the same

AnyApp = Application[Any, Any, Any, Any, Any, Any]


def unpaced_limiter() -> AIORateLimiter:
    return AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=RATE_LIMIT_RETRIES)


def unpace(limiter: object) -> None:
    """Turn off the pacing of Partnerbot's own limiter (an ``AIORateLimiter`` subclass), so
    that its calls take the same path as the baselines': no waiting, same retries."""
    if not isinstance(limiter, AIORateLimiter):  # pragma: no cover - the app changed
        raise RuntimeError(f"cannot turn off flood-control pacing of {limiter!r}")
    # What AIORateLimiter.__init__ sets for overall_max_rate=0 and group_max_rate=0.
    limiter._base_limiter = None  # type: ignore[attr-defined]
    limiter._group_max_rate = 0  # type: ignore[attr-defined]
    limiter._group_time_period = 0  # type: ignore[attr-defined]


@dataclass
class Stored:
    """What the database holds for the chats of a round (Partnerbot only)."""

    checked: int  # chats looked at
    done: int  # of them, chats whose current plan is finished
    answers: int  # answer history rows of those plans


class Variant:
    name: str
    api: OfflineRequest
    app: AnyApp

    async def start(self) -> None:
        await self.app.initialize()  # getMe, answered offline

    async def close(self) -> None:
        await self.app.shutdown()

    def finished(self, chat_id: int, script: Script) -> bool:
        """Whether the chat's member got to the end of the walk."""
        message = self.api.last_message(chat_id)
        return message is not None and message.get("text") == script.final_text

    async def stored(self, chat_ids: list[int]) -> Stored | None:
        return None


def _builder(api: OfflineRequest) -> ApplicationBuilder[Any, Any, Any, Any, Any, Any]:
    return (
        ApplicationBuilder()
        .token(TOKEN)
        .request(api)
        .get_updates_request(OfflineRequest(history=False))
        .rate_limiter(unpaced_limiter())
    )


class Partnerbot(Variant):
    def __init__(self, url: str, name: str = PARTNERBOT, instance: int = 0, of: int = 1) -> None:
        self.name = name
        self.url = url
        # Instance ``instance`` of ``of`` sharing the chats: message ids of its own.
        self.api = OfflineRequest(history=False, first_id=100 + instance, id_step=of)
        self.store: Any = None

    async def start(self) -> None:
        from bot.config import Settings
        from bot.telegram.app import build_application
        from flows.service import PlanningService
        from storage.store import SqlStore

        self.store = await SqlStore.open(self.url)
        service = PlanningService(self.store)
        settings = Settings(token=TOKEN, database_url=self.url)
        self.app = build_application(
            settings, service, request=self.api, get_updates_request=OfflineRequest(history=False)
        )
        unpace(self.app.bot.rate_limiter)
        await super().start()

    async def settle(self) -> None:
        """Wait for what the last update sent alongside (the tap's answer, redraws): part of
        the update's work, and the member's next tap reads the redrawn buttons."""
        from bot.telegram.deps import DEPS

        await self.app.bot_data[DEPS].redraws.drain()

    async def close(self) -> None:
        await super().close()
        if self.store is not None:
            await self.store.close()

    async def stored(self, chat_ids: list[int]) -> Stored:
        from flows.model import DONE, ChatRef

        done = answers = 0
        for chat_id in chat_ids:
            async with self.store.session(ChatRef("telegram", str(chat_id))) as session:
                plan = await session.current_plan()
                if plan is not None and plan.status == DONE and plan.id is not None:
                    done += 1
                    answers += len(await session.answer_history(plan.id))
        return Stored(len(chat_ids), done, answers)


# --- the baseline: PTB's ConversationHandler, in memory -------------------------------------

_QUESTION = "question"  # chat_data key: the message to tidy up when the member types


def _markup(keyboard: tuple[tuple[tuple[str, str], ...], ...] | None) -> Any:
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in keyboard
        ]
    )


def _replay(calls: tuple[Call, ...], next_state: int) -> Any:
    """A state callback that answers like Partnerbot did at this step."""

    async def callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        query = update.callback_query
        chat = update.effective_chat
        assert chat is not None
        chat_data: dict[str, Any] = context.chat_data  # type: ignore[assignment]
        for call in calls:
            if call.method == "answerCallbackQuery" and query is not None:
                await query.answer(text=call.text)
            elif call.method == "sendMessage":
                sent = await context.bot.send_message(
                    chat.id, call.text or "…", reply_markup=_markup(call.keyboard)
                )
                chat_data[_QUESTION] = sent.message_id
            elif call.method == "editMessageText":
                if call.target == TAPPED and query is not None:
                    await query.edit_message_text(
                        call.text or "…", reply_markup=_markup(call.keyboard)
                    )
                elif _QUESTION in chat_data:
                    await context.bot.edit_message_text(
                        call.text or "…",
                        chat_id=chat.id,
                        message_id=chat_data[_QUESTION],
                        reply_markup=_markup(call.keyboard),
                    )
            elif call.method == "editMessageReplyMarkup" and query is not None:
                await query.edit_message_reply_markup(_markup(call.keyboard))
        return next_state

    return callback


class Conversation(Variant):
    def __init__(self, script: Script) -> None:
        self.name = CONVERSATION
        self.api = OfflineRequest(history=False)
        self.app = _builder(self.api).build()
        steps = script.steps
        states: dict[object, list[Any]] = {}
        for index, step in enumerate(steps[1:], start=1):
            after = ConversationHandler.END if index == len(steps) - 1 else index + 1
            callback = _replay(step.calls, after)
            if step.kind == "tap":
                states[index] = [CallbackQueryHandler(callback)]
            else:
                states[index] = [MessageHandler(filters.TEXT & ~filters.COMMAND, callback)]
        entry = CommandHandler(steps[0].text.lstrip("/"), _replay(steps[0].calls, 1))
        with warnings.catch_warnings():
            # per_message=False with CallbackQueryHandlers: one conversation per chat and user
            # is exactly what is wanted here.
            warnings.simplefilter("ignore", PTBUserWarning)
            handler = ConversationHandler(entry_points=[entry], states=states, fallbacks=[])
        self.app.add_handler(handler)


# --- the floor: one handler that replies ------------------------------------------------------


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()
    message = update.effective_message
    chat = update.effective_chat
    if chat is not None:
        text = message.text if message is not None and message.text else "…"
        await context.bot.send_message(chat.id, text)


class Echo(Variant):
    def __init__(self) -> None:
        self.name = ECHO
        self.api = OfflineRequest(history=False)
        self.app = _builder(self.api).build()
        self.app.add_handler(TypeHandler(Update, _echo))

    def finished(self, chat_id: int, script: Script) -> bool:
        return chat_id in self.api.newest


def make(
    kind: str,
    script: Script | None,
    url: str | None = None,
    name: str = "",
    instance: int = 0,
    of: int = 1,
) -> Variant:
    if kind == PARTNERBOT:
        assert url is not None
        return Partnerbot(url, name or PARTNERBOT, instance, of)
    if kind == CONVERSATION:
        assert script is not None
        return Conversation(script)
    if kind == ECHO:
        return Echo()
    raise ValueError(f"unknown variant {kind!r}")


def quiet_logs(names: Iterable[str] = ("", "telegram", "httpx", "bot", "storage")) -> None:
    """Warnings and errors only: the benchmark measures the bot, not its log output."""
    for name in names:
        logging.getLogger(name).setLevel(logging.WARNING)
