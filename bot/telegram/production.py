"""The Application as ``partnerbot run`` runs it: instrumented for running in production.

Around the plain ``build_application``: Bot API requests counted (``metered``), updates
counted, timed and tagged for the logs (``observed``), version conflicts counted
(``metered_store``), and in webhook mode each update taken on by one instance only
(``storage.updates``), since several instances may share the database.
"""

from __future__ import annotations

from typing import Any

from bot.config import Settings
from bot.metered_store import CountingStore
from bot.metrics import BOT_DATA_KEY as METRICS
from bot.metrics import Metrics
from bot.telegram.app import build_application
from bot.telegram.health import Health
from bot.telegram.metered import MeteredRequest
from bot.telegram.observed import ObservedUpdateProcessor
from flows.service import PlanningService
from storage.store import SqlStore
from storage.updates import UpdateLog

App = Any  # telegram.ext.Application


async def _count_error(update: object, context: Any) -> None:
    """An error handler beside the adapter's own (PTB calls each): errors by kind."""
    metrics: Metrics = context.application.bot_data[METRICS]
    metrics.errors.labels(type(context.error).__name__).inc()


def _closing(log: UpdateLog) -> Any:
    async def close(_app: Any) -> None:
        await log.close()

    return close


def production_bot(settings: Settings, store: SqlStore) -> tuple[App, Health, Metrics]:
    metrics = Metrics()
    # PTB's defaults: a large pool for the bot's calls, one connection for getUpdates.
    request = MeteredRequest(metrics, connection_pool_size=256)
    updates_request = MeteredRequest(metrics, connection_pool_size=1)
    claim = None
    if settings.mode == "webhook":
        log = UpdateLog.open(settings.database_url)
        claim = log.claim
    service = PlanningService(CountingStore(store, metrics), language=settings.language)
    app = build_application(
        settings,
        service,
        request=request,
        get_updates_request=updates_request,
        update_processor=ObservedUpdateProcessor(metrics, claim),
    )
    app.bot_data[METRICS] = metrics
    app.add_error_handler(_count_error)
    if claim is not None:
        app.post_shutdown = _closing(log)
    health = Health(store.schema_revision, (request, updates_request), app.bot.get_me)
    return app, health, metrics
