"""The bot's own small web server: Telegram's webhook, ``/healthz``, ``/readyz``, ``/metrics``.

Built on tornado, which python-telegram-bot's ``webhooks`` extra already installs for its own
webhook server, so it adds no dependency. PTB's server is not used because it cannot serve the
health and metrics routes, and because it answers Telegram *before* the update is handled.

Answering after the update is handled is what keeps a fleet in order. Telegram's Bot API
server queues updates per chat (button taps per member) and sends the next update of a queue
only after the previous one got its 2xx answer (tdlib/telegram-bot-api, WebhookActor). So
while an instance works on a chat's message, no other instance gets that chat's next one,
whichever instance the load balancer picks. A non-2xx answer (while draining, or when the
database is down before the update was taken on) makes Telegram deliver the update again.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from http import HTTPStatus
from typing import Any

import tornado.web
from telegram import Update
from telegram.ext import Application
from tornado.httpserver import HTTPServer

from bot.metrics import CONTENT_TYPE, Metrics
from bot.telegram.health import Health

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1 << 20  # an update is a few kilobytes; refuse anything silly before reading it

Process = Callable[[Update], Awaitable[None]]


class InFlight:
    """Counts webhook requests being handled, so that a shutdown can wait for them."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @contextmanager
    def track(self) -> Iterator[None]:
        self.count += 1
        self._idle.clear()
        try:
            yield
        finally:
            self.count -= 1
            if self.count == 0:
                self._idle.set()

    async def wait_idle(self, timeout: float) -> bool:
        """True when every request finished within ``timeout`` seconds."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True


class _Json(tornado.web.RequestHandler):
    def reply(self, status: int, body: dict[str, Any]) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(body))


class HealthzHandler(_Json):
    def get(self) -> None:
        self.reply(HTTPStatus.OK, {"status": "alive"})


class ReadyzHandler(_Json):
    def initialize(self, health: Health) -> None:
        self.health = health

    async def get(self) -> None:
        readiness = await self.health.readiness()
        status = HTTPStatus.OK if readiness.ready else HTTPStatus.SERVICE_UNAVAILABLE
        self.reply(status, {"ready": readiness.ready, "checks": readiness.checks})


class MetricsHandler(tornado.web.RequestHandler):
    def initialize(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def get(self) -> None:
        self.set_header("Content-Type", CONTENT_TYPE)
        self.finish(self.metrics.exposition())


class WebhookHandler(tornado.web.RequestHandler):
    """Takes Telegram's POST, checks the secret, handles the update, then answers 200."""

    def initialize(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        secret: str,
        health: Health,
        in_flight: InFlight,
    ) -> None:
        self.app = app
        self.secret = secret
        self.health = health
        self.in_flight = in_flight

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            logger.warning("Refused a webhook post without the right secret token")
            self._answer(HTTPStatus.FORBIDDEN)
            return
        if self.health.draining:  # Telegram delivers it again, to an instance that stays
            self.set_header("Retry-After", "1")
            self._answer(HTTPStatus.SERVICE_UNAVAILABLE)
            return
        try:
            data = json.loads(self.request.body)
            update = Update.de_json(data, self.app.bot)
        except Exception:
            logger.warning("Refused a webhook post that is not an update")
            self._answer(HTTPStatus.BAD_REQUEST)
            return
        with self.in_flight.track():
            processor = self.app.update_processor
            try:
                await processor.process_update(update, self.app.process_update(update))
            except Exception as exc:  # not taken on (database down): Telegram sends it again
                logger.error(
                    "Could not take update %s on (%s); Telegram will deliver it again",
                    update.update_id,
                    type(exc).__name__,
                )
                self._answer(HTTPStatus.INTERNAL_SERVER_ERROR)
                return
        self._answer(HTTPStatus.OK)

    def _answer(self, status: int) -> None:
        self.set_status(status)
        self.finish()


def routes(
    health: Health,
    metrics: Metrics,
    webhook: tuple[str, dict[str, Any]] | None = None,
) -> list[tuple[str, type[tornado.web.RequestHandler], dict[str, Any]]]:
    """The health routes, plus the webhook at ``webhook[0]`` when given."""
    table: list[tuple[str, type[tornado.web.RequestHandler], dict[str, Any]]] = [
        (r"/healthz", HealthzHandler, {}),
        (r"/readyz", ReadyzHandler, {"health": health}),
        (r"/metrics", MetricsHandler, {"metrics": metrics}),
    ]
    if webhook is not None:
        path, options = webhook
        table.append((rf"/{path.strip('/')}/?", WebhookHandler, options))
    return table


class WebServer:
    def __init__(
        self,
        table: list[tuple[str, type[tornado.web.RequestHandler], dict[str, Any]]],
        listen: str,
        port: int,
    ) -> None:
        app = tornado.web.Application(table, log_function=_quiet)
        self.server = HTTPServer(app, max_body_size=MAX_BODY)
        self.listen = listen
        self.port = port

    def start(self) -> None:
        """Listen now; raises OSError (e.g. the port is taken) at once."""
        self.server.listen(self.port, self.listen)

    async def stop(self) -> None:
        self.server.stop()
        await self.server.close_all_connections()


def _quiet(handler: tornado.web.RequestHandler) -> None:
    """Tornado logs every request; only server errors are worth a line."""
    if handler.get_status() >= 500:
        logger.warning(
            "HTTP %s %s answered %s",
            handler.request.method,
            handler.request.path,
            handler.get_status(),
        )
