"""The real ``partnerbot run`` process against a Bot API on 127.0.0.1 that rejects the token,
refuses connections, answers 500, or answers nonsense: one line or a retry per attempt, the
right exit status, recovery once the API answers, and never the token in any output.

The first retry delay is set short (PARTNERBOT_RETRY_DELAY) so nothing waits long; the tests
wait for what the bot prints or sends, never for a time.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest
from tg_fake_api import FakeBotApi, plan_update
from tg_support import TOKEN

from bot.telegram.startup import backoff
from flows.texts import t

REPO = Path(__file__).resolve().parents[3]
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
FIRST_DELAY = 0.05  # seconds before the first retry, doubling
WAIT = 60.0  # seconds to wait for an expected line or message before failing
RETRY = re.compile(r"Bot API at (\S+) cannot be reached \((.*)\); attempt (\d+), next in (\S+) s")


class Bot:
    """A running ``partnerbot run``; its standard error is read line by line as it comes."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.err_lines: list[str] = []
        self.out_lines: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(stream, lines), daemon=True)
            for stream, lines in ((proc.stderr, self.err_lines), (proc.stdout, self.out_lines))
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream: IO[str] | None, lines: list[str]) -> None:
        assert stream is not None
        for line in stream:
            lines.append(line.rstrip("\n"))

    def wait_for(self, what: str, ready: Callable[[], bool]) -> None:
        deadline = time.monotonic() + WAIT
        while not ready():
            if self.proc.poll() is not None and not ready():
                self.finish()
                pytest.fail(f"partnerbot ended before {what}: {self.err}")
            assert time.monotonic() < deadline, f"no {what} after {WAIT} s: {self.err}"
            time.sleep(0.02)

    def retries(self) -> list[tuple[str, str, int, float]]:
        found = (RETRY.search(line) for line in list(self.err_lines))
        return [(m[1], m[2], int(m[3]), float(m[4])) for m in found if m]

    def finish(self, sig: int | None = None) -> int:
        if sig is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for reader in self._readers:  # both streams read to their end
            reader.join(timeout=WAIT)
        return self.proc.returncode

    @property
    def out(self) -> str:
        return "\n".join(self.out_lines)

    @property
    def err(self) -> str:
        return "\n".join(self.err_lines)

    def leaked(self) -> bool:
        """Whether the token, or its secret half, shows anywhere the user could see it."""
        seen = self.out + self.err
        return TOKEN in seen or TOKEN.split(":")[1] in seen


@contextmanager
def partnerbot_run(tmp_path: Path, base_url: str, **env: str) -> Iterator[Bot]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in PROXY_VARS and not k.startswith("PARTNERBOT")
    }
    environment.update(
        PARTNERBOT_TOKEN=TOKEN,
        PARTNERBOT_API_BASE_URL=base_url,
        PARTNERBOT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        PARTNERBOT_RETRY_DELAY=str(FIRST_DELAY),
        HOME=str(tmp_path),
        **env,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        env=environment,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    bot = Bot(proc)
    try:
        yield bot
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def assert_backoff(retries: list[tuple[str, str, int, float]], host: str) -> None:
    """One line per attempt, numbered, naming the host, waiting 1x, 2x, 4x ... (capped)."""
    assert retries
    assert [r[2] for r in retries] == list(range(1, len(retries) + 1))
    assert {r[0] for r in retries} == {host}
    expected = backoff(FIRST_DELAY)
    assert [r[3] for r in retries] == [pytest.approx(next(expected)) for _ in retries]


def test_backoff_doubles_from_one_second_up_to_a_minute() -> None:
    delays = backoff(1.0)
    assert [next(delays) for _ in range(9)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_a_rejected_token_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with FakeBotApi(failures=(401,) * 5) as api, partnerbot_run(tmp_path, api.base_url) as bot:
        status = bot.finish()
    assert status == 2, bot.err
    assert bot.err_lines == [
        f"partnerbot: the Bot API at 127.0.0.1:{api.port} rejected the bot token "
        "(PARTNERBOT_TOKEN or telegram.token); check that you copied the whole token from "
        "@BotFather, or get a new one there with /token"
    ]
    assert bot.out == ""
    assert api.methods() == ["getMe"]  # asked once: a rejected token is not retried
    assert not bot.leaked()


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_an_unreachable_api_is_retried_until_stopped(tmp_path: Path, stop: int) -> None:
    port = closed_port()
    with partnerbot_run(tmp_path, f"http://127.0.0.1:{port}/bot") as bot:
        bot.wait_for("three attempts", lambda: len(bot.retries()) >= 3)
        status = bot.finish(stop)  # SIGTERM, or Ctrl-C, while it waits
    assert status == 0, bot.err
    assert_backoff(bot.retries(), f"127.0.0.1:{port}")
    assert "Traceback" not in bot.err
    assert not bot.leaked()


def test_an_api_that_comes_up_later_is_used(tmp_path: Path) -> None:
    port = closed_port()
    with partnerbot_run(tmp_path, f"http://127.0.0.1:{port}/bot") as bot:
        bot.wait_for("two attempts", lambda: len(bot.retries()) >= 2)
        with FakeBotApi(port=port) as api:  # the network is back
            api.updates.append(plan_update())
            bot.wait_for("an answer to /plan", lambda: bool(api.sent()))
            status = bot.finish(signal.SIGTERM)
    assert status == 0, bot.err
    assert_backoff(bot.retries(), f"127.0.0.1:{port}")
    assert t("q.aims.text") in api.sent()[0]["text"]
    assert api.methods()[0] == "getMe"
    assert "Traceback" not in bot.err
    assert not bot.leaked()


def test_an_api_answering_500_is_retried_then_used(tmp_path: Path) -> None:
    with FakeBotApi(failures=(500, 500, 500)) as api:
        api.updates.append(plan_update())
        with partnerbot_run(tmp_path, api.base_url) as bot:
            bot.wait_for("an answer to /plan", lambda: bool(api.sent()))
            status = bot.finish(signal.SIGTERM)
    assert status == 0, bot.err
    retries = bot.retries()
    assert len(retries) == 3
    assert_backoff(retries, f"127.0.0.1:{api.port}")
    assert all("Internal Server Error" in reason for _, reason, _, _ in retries)
    assert t("q.aims.text") in api.sent()[0]["text"]
    assert not bot.leaked()


def test_an_unexpected_error_is_one_line_and_exit_1(tmp_path: Path) -> None:
    with FakeBotApi(failures=(0,)) as api, partnerbot_run(tmp_path, api.base_url) as bot:
        status = bot.finish()
    assert status == 1, bot.err
    assert "Traceback" not in bot.err  # only at DEBUG
    last = bot.err_lines[-1]  # after the library's own ERROR line, if any
    assert last.startswith("partnerbot: unexpected error: ")
    assert last.endswith("run with PARTNERBOT_LOG_LEVEL=DEBUG for details")
    assert len(bot.err_lines) <= 2, bot.err
    assert not bot.leaked()


def test_at_debug_the_traceback_shows_without_the_token(tmp_path: Path) -> None:
    with (
        FakeBotApi(failures=(0,)) as api,
        partnerbot_run(tmp_path, api.base_url, PARTNERBOT_LOG_LEVEL="DEBUG") as bot,
    ):
        status = bot.finish()
    assert status == 1, bot.err
    assert "Traceback (most recent call last)" in bot.err
    assert "bot<token>" in bot.err  # PTB logs its API URL at DEBUG: redacted, not dropped
    assert bot.err_lines[-1].startswith("partnerbot: unexpected error: ")
    assert not bot.leaked()
