"""The token never reaches a log line, whoever logs it and however."""

from __future__ import annotations

import io
import logging

import pytest
from tg_support import TOKEN

from bot.logs import REDACTED, TokenFilter, protect_logs

URL = f"https://api.telegram.org/bot{TOKEN}/sendMessage"


@pytest.fixture
def sink() -> tuple[logging.Handler, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    return handler, stream


@pytest.mark.parametrize("name", ["httpx", "telegram.ext.Application", "bot.telegram", "x"])
def test_filter_redacts_every_logger(sink: tuple[logging.Handler, io.StringIO], name: str) -> None:
    handler, stream = sink
    handler.addFilter(TokenFilter([TOKEN]))
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        logger.warning("HTTP Request: POST %s", URL)
        logger.warning(f"in the message itself: {URL}")
        try:
            raise RuntimeError(f"connect failed for {URL}")
        except RuntimeError:
            logger.exception("request failed")
        logger.warning("stack", stack_info=True, extra={})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
    text = stream.getvalue()
    assert TOKEN not in text
    assert text.count(f"bot{REDACTED}/sendMessage") == 3
    assert "RuntimeError: connect failed" in text


def test_records_without_the_token_pass_unchanged(
    sink: tuple[logging.Handler, io.StringIO],
) -> None:
    handler, _ = sink
    handler.addFilter(TokenFilter([TOKEN, None, ""]))
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "answer %s of %d", ("a", 3), None)
    assert handler.filter(record)
    assert (record.msg, record.args) == ("answer %s of %d", ("a", 3))
    bad = logging.LogRecord("x", logging.INFO, __file__, 1, "broken %d", ("not a number",), None)
    assert handler.filter(bad)  # a bad format is the handler's to report, not ours to hide


def test_protect_logs_quiets_httpx_and_guards_handlers(
    sink: tuple[logging.Handler, io.StringIO],
) -> None:
    handler, stream = sink
    protect_logs([TOKEN], handlers=[handler])
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("httpcore").getEffectiveLevel() == logging.WARNING
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        logging.getLogger("httpx").info("HTTP Request: POST %s", URL)  # below WARNING: dropped
        logging.getLogger("telegram.ext.Updater").error("Network error on %s", URL)
    finally:
        root.removeHandler(handler)
    text = stream.getvalue()
    assert "HTTP Request" not in text
    assert f"Network error on https://api.telegram.org/bot{REDACTED}/sendMessage" in text
    assert TOKEN not in text
