"""Logging for every command: one handler on stderr that never writes a secret or a member's
words, and quiet third-party libraries.

The token is part of every Bot API URL (``https://api.telegram.org/bot<token>/sendMessage``),
and httpx logs each request URL at INFO; PTB's network errors may quote URLs too. So the httpx
loggers stay at WARNING, and every handler gets a filter that replaces the secrets in the
message, its arguments and any exception text before the record is written. Secrets shorter
than ``MIN_SECRET`` are not redacted (the settings refuse them): replacing a short string would
garble unrelated words of every line, and redacting it would give it away anyway.

At DEBUG, python-telegram-bot logs whole updates and API calls, message text included; a second
filter replaces those dumps with their kind, so even DEBUG logs hold no member's words.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import TextIO

REDACTED = "<token>"
HIDDEN = "<hidden: may hold what members typed>"
MIN_SECRET = 16  # characters; the token (~46) and webhook secrets are longer

# Request URLs carry the token: never below WARNING.
_ALWAYS_QUIET = ("httpx", "httpcore")
# INFO chatter (fontTools: ~75 lines per PDF; Alembic: its set-up at every start;
# transitions: two lines per answer; APScheduler, under PTB's JobQueue: a line per run of the
# reminder sweep). Heard again at DEBUG.
_QUIET_UNLESS_DEBUG = ("fontTools", "alembic", "transitions", "apscheduler")

# PTB's DEBUG lines that dump an update or an API call: which arguments to hide.
_DUMPS: dict[str, tuple[int, ...]] = {
    "Processing update %s": (0,),
    "Dropping pending update: %s": (0,),
    "Webhook received data: %s": (0,),
    "Calling Bot API endpoint `%s` with parameters `%s`": (1,),
    "Call to Bot API endpoint `%s` finished with return value `%s`": (1,),
    "Request had the wrong secret token: %s": (0,),
}

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def safe_secrets(secrets: Iterable[str | None]) -> tuple[str, ...]:
    """The secrets long enough to redact, longest first (one containing another goes whole)."""
    return tuple(sorted({s for s in secrets if s and len(s) >= MIN_SECRET}, key=len, reverse=True))


def redact(text: str, secrets: Iterable[str | None]) -> str:
    for secret in safe_secrets(secrets):
        text = text.replace(secret, REDACTED)
    return text


class TokenFilter(logging.Filter):
    """Redacts ``secrets`` (the bot token, the webhook secret) in every record it sees."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        super().__init__()
        self.secrets = safe_secrets(secrets)

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: let the handler report it as usual
            return True
        if any(s in message for s in self.secrets):
            record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set, so the traceback is redacted too.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class UpdateDumpFilter(logging.Filter):
    """Hides the update or API payload in PTB's DEBUG dumps; the line itself stays."""

    def filter(self, record: logging.LogRecord) -> bool:
        hide = _DUMPS.get(record.msg) if isinstance(record.msg, str) else None
        if hide and record.name.startswith("telegram") and isinstance(record.args, tuple):
            record.args = tuple(HIDDEN if i in hide else arg for i, arg in enumerate(record.args))
        return True


class OneLineFormatter(logging.Formatter):
    """Below DEBUG, an exception is named at the end of its line instead of a traceback (the
    traceback is for whoever asked for DEBUG; a log reader gets one line per event)."""

    def __init__(self, tracebacks: bool) -> None:
        super().__init__(FORMAT)
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        if self.tracebacks or not (record.exc_info or record.exc_text or record.stack_info):
            return super().format(record)
        line = super().format(
            logging.makeLogRecord(
                {**record.__dict__, "exc_info": None, "exc_text": None, "stack_info": None}
            )
        )
        # The last line of the (redacted, see TokenFilter) traceback: "ValueError: what".
        last = (record.exc_text or "").strip().splitlines()[-1:]
        error = record.exc_info[1] if record.exc_info else None
        if last:
            line += f" ({last[0].strip()})"
        elif error is not None:
            line += f" ({type(error).__name__}: {' '.join(str(error).split())})"
        return line


def quiet_libraries(level: int) -> None:
    for name in _ALWAYS_QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in _QUIET_UNLESS_DEBUG:
        logging.getLogger(name).setLevel(
            logging.NOTSET if level <= logging.DEBUG else logging.WARNING
        )


def protect_logs(
    secrets: Iterable[str | None], handlers: Iterable[logging.Handler] | None = None
) -> TokenFilter:
    """Install the filters on ``handlers`` (default: the root logger's) and quiet httpx.

    Handler filters see records from every logger that propagates to them, unlike logger
    filters, which only see records logged on that very logger.
    """
    root = logging.getLogger()
    quiet_libraries(root.getEffectiveLevel())
    token_filter = TokenFilter(secrets)
    if handlers is None:
        if not root.handlers:  # nobody configured logging: do it, or the filter guards nothing
            logging.basicConfig(level=logging.INFO)
        handlers = root.handlers
    for handler in handlers:
        handler.addFilter(token_filter)
        handler.addFilter(UpdateDumpFilter())
    return token_filter


def setup_logging(
    level: str | int, secrets: Iterable[str | None], stream: TextIO | None = None
) -> None:
    """One handler on ``stream`` (stderr) for the root logger, replacing any other."""
    handler = logging.StreamHandler(stream or sys.stderr)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    handler.setFormatter(OneLineFormatter(tracebacks=root.getEffectiveLevel() <= logging.DEBUG))
    protect_logs(secrets, [handler])
