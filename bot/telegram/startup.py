"""Getting the bot on its feet: the webhook's address, and the first call to the Bot API.

A token that Telegram rejects stops the bot with one line (ConfigError). An API that cannot be
reached (no network, DNS down, a 5xx answer) does not: the bot retries with capped exponential
backoff, one log line per attempt naming the host (never the URL, which holds the token), and
starts once the API answers. SIGTERM or Ctrl-C while it waits ends it cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import signal
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from telegram.error import InvalidToken, NetworkError, RetryAfter
from telegram.ext import Application

from bot.config import MAX_RETRY_DELAY, ConfigError, Settings

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def backoff(first: float, cap: float = MAX_RETRY_DELAY) -> Iterator[float]:
    """``first``, doubled after each attempt, never more than ``cap`` (1, 2, 4, ... 60)."""
    delay = first
    while True:
        yield min(delay, cap)
        delay = min(delay * 2, cap)


def api_host(api_base_url: str) -> str:
    parts = urlsplit(api_base_url)
    return parts.netloc.rpartition("@")[2] or api_base_url


async def connect(app: Application[Any, Any, Any, Any, Any, Any], settings: Settings) -> bool:
    """Initialize ``app`` (its first call is getMe), retrying while the API is unreachable.

    True once it answered; False when SIGINT/SIGTERM came while waiting. Raises ConfigError
    when Telegram rejects the token.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for sig in STOP_SIGNALS:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    try:
        return await _connect(app, settings, stop)
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


async def _connect(
    app: Application[Any, Any, Any, Any, Any, Any], settings: Settings, stop: asyncio.Event
) -> bool:
    host = api_host(settings.api_base_url)
    for attempt, delay in enumerate(backoff(settings.retry_delay), start=1):
        try:
            await app.initialize()
            if attempt > 1:
                logger.info("Bot API at %s answered; starting", host)
            return True
        except InvalidToken:
            raise ConfigError(
                f"the Bot API at {host} rejected the bot token (PARTNERBOT_TOKEN or "
                "telegram.token); check that you copied the whole token from @BotFather, or get "
                "a new one there with /token"
            ) from None
        except RetryAfter as exc:
            wait = exc.retry_after
            delay = max(delay, wait if isinstance(wait, int | float) else wait.total_seconds())
            reason = "flood control"
        except NetworkError as exc:  # also TimedOut and 5xx answers
            reason = " ".join(str(exc).split()) or type(exc).__name__
        logger.warning(
            "Bot API at %s cannot be reached (%s); attempt %d, next in %g s (Ctrl-C stops)",
            host,
            reason,
            attempt,
            delay,
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        if stop.is_set():
            logger.info("Stopped before the Bot API at %s answered", host)
            return False
    raise AssertionError("unreachable")  # pragma: no cover - backoff() never ends


def check_listen(settings: Settings) -> None:
    """The webhook's listen address and port can be bound; else ConfigError, one line."""
    hook = settings.webhook
    where = f"{hook.listen}:{hook.port}"
    try:
        infos = socket.getaddrinfo(hook.listen, hook.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ConfigError(
            f"telegram.webhook.listen {hook.listen!r} is not an address of this machine "
            f"({exc}); use 127.0.0.1 behind a proxy, or 0.0.0.0 for every address"
        ) from None
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
        try:
            probe.bind(address)
        except OSError as exc:
            raise listen_error(where, exc) from None


def listen_error(where: str, exc: OSError) -> ConfigError:
    if exc.errno == errno.EADDRINUSE:
        return ConfigError(
            f"cannot listen on {where}: another program uses that port; choose another "
            "telegram.webhook.port (PARTNERBOT_WEBHOOK_PORT) or stop that program"
        )
    if exc.errno == errno.EACCES:
        return ConfigError(
            f"cannot listen on {where}: ports below 1024 need administrator rights; choose a "
            "port above 1023 in telegram.webhook.port and let the proxy forward to it"
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return ConfigError(
            f"cannot listen on {where}: the address is not one of this machine; set "
            "telegram.webhook.listen to 127.0.0.1 or 0.0.0.0"
        )
    return ConfigError(f"cannot listen on {where} ({exc.strerror or exc}); check telegram.webhook")
