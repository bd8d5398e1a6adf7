"""Running the bot until it is told to stop, and stopping without losing an update.

Webhook mode serves Telegram's webhook, ``/healthz``, ``/readyz`` and ``/metrics`` on one
port (``bot.telegram.web``). Polling mode asks Telegram for updates and, when
``bot.health_port`` is set, serves the three other routes on that port.

On SIGTERM (or Ctrl-C) the bot drains: ``/readyz`` says "not ready" and new webhook posts get
503 (Telegram delivers them again, to an instance that stays), polling stops asking for
updates, and the updates in flight are finished within ``bot.shutdown_timeout`` seconds.
Then the web server and the Bot API connections close; the caller closes the database.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from telegram import Bot, Update
from telegram.error import Conflict, TelegramError
from telegram.ext import Application

from bot.config import ConfigError, Settings
from bot.metrics import Metrics
from bot.telegram.health import Health
from bot.telegram.web import InFlight, WebServer, routes

logger = logging.getLogger(__name__)

App = Application[Any, Any, Any, Any, Any, Any]

ANOTHER_POLLER = (
    "another instance of this bot is already polling Telegram (409 Conflict); stop it, or run "
    'several instances in webhook mode (telegram.mode = "webhook", see "Running several '
    'instances" in the README)'
)


class AnotherPoller(ConfigError):
    """Telegram refused getUpdates: some other process polls with the same token."""

    def __init__(self) -> None:
        super().__init__(ANOTHER_POLLER)


class WebhookIsSet(ConfigError):
    """Polling would delete the webhook that a fleet of webhook instances lives on."""

    def __init__(self, url: str = "") -> None:
        where = f" ({url})" if url else ""
        super().__init__(
            f"a webhook is set{where}, so this bot runs in webhook mode somewhere; start it "
            'with telegram.mode = "webhook", or remove the webhook first with "partnerbot '
            'webhook delete" to poll'
        )


async def set_webhook(bot: Bot, settings: Settings) -> str:
    """Tell Telegram where to post updates, with the secret and ``max_connections``."""
    from bot.telegram.runner import webhook_options  # the runner imports this module

    url = str(webhook_options(settings)["webhook_url"])
    await bot.set_webhook(
        url=url,
        secret_token=settings.webhook.secret_token or None,
        allowed_updates=Update.ALL_TYPES,
        max_connections=settings.webhook.max_connections,
    )
    return url


async def serve(app: App, settings: Settings, health: Health, metrics: Metrics) -> None:
    """Run ``app`` until SIGTERM/SIGINT, then drain. Raises AnotherPoller on a 409."""
    stop = asyncio.Event()
    conflict: list[Conflict] = []
    loop = asyncio.get_running_loop()
    signals = _on_signals(loop, stop.set)

    def polling_failed(exc: TelegramError) -> None:
        if isinstance(exc, Conflict):
            conflict.append(exc)
            stop.set()
            return
        logger.warning("Asking Telegram for updates failed (%s); trying again", type(exc).__name__)

    in_flight = InFlight()
    servers = _servers(app, settings, health, metrics, in_flight)
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        for server in servers:
            server.start()
        if settings.mode == "webhook":
            if settings.webhook.set_on_start:
                await set_webhook(app.bot, settings)
        else:
            assert app.updater is not None
            # PTB's polling deletes any webhook without asking: never take a fleet's updates.
            hook = await app.bot.get_webhook_info()
            if hook.url:
                raise WebhookIsSet(hook.url)
            await app.updater.start_polling(
                allowed_updates=Update.ALL_TYPES, error_callback=polling_failed
            )
        logger.info("Partnerbot is ready for updates", extra={"event": "bot_ready"})
        await stop.wait()
        if conflict:
            # Stopping asks getUpdates once more, which meets the same 409; the one line
            # the CLI prints says all there is to say.
            logging.getLogger("telegram.ext.Updater").setLevel(logging.CRITICAL)
        await _drain(app, health, metrics, in_flight, settings.ops.shutdown_timeout)
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
        for server in servers:
            await server.stop()
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        if app.post_shutdown is not None:  # as PTB's run_polling/run_webhook do
            await app.post_shutdown(app)
    logger.info("Partnerbot stopped", extra={"event": "bot_stopped"})
    if conflict:
        # Telegram also answers 409 when a webhook was set after polling started.
        if "webhook" in conflict[0].message.lower():
            raise WebhookIsSet()
        raise AnotherPoller()


def _on_signals(loop: asyncio.AbstractEventLoop, callback: Any) -> list[signal.Signals]:
    """Call ``callback`` on SIGTERM and SIGINT; only possible in the main thread."""
    installed = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, callback)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
            continue
        installed.append(sig)
    return installed


def _servers(
    app: App, settings: Settings, health: Health, metrics: Metrics, in_flight: InFlight
) -> list[WebServer]:
    servers = []
    if settings.mode == "webhook":
        hook = settings.webhook
        options = {
            "app": app,
            "secret": hook.secret_token,
            "health": health,
            "in_flight": in_flight,
        }
        table = routes(health, metrics, (hook.path, options))
        servers.append(WebServer(table, hook.listen, hook.port))
    ops = settings.ops
    if ops.health_port:
        servers.append(WebServer(routes(health, metrics), ops.health_listen, ops.health_port))
    return servers


async def _drain(
    app: App, health: Health, metrics: Metrics, in_flight: InFlight, timeout: float
) -> None:
    """Take no new updates; give those in flight ``timeout`` seconds to finish."""
    health.draining = True
    metrics.draining.set(1)
    logger.info("Stopping: finishing the updates in flight", extra={"event": "shutdown_draining"})
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    if app.updater is not None and app.updater.running:
        await app.updater.stop()  # polling: ask Telegram for no more updates
    finished = await in_flight.wait_idle(timeout)  # webhook posts being handled
    if app.running:
        try:  # polling: the updates already fetched
            await asyncio.wait_for(app.stop(), max(0.0, deadline - loop.time()))
        except TimeoutError:
            finished = False
    if not finished:
        logger.warning(
            "Stopped with updates still in flight after %s seconds",
            timeout,
            extra={"event": "shutdown_timeout"},
        )
