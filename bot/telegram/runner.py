"""``partnerbot run``: open the store, build the service and the bot, poll or serve a webhook
(``bot.telegram.serve``), close the store."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.config import Settings, mask_url, require_token
from bot.telegram.logs import protect_logs

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
    """Run until stopped (Ctrl-C, SIGTERM). Raises ConfigError for a missing token."""
    token = require_token(settings)  # before anything else: the CLI prints the one line
    protect_logs([token, settings.webhook.secret_token])
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        # transitions logs two INFO lines per state change, i.e. per answer: noise in a bot.
        logging.getLogger("transitions").setLevel(logging.WARNING)

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
            logger.info(
                "Partnerbot starting (%s mode, database %s)",
                settings.mode,
                mask_url(settings.database_url),
            )
            loop.run_until_complete(serve(app, settings, health, metrics))
        finally:
            loop.run_until_complete(store.close())
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    return 0
