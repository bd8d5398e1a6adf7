"""Real ``partnerbot run`` processes on loopback ports, and members who talk to them.

A ``Fleet`` starts bot processes in webhook mode (settings from ``PARTNERBOT_*`` variables,
Bot API at a ``FakeBotApi``), and posts updates to them as Telegram would: JSON with the
secret header, answered only when the bot is done (``bot.telegram.web``). A ``Walker`` is a
member in a private chat who reads the bot's last question from what the fake Bot API
recorded, and answers it: a tap on a button, ticks and Done, or a typed line.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from tg_fake_api import FakeBotApi
from tg_support import TOKEN

from bot.telegram.callback_data import Action, ButtonData, decode
from bot.telegram.offline import BOT_USER
from flows.questionnaire import MULTI, TEXT, by_key

ROOT = Path(__file__).resolve().parents[3]
SECRET = "fleet_Secret-0123456789"
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
START_TIMEOUT = 90.0  # seconds for a process to answer /healthz (a loaded machine is slow)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], bool], timeout: float = 60.0, step: float = 0.05) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` passes; its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def bot_env(api: FakeBotApi, database_url: str, home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
    env.update(
        PARTNERBOT_TOKEN=TOKEN,
        PARTNERBOT_DATABASE_URL=database_url,
        PARTNERBOT_API_BASE_URL=api.base_url,
        HOME=str(home),
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


@dataclass
class Instance:
    """One ``partnerbot run`` process."""

    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.base + path, timeout=30, trust_env=False)

    def alive(self) -> bool:
        try:
            return self.get("/healthz").status_code == 200
        except httpx.HTTPError:
            return False

    def metric(self, name: str) -> float:
        """The sum of all samples of ``name`` on /metrics."""
        total = 0.0
        for line in self.get("/metrics").text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def terminate(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")


def start_instance(env: dict[str, str], workdir: Path, name: str, *args: str) -> Instance:
    """Start ``partnerbot run`` (or ``args``) with ``env``; webhook port from the env."""
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", *(args or ("run",))],
            env=env,
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    port = int(env.get("PARTNERBOT_WEBHOOK_PORT") or env.get("PARTNERBOT_HEALTH_PORT") or 0)
    return Instance(port, proc, log)


def await_ready(instance: Instance) -> None:
    ok = wait_until(lambda: instance.alive() or instance.proc.poll() is not None, START_TIMEOUT)
    assert ok and instance.proc.poll() is None, "the bot did not start:\n" + instance.stderr()


def webhook_env(
    api: FakeBotApi, database_url: str, home: Path, port: int, **extra: str
) -> dict[str, str]:
    return bot_env(
        api,
        database_url,
        home,
        PARTNERBOT_MODE="webhook",
        PARTNERBOT_WEBHOOK_URL="https://bot.example.org",
        PARTNERBOT_WEBHOOK_SECRET=SECRET,
        PARTNERBOT_WEBHOOK_PORT=str(port),
        **extra,
    )


# --- updates as Telegram sends them ----------------------------------------------------------


def user(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": f"Member{chat_id}"}


def private_chat(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "type": "private", "first_name": f"Member{chat_id}"}


def text_update(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": private_chat(chat_id),
        "from": user(chat_id),
        "text": text,
    }
    if text.startswith("/"):
        length = len(text.split()[0])
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return {"update_id": update_id, "message": message}


def tap_update(update_id: int, chat_id: int, shown: dict[str, Any], data: str) -> dict[str, Any]:
    """A tap on a button of ``shown`` (message_id, text and reply_markup of a bot message)."""
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"q{update_id}",
            "from": user(chat_id),
            "chat_instance": f"ci{chat_id}",
            "data": data,
            "message": {
                "message_id": shown["message_id"],
                "date": int(time.time()),
                "chat": private_chat(chat_id),
                "from": BOT_USER,
                "text": shown["text"],
                **({"reply_markup": shown["markup"]} if shown.get("markup") else {}),
            },
        },
    }


# --- what the bot showed ---------------------------------------------------------------------


@dataclass
class Shown:
    """A bot message with its buttons, as the member's phone shows it now."""

    message_id: int
    text: str
    markup: dict[str, Any] | None  # the inline keyboard, as Telegram hands it back
    buttons: list[tuple[str, ButtonData]]  # (callback data, decoded)

    @property
    def question(self) -> str | None:
        """The question this message asks (or "review"), from its buttons."""
        for _, data in self.buttons:
            if data.action == Action.FINISH:
                return "review"
            if data.question is not None and data.action != Action.EDIT:
                return data.question
        return None


def _markup(raw: Any) -> dict[str, Any] | None:
    markup = json.loads(raw) if isinstance(raw, str) else raw
    return markup if isinstance(markup, dict) and markup.get("inline_keyboard") else None


def _shown(message_id: int, text: str, raw_markup: Any) -> Shown:
    markup = _markup(raw_markup)
    return Shown(message_id, text, markup, _buttons(markup))


def _buttons(markup: dict[str, Any] | None) -> list[tuple[str, ButtonData]]:
    found = []
    for row in (markup or {}).get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            decoded = decode(data)
            if decoded is not None:
                found.append((data, decoded))
    return found


def chat_messages(api: FakeBotApi, chat_id: int) -> dict[int, Shown]:
    """Every message the bot sent to ``chat_id``, as edited since, by message id."""
    shown: dict[int, Shown] = {}
    for path, params in api.calls():
        method = path.rsplit("/", 1)[-1]
        if str(params.get("chat_id")) != str(chat_id):
            continue
        if method == "sendMessage" and "_message_id" in params:
            message_id = int(params["_message_id"])
            shown[message_id] = _shown(
                message_id, params.get("text", ""), params.get("reply_markup")
            )
        elif method in ("editMessageText", "editMessageReplyMarkup"):
            message_id = int(params["message_id"])
            old = shown.get(message_id)
            if old is None:
                continue
            text = params.get("text", old.text)
            shown[message_id] = _shown(message_id, text, params.get("reply_markup"))
    return shown


def questions_sent(api: FakeBotApi, chat_id: int) -> list[str]:
    """The questions the bot sent as new messages, in order (a redraw is not a new one)."""
    asked = []
    for path, params in api.calls():
        if path.endswith("/sendMessage") and str(params.get("chat_id")) == str(chat_id):
            question = _shown(0, "", params.get("reply_markup")).question
            if question is not None:
                asked.append(question)
    return asked


# --- posting ---------------------------------------------------------------------------------


@dataclass
class Poster:
    """Posts updates to the instances in turn, as a load balancer would."""

    instances: list[Instance]
    client: httpx.AsyncClient
    path: str = "/telegram"
    posted: int = 0
    statuses: list[int] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_id(self) -> int:
        return next(self._ids)

    async def post(self, update: dict[str, Any], to: int | None = None) -> int:
        index = self.posted % len(self.instances) if to is None else to
        self.posted += 1
        url = self.instances[index].base + self.path
        response = await self.client.post(
            url,
            content=json.dumps(update),
            headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
        self.statuses.append(response.status_code)
        return response.status_code


@dataclass
class Walker:
    """A member who plans alone in a private chat, answering each question once."""

    chat_id: int
    api: FakeBotApi
    poster: Poster
    answers: dict[str, Any] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    # Every how many of this member's updates Telegram delivers a second copy (0: never),
    # after the first was handled, or at the same moment (to both instances at once).
    duplicate_every: int = 0
    race_every: int = 0
    duplicates: int = 0
    _sent: int = 0

    async def send(self, update: dict[str, Any]) -> None:
        self._sent += 1
        if self.race_every and self._sent % self.race_every == 0:
            self.duplicates += 1
            posts = (self.poster.post(update, n) for n in range(len(self.poster.instances)))
            statuses = await asyncio.gather(*posts)
            assert set(statuses) == {200}, f"webhook answered {statuses}"
            return
        status = await self.poster.post(update)
        assert status == 200, f"webhook answered {status}"
        if self.duplicate_every and self._sent % self.duplicate_every == 0:
            # Telegram got no answer in time and delivers the update again; the load
            # balancer hands the copy to the other instance.
            self.duplicates += 1
            copy = await self.poster.post(update)
            assert copy == 200, f"webhook answered {copy} to a copy"

    def current(self) -> Shown | None:
        """The question (or review) of the newest bot message, where the member looks.

        Only the newest: with several instances an older question message may still carry
        buttons (the instance that handled a typed answer did not send that message, so it
        cannot know to take its buttons away); tapping them is refused as stale.
        """
        messages = chat_messages(self.api, self.chat_id)
        if not messages:
            return None
        newest = messages[max(messages)]
        return newest if newest.question is not None else None

    async def plan(self, max_steps: int = 80) -> None:
        await self.send(text_update(self.poster.next_id(), self.chat_id, "/plan"))
        for _ in range(max_steps):
            shown = self.current()
            if shown is None:
                return  # the result is shown: no question left
            await self.answer(shown)
        raise AssertionError(
            f"chat {self.chat_id} did not finish in {max_steps} steps: asked {self.order[-8:]}"
        )

    async def answer(self, shown: Shown) -> None:
        question = shown.question
        assert question is not None
        self.order.append(question)
        if question == "review":
            data = next(raw for raw, d in shown.buttons if d.action == Action.FINISH)
            await self.tap(shown, data)
            return
        kind = by_key(question).kind
        if kind == TEXT:
            text = f"Note {self.chat_id} for {question}"
            self.answers[question] = text
            await self.send(text_update(self.poster.next_id(), self.chat_id, text))
            return
        options = [(raw, d) for raw, d in shown.buttons if d.option is not None]
        raw, chosen = options[(self.chat_id + len(self.order)) % len(options)]
        assert chosen.option is not None
        if kind == MULTI:
            await self.tap(shown, raw)  # tick one box; the message is redrawn
            redrawn = chat_messages(self.api, self.chat_id)[shown.message_id]
            done = next(r for r, d in redrawn.buttons if d.action == Action.DONE)
            self.answers[question] = [chosen.option]
            await self.tap(redrawn, done)
            return
        self.answers[question] = int(chosen.option) if kind == "scale" else chosen.option
        await self.tap(shown, raw)

    async def tap(self, shown: Shown, data: str) -> None:
        view = {"message_id": shown.message_id, "text": shown.text, "markup": shown.markup}
        await self.send(tap_update(self.poster.next_id(), self.chat_id, view, data))


async def walk_all(walkers: list[Walker]) -> None:
    await asyncio.gather(*(w.plan() for w in walkers))
