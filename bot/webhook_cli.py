"""``partnerbot webhook set|info|delete``: register the webhook once for a whole fleet.

Every instance calling setWebhook at start (the default for a single bot) is harmless while
they all agree, but a fleet is better served by one deliberate call: instances started with
``telegram.webhook.set_on_start = false`` never overwrite it, and a wrong setting on one
instance cannot take the whole fleet's updates elsewhere.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import Any

from bot.config import ConfigError, Settings, require_token

DESCRIPTION = """\
Tell Telegram where to post the bot's updates, once for all instances:

  set      setWebhook with telegram.webhook.url (plus path), secret_token and max_connections
  info     what Telegram has now: the URL, updates waiting, the last delivery error
  delete   remove the webhook (then the bot can poll again)

Run "partnerbot webhook set" once when you deploy or change the URL, and start the instances
with telegram.webhook.set_on_start = false (PARTNERBOT_WEBHOOK_SET_ON_START=false)."""


def add_parser(commands: Any, formatter: type[argparse.HelpFormatter]) -> None:
    webhook = commands.add_parser(
        "webhook",
        help="set, show or delete the Telegram webhook (once for all instances)",
        description=DESCRIPTION,
        formatter_class=formatter,
    )
    webhook.set_defaults(webhook_parser=webhook)
    actions = webhook.add_subparsers(dest="webhook_command", metavar="{set,info,delete}")
    actions.add_parser("set", help="register telegram.webhook.url with the secret token")
    actions.add_parser("info", help="show the webhook Telegram has now")
    actions.add_parser("delete", help="remove the webhook")


def run(settings: Settings, args: argparse.Namespace) -> int:
    if args.webhook_command is None:
        args.webhook_parser.print_help()
        return 2
    require_token(settings)
    if args.webhook_command == "set":
        _require_webhook_settings(settings)
    for line in asyncio.run(_call(settings, args.webhook_command)):
        print(line)
    return 0


def _require_webhook_settings(settings: Settings) -> None:
    if not settings.webhook.url:
        raise ConfigError(
            "telegram.webhook.url is needed to set the webhook: set the public https:// URL in "
            "the config file or PARTNERBOT_WEBHOOK_URL"
        )
    if not settings.webhook.secret_token:
        raise ConfigError(
            "telegram.webhook.secret_token is needed to set the webhook: set 1-256 characters "
            "of A-Z a-z 0-9 _ - in the config file or PARTNERBOT_WEBHOOK_SECRET"
        )


async def _call(settings: Settings, action: str) -> list[str]:
    from telegram import Bot
    from telegram.error import TelegramError

    from bot.telegram.serve import set_webhook

    bot = Bot(require_token(settings), base_url=settings.api_base_url)
    try:
        async with bot:
            if action == "set":
                url = await set_webhook(bot, settings)
                return [
                    f"webhook set: Telegram posts updates to {url} "
                    f"(at most {settings.webhook.max_connections} at a time)"
                ]
            if action == "delete":
                await bot.delete_webhook()
                return [
                    "webhook deleted: Telegram keeps updates until the bot polls or a "
                    "webhook is set again"
                ]
            info = await bot.get_webhook_info()
    except TelegramError as exc:
        logging.getLogger(__name__).debug("webhook %s failed", action, exc_info=True)
        raise ConfigError(f"Telegram refused webhook {action}: {exc.message}") from None
    lines = [
        f"url: {info.url or '(none: the bot polls)'}",
        f"updates waiting: {info.pending_update_count}",
    ]
    if info.max_connections:
        lines.append(f"max_connections: {info.max_connections}")
    if info.last_error_message:
        when = info.last_error_date.isoformat() if info.last_error_date else "unknown time"
        lines.append(f"last error: {info.last_error_message} ({when})")
    return lines
