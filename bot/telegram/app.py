"""Builds the PTB Application: token, API base URL, rate limiter, handlers, command menu."""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommand
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder
from telegram.request import BaseRequest

from bot.config import Settings, require_token
from bot.telegram.delivery import RATE_LIMIT_RETRIES
from bot.telegram.handlers import COMMANDS, DEPS, HANDLERS, Deps, Service, on_error
from flows.texts import DEFAULT_LANGUAGE, languages, t

logger = logging.getLogger(__name__)

# The command menu, in the order members see it. Each has a ui.cmd_<name> description.
MENU = tuple(COMMANDS)


def build_application(
    settings: Settings,
    service: Service,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The Application, ready for ``initialize()`` or ``run_polling``/``run_webhook``.

    ``request``/``get_updates_request`` replace PTB's HTTPXRequest (tests pass offline ones).
    """
    builder = (
        ApplicationBuilder()
        .token(require_token(settings))
        .base_url(settings.api_base_url)
        # Waits out flood control (RetryAfter) and retries; also paces sends to stay under it.
        .rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
        .post_init(_set_command_menu)
    )
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    app = builder.build()
    app.bot_data[DEPS] = Deps(service=service, language=settings.language)
    for group, handler in HANDLERS:
        app.add_handler(handler, group=group)
    app.add_error_handler(on_error)
    return app


def command_menu(language: str) -> list[BotCommand]:
    return [BotCommand(name, t(f"ui.cmd_{name}", language)) for name in MENU]


async def _set_command_menu(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The default menu in the configured language, plus one per shipped language."""
    default = app.bot_data[DEPS].language if DEPS in app.bot_data else DEFAULT_LANGUAGE
    try:
        await app.bot.set_my_commands(command_menu(default))
        for language in languages():
            await app.bot.set_my_commands(command_menu(language), language_code=language)
    except TelegramError as exc:  # a missing menu is no reason not to start
        logger.warning("Could not set the command menu: %s", exc)
