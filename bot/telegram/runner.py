"""``partnerbot run``: open the store, build the service and the bot, poll or serve a webhook."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Update
from telegram.error import TelegramError

from bot.config import ConfigError, Settings, mask_url, require_token
from bot.logs import protect_logs
from bot.telegram.startup import check_listen, connect, listen_error

logger = logging.getLogger(__name__)


def webhook_options(settings: Settings) -> dict[str, Any]:
    """Arguments for ``run_webhook``/``Updater.start_webhook`` from the settings.

    The bot listens on ``listen:port/<path>``; Telegram is told to post to ``url`` (the public
    address, e.g. behind a reverse proxy), with ``/<path>`` added unless the URL already ends
    with it. PTB's server answers 403 to requests without the right secret token header.
    """
    hook = settings.webhook
    path = hook.path.strip("/")
    url = hook.url.rstrip("/")
    if path and not url.endswith("/" + path):
        url = f"{url}/{path}"
    return {
        "listen": hook.listen,
        "port": hook.port,
        "url_path": path,
        "webhook_url": url,
        "secret_token": hook.secret_token or None,
    }


def run_bot(settings: Settings) -> int:
    """Run until stopped (Ctrl-C, SIGTERM). Raises ConfigError (one line for the user) for a
    missing or rejected token or a webhook address that cannot be listened on."""
    token = require_token(settings)  # before anything else: the CLI prints the one line
    protect_logs([token, settings.webhook.secret_token])
    if settings.mode == "webhook":
        check_listen(settings)

    from bot.telegram.app import build_application
    from flows.service import PlanningService
    from storage.store import SqlStore

    # One loop for the store and PTB: the database driver's connections belong to it.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        store = loop.run_until_complete(SqlStore.open(settings.database_url, migrate=True))
        try:
            service = PlanningService(store, language=settings.language)
            app = build_application(settings, service)
            if not loop.run_until_complete(connect(app, settings)):
                return 0  # stopped while waiting for the Bot API
            logger.info(
                "Partnerbot starting as @%s (%s mode, database %s)",
                app.bot.username,
                settings.mode,
                mask_url(settings.database_url),
            )
            _serve(app, settings)
        finally:
            loop.run_until_complete(store.close())
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    return 0


def _serve(app: Any, settings: Settings) -> None:
    updates = Update.ALL_TYPES
    try:
        if settings.mode == "webhook":
            app.run_webhook(**webhook_options(settings), allowed_updates=updates, close_loop=False)
        else:
            app.run_polling(allowed_updates=updates, close_loop=False)
    except OSError as exc:  # the webhook's port was taken between the check and the start
        raise listen_error(f"{settings.webhook.listen}:{settings.webhook.port}", exc) from None
    except TelegramError as exc:  # e.g. setWebhook refused the URL
        raise ConfigError(
            f"Telegram refused to start the bot ({' '.join(str(exc).split())}); check "
            "telegram.webhook.url and the other telegram settings"
        ) from None
