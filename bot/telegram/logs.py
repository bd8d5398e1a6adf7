"""Keep the bot token out of the logs.

The token is part of every Bot API URL (``https://api.telegram.org/bot<token>/sendMessage``),
and httpx logs each request URL at INFO; PTB's network errors may quote URLs too. So the httpx
loggers are turned down to WARNING and every handler gets a filter that replaces the token in
the message, its arguments and any exception text before the record is written.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

REDACTED = "<token>"
_NOISY = ("httpx", "httpcore")


class TokenFilter(logging.Filter):
    """Redacts ``secrets`` (the bot token, the webhook secret) in every record it sees."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        super().__init__()
        # Longest first, so a secret that contains another is replaced whole.
        self.secrets = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

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


def protect_logs(
    secrets: Iterable[str | None], handlers: Iterable[logging.Handler] | None = None
) -> TokenFilter:
    """Install a TokenFilter on ``handlers`` (default: the root logger's) and quiet httpx.

    Handler filters see records from every logger that propagates to them, unlike logger
    filters, which only see records logged on that very logger.
    """
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
    token_filter = TokenFilter(secrets)
    root = logging.getLogger()
    if handlers is None:
        if not root.handlers:  # nobody configured logging: do it, or the filter guards nothing
            logging.basicConfig(level=logging.INFO)
        handlers = root.handlers
    for handler in handlers:
        handler.addFilter(token_filter)
    return token_filter
