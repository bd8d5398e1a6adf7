"""JSON log lines: an event name, the chat and update being handled, and no free text."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bot.logjson import JsonFormatter, event_name, update_context


@pytest.fixture
def logged() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("partnerbot.test.json")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, stream


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("x", logging.INFO, __file__, 1, msg, args, None)


@pytest.mark.parametrize(
    ("msg", "args", "event"),
    [
        (
            "Could not tell chat %s about the error: %s",
            (1, "boom"),
            "could_not_tell_chat_about_the_error",
        ),
        ("Refused %s %r from user %s in chat %s", ("data", "x", 1, 2), "refused_from_user_in_chat"),
        ("Took %(n)d updates", ({"n": 3},), "took_updates"),
        # Formatted by the caller: only the first words, the fixed part, are kept.
        ("Application started", (), "application_started"),
    ],
)
def test_event_names_come_from_the_fixed_template(
    msg: str, args: tuple[object, ...], event: str
) -> None:
    assert event_name(_record(msg, *args)) == event


def test_a_line_has_no_arguments_and_names_the_update(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logged
    with update_context(update_id=41, chat_id=-100123):
        logger.warning("Member %s typed %r", "Aino", "my secret plan")
    logger.info("Partnerbot is ready", extra={"event": "bot_ready"})
    try:
        raise TimeoutError("connect to https://example.org/bot123:abc failed")
    except TimeoutError:
        logger.exception("Request failed")
    first, second, third = lines(stream)
    assert first["event"] == "member_typed"
    assert (first["chat_id"], first["update_id"], first["level"]) == (-100123, 41, "WARNING")
    assert second["event"] == "bot_ready" and "chat_id" not in second
    assert third["error"] == "TimeoutError"
    text = stream.getvalue()
    for private in ("Aino", "my secret plan", "example.org", "123:abc"):
        assert private not in text
    assert set(first) == {"time", "level", "logger", "event", "chat_id", "update_id"}
    assert str(first["time"]).endswith("+00:00")
