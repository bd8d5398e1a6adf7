"""``bot.log_format = "json"``: one JSON object per log line, for log collectors.

Each line holds the time (UTC, ISO 8601), the level, the logger, an ``event`` name and, while
an update is being handled, its ``chat_id`` and ``update_id``. There is no free text: the
event is the record's ``extra={"event": ...}`` when the code names one, else a slug of the
log call's fixed message template (``"Could not tell chat %s about the error: %s"`` becomes
``could_not_tell_chat_about_the_error``). The template's arguments are left out, because they
may carry what a member typed, an error text quoting a URL with the token, or a name; an
exception is reduced to its class name (``"error": "TimedOut"``). Use the text format (the
default) at DEBUG when the details are needed.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

# Set while an update is handled (``update_context``); asyncio copies them into the tasks the
# update starts, so every line logged on its behalf carries them.
CHAT_ID: ContextVar[int | None] = ContextVar("partnerbot_chat_id", default=None)
UPDATE_ID: ContextVar[int | None] = ContextVar("partnerbot_update_id", default=None)

MAX_EVENT = 64
_PLACEHOLDER = re.compile(r"%(\([^)]*\))?[-#0 +]*[0-9*]*(\.[0-9*]+)?[a-zA-Z%]")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


@contextmanager
def update_context(update_id: int | None, chat_id: int | None) -> Iterator[None]:
    """Tag the log lines written inside the block with the update and its chat."""
    chat_token = CHAT_ID.set(chat_id)
    update_token = UPDATE_ID.set(update_id)
    try:
        yield
    finally:
        UPDATE_ID.reset(update_token)
        CHAT_ID.reset(chat_token)


def event_name(record: logging.LogRecord) -> str:
    """The record's event: named by the caller, else derived from the fixed template."""
    named = getattr(record, "event", None)
    if isinstance(named, str) and named:
        return named[:MAX_EVENT]
    template = record.msg if isinstance(record.msg, str) else type(record.msg).__name__
    if not record.args:
        # A message without arguments may have been formatted by the caller (an f-string):
        # keep only its first words, which are the fixed part in practice.
        template = " ".join(template.split()[:6])
    slug = _NOT_WORD.sub("_", _PLACEHOLDER.sub(" ", template).lower()).strip("_")
    return (slug or "log")[:MAX_EVENT].rstrip("_")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": event_name(record),
        }
        chat_id = getattr(record, "chat_id", None) or CHAT_ID.get()
        if chat_id is not None:
            line["chat_id"] = chat_id
        update_id = getattr(record, "update_id", None) or UPDATE_ID.get()
        if update_id is not None:
            line["update_id"] = update_id
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = record.exc_info[0].__name__
        return json.dumps(line, ensure_ascii=False)


def use_json(handlers: list[logging.Handler] | None = None) -> None:
    """Switch ``handlers`` (default: the root logger's) to one JSON object per line."""
    for handler in handlers if handlers is not None else logging.getLogger().handlers:
        handler.setFormatter(JsonFormatter())
