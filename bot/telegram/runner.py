"""``partnerbot run``: open the store, build the service and the bot, poll or serve a webhook
(``bot.telegram.serve``), close the store."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram.error import TelegramError

from bot.config import ConfigError, Settings, mask_url, require_token
from bot.logs import protect_logs
from bot.telegram.startup import check_listen, connect, listen_error

logger = logging.getLogger(__name__)


def webhook_options(settings: Settings) -> dict[str, Any]:
    """Where the bot listens and where Telegram posts, from the settings (in the argument
    names of PTB's ``Updater.start_webhook``; ``bot.telegram.serve`` uses the same).

    The bot listens on ``listen:port/<path>``; Telegram is told to post to ``url`` (the public
    address, e.g. behind a reverse proxy), with ``/<path>`` added unless the URL already ends
    with it. Posts without the right secret token header are answered 403.
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

    from bot.telegram.production import production_bot
    from bot.telegram.reminders import schedule_sweeps
    from bot.telegram.serve import serve
    from storage.store import SqlStore

    # One loop for the store and PTB: the database driver's connections belong to it.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        store = loop.run_until_complete(SqlStore.open(settings.database_url, migrate=True))
        try:
            # The Application with metrics, health checks and (webhook) duplicate checks.
            app, health, metrics = production_bot(settings, store)
            # Every instance sweeps for due reminders; the database makes each go out once.
            schedule_sweeps(app, store)
            # The first call (getMe), retried while the Bot API cannot be reached; serve()'s
            # own initialize() is then a no-op.
            if not loop.run_until_complete(connect(app, settings)):
                return 0  # stopped while waiting for the Bot API
            logger.info(
                "Partnerbot starting as @%s (%s mode, database %s)",
                app.bot.username,
                settings.mode,
                mask_url(settings.database_url),
            )
            try:
                loop.run_until_complete(serve(app, settings, health, metrics))
            except OSError as exc:  # the webhook's port was taken after the check
                where = f"{settings.webhook.listen}:{settings.webhook.port}"
                raise listen_error(where, exc) from None
            except TelegramError as exc:  # e.g. setWebhook refused the URL
                raise ConfigError(
                    f"Telegram refused to start the bot ({' '.join(str(exc).split())}); check "
                    "telegram.webhook.url and the other telegram settings"
                ) from None
        finally:
            loop.run_until_complete(store.close())
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    return 0
