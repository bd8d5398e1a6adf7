"""Builds the PTB Application: token, API base URL, rate limiter, handlers, command menu.

Updates are processed concurrently (``ChatOrderedUpdateProcessor``): many chats at once, but
the updates of one chat one after the other, in the order Telegram sent them, so one member's
quick taps (tick, tick, Done) apply in order. Correctness between members, and between bot
instances sharing one database, does not rest on that ordering: the store's version-checked
write lets exactly one of two simultaneous answers win, and the other member is told who won.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeDefault,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
)
from telegram.request import BaseRequest

from bot.config import Settings, require_token
from bot.locales import install_catalogs
from bot.telegram import work
from bot.telegram.delivery import RATE_LIMIT_RETRIES, RateLimiter
from bot.telegram.deps import DEPS, ChatLanguages, Deps, Service
from bot.telegram.handlers import COMMANDS, HANDLERS, on_error
from bot.telegram.language import LanguageNotingService
from flows.texts import DEFAULT_LANGUAGE, languages, t

logger = logging.getLogger(__name__)

# The command menu, in the order members see it. Each has a ui.cmd_<name> description.
MENU = (*COMMANDS, *work.COMMANDS)
# Only a group's administrators may use these there, so only their menu lists them.
ADMIN_ONLY = frozenset({"restart", "forget", "language"})
# Menus per scope: (scope, commands). Telegram shows a member the most specific one: in a
# group an administrator gets the administrators' menu, everyone else the groups' one.
MENU_SCOPES: tuple[tuple[BotCommandScope, tuple[str, ...]], ...] = (
    (BotCommandScopeDefault(), tuple(c for c in MENU if c not in ADMIN_ONLY)),
    (BotCommandScopeAllPrivateChats(), MENU),
    (BotCommandScopeAllGroupChats(), tuple(c for c in MENU if c not in ADMIN_ONLY)),
    (BotCommandScopeAllChatAdministrators(), MENU),
)

# Updates in progress at once, over all chats (each may hold a database connection).
MAX_CONCURRENT_UPDATES = 32


class ChatOrderedUpdateProcessor(BaseUpdateProcessor):
    """Processes updates concurrently, except that updates of the same chat wait for the
    earlier ones of that chat. Updates without a chat run at once."""

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._last: dict[int, asyncio.Future[None]] = {}  # chat id -> its latest update
        # Called with each finished update (build_application drops PTB's empty chat data).
        self.after: Callable[[Update], None] | None = None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        # Queue up behind the chat's latest update; no await before this, so the queue keeps
        # the order in which PTB started the updates (the order Telegram sent them).
        before = self._last.get(chat.id)
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._last[chat.id] = mine
        try:
            if before is not None:
                try:
                    await asyncio.shield(before)
                except BaseException:  # cancelled while waiting (shutdown): never started
                    if inspect.iscoroutine(coroutine):
                        coroutine.close()
                    raise
            await coroutine
        finally:
            mine.set_result(None)
            if self._last.get(chat.id) is mine:
                del self._last[chat.id]
            if self.after is not None and isinstance(update, Update):
                self.after(update)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def build_application(
    settings: Settings,
    service: Service,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    update_processor: ChatOrderedUpdateProcessor | None = None,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The Application, ready for ``initialize()`` or ``run_polling``/``run_webhook``.

    ``request``/``get_updates_request`` replace PTB's HTTPXRequest (tests pass offline ones).
    ``update_processor`` replaces the plain ChatOrderedUpdateProcessor (``partnerbot run``
    passes one that also counts and logs, ``bot.telegram.observed``).
    """
    install_catalogs()
    processor = update_processor or ChatOrderedUpdateProcessor()
    builder = (
        ApplicationBuilder()
        .token(require_token(settings))
        .base_url(settings.api_base_url)
        # Waits out flood control (RetryAfter) and retries; also paces sends to stay under it.
        .rate_limiter(RateLimiter(max_retries=RATE_LIMIT_RETRIES))
        .concurrent_updates(processor)
        .post_init(_set_command_menu)
        .post_stop(_finish_redraws)
    )
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    app = builder.build()
    languages = ChatLanguages()
    noting = LanguageNotingService(service, languages)
    app.bot_data[DEPS] = Deps(service=noting, language=settings.language, languages=languages)
    for group, handler in HANDLERS:
        app.add_handler(handler, group=group)
    work.register(app)
    # Taps are most updates, and only tap handlers match a tap (and match nothing else): try
    # them first, not after every command. The sort is stable, so each kind keeps its order
    # and the first match is the same handler as before.
    app.handlers[0].sort(key=lambda handler: not isinstance(handler, CallbackQueryHandler))
    app.add_error_handler(on_error)
    processor.after = lambda update: drop_empty_data(app, update)
    return app


def drop_empty_data(app: Application[Any, Any, Any, Any, Any, Any], update: Update) -> None:
    """Forget the chat's and the user's ``chat_data``/``user_data`` when they are empty.

    PTB makes an entry for every chat and user it has seen and keeps it for good; state
    lives in the database, so an entry holds something only while a question message is
    remembered. Thousands of chats would otherwise leave thousands of empty dicts.
    """
    chat, user = update.effective_chat, update.effective_user
    if chat is not None and app.chat_data.get(chat.id) == {}:
        app.drop_chat_data(chat.id)
    if user is not None and app.user_data.get(user.id) == {}:
        app.drop_user_data(user.id)


async def _finish_redraws(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Send the redraws still waiting for their turn before the process stops."""
    if DEPS in app.bot_data:
        await app.bot_data[DEPS].redraws.drain()


def command_menu(language: str, names: tuple[str, ...] = MENU) -> list[BotCommand]:
    return [BotCommand(name, t(f"ui.cmd_{name}", language)) for name in names]


async def _set_command_menu(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Per scope, the menu in the configured language, plus one per shipped language."""
    default = app.bot_data[DEPS].language if DEPS in app.bot_data else DEFAULT_LANGUAGE
    try:
        for scope, names in MENU_SCOPES:
            await app.bot.set_my_commands(command_menu(default, names), scope=scope)
            for language in languages():
                await app.bot.set_my_commands(
                    command_menu(language, names), scope=scope, language_code=language
                )
    except TelegramError as exc:  # a missing menu is no reason not to start
        logger.warning("Could not set the command menu: %s", exc)
