"""The token never reaches a log line, whoever logs it and however."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from tg_support import TOKEN

from bot.logs import (
    MIN_SECRET,
    REDACTED,
    TokenFilter,
    protect_logs,
    quiet_libraries,
    setup_logging,
)
from flows.conversation import new_plan
from flows.export import agreement

URL = f"https://api.telegram.org/bot{TOKEN}/sendMessage"
AGREEMENT = agreement(new_plan(), [], [], date(2026, 1, 1), datetime(2026, 1, 1, tzinfo=UTC))


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


@pytest.fixture
def configured() -> Iterator[io.StringIO]:
    """The root logger as ``partnerbot run`` sets it up (at INFO), writing to a string."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    setup_logging("INFO", [TOKEN, "a-webhook-secret-of-length"], stream)
    yield stream
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    quiet_libraries(logging.WARNING)


def test_third_party_chatter_stays_out_of_info_logs(
    configured: io.StringIO, tmp_path: Path
) -> None:
    from bot.pdf import agreement_pdf
    from storage import migrate

    migrate.upgrade(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")  # Alembic: 3+ lines at INFO
    assert agreement_pdf(AGREEMENT).startswith(b"%PDF")  # fontTools: dozens of lines at INFO
    logging.getLogger("bot").info("our own line")
    assert configured.getvalue().splitlines()[-1].endswith("bot: our own line")
    assert len(configured.getvalue().splitlines()) == 1, configured.getvalue()


def test_short_strings_are_not_redacted_inside_words(configured: io.StringIO) -> None:
    # A secret under MIN_SECRET characters is refused by the settings; should one reach the
    # filter anyway it is left alone rather than cut out of unrelated words.
    handler = logging.StreamHandler(stream := io.StringIO())
    handler.addFilter(TokenFilter(["a", TOKEN]))
    handler.handle(logging.makeLogRecord({"msg": f"a plan at bot{TOKEN}/x"}))
    assert stream.getvalue() == f"a plan at bot{REDACTED}/x\n"
    assert MIN_SECRET >= 16


def test_below_debug_an_error_is_one_line(configured: io.StringIO) -> None:
    try:
        raise RuntimeError(f"boom at bot{TOKEN}/getMe")
    except RuntimeError:
        logging.getLogger("bot").exception("failed")
    lines = configured.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].endswith(f"failed (RuntimeError: boom at bot{REDACTED}/getMe)")
