"""Prometheus metrics of one bot process, served on ``/metrics``.

Labels are only ever bounded sets chosen by us: an update's kind, a Bot API method name, an
error's class name. Never a chat id, a member's name or anything a member typed: those would
leak personal data into the monitoring system and give every chat a time series of its own.

Each ``Metrics`` has its own registry (not prometheus-client's global one), so that tests can
run several bots in one process and read each one's numbers.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST

# Seconds. A button answer takes a few milliseconds of our own time plus Telegram's round
# trips; flood control can hold a group's update for seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


# Where the running bot keeps its Metrics (``Application.bot_data``), for jobs that count.
BOT_DATA_KEY = "partnerbot_metrics"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.updates = Counter(
            "partnerbot_updates",
            "Telegram updates handled, by kind (message, callback_query, ...)",
            ["kind"],
            registry=r,
        )
        self.duplicates = Counter(
            "partnerbot_updates_duplicate",
            "Updates dropped because this or another instance had already taken them on",
            registry=r,
        )
        self.errors = Counter(
            "partnerbot_errors",
            "Errors while handling an update, by kind (the exception's class name)",
            ["kind"],
            registry=r,
        )
        self.latency = Histogram(
            "partnerbot_update_seconds",
            "Time from taking an update on until it was handled, in seconds",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.in_flight = Gauge(
            "partnerbot_updates_in_flight", "Updates being handled right now", registry=r
        )
        self.api_calls = Counter(
            "partnerbot_bot_api_calls",
            "HTTP requests to the Telegram Bot API, by method",
            ["method"],
            registry=r,
        )
        self.api_failures = Counter(
            "partnerbot_bot_api_failures",
            "Bot API requests that failed, by method and error (HTTP status or network error)",
            ["method", "error"],
            registry=r,
        )
        self.conflicts = Counter(
            "partnerbot_version_conflicts",
            "Plan writes refused by the version check because another member or instance "
            "wrote first (the event is retried, or the member is told who answered)",
            registry=r,
        )
        self.draining = Gauge(
            "partnerbot_draining",
            "1 while the process stops: no new updates, finishing those in flight",
            registry=r,
        )
        self._reminders: tuple[Counter, Counter] | None = None

    def reminders(self, claimed: int = 0, sent: int = 0) -> None:
        """Count reminders a sweep claimed and sent.

        Hook for the reminder sweep (issue 17): it calls this after each run. The counters
        appear on /metrics from the first call on, so a bot without reminders does not show
        numbers that can only ever be zero.
        """
        if self._reminders is None:
            self._reminders = (
                Counter(
                    "partnerbot_reminders_claimed",
                    "Due reminders this instance claimed (each is claimed by one instance)",
                    registry=self.registry,
                ),
                Counter(
                    "partnerbot_reminders_sent",
                    "Reminders sent to their chat",
                    registry=self.registry,
                ),
            )
        self._reminders[0].inc(claimed)
        self._reminders[1].inc(sent)

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)
