"""An offline Bot API for the benchmark, and the updates a member's client would send.

``OfflineBotApi`` plugs into a real PTB Application (``ApplicationBuilder().request(...)``)
like ``HTTPXRequest`` does: PTB serializes every call (``RequestData.json_parameters``, the
body HTTPXRequest sends) and parses the JSON answer into ``Message`` objects, so the whole
framework path runs; only the socket is missing. Each call yields to the event loop once, as
a real request would, and is then answered at once.

It keeps only what the simulated members need, as compact JSON: the newest message of each
chat (the one whose buttons the member taps), so that the benchmark's own memory stays small
next to the bot's. ``forget`` drops a chat when its member is done.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.request import BaseRequest, RequestData

BOT_ID = 7000001
BOT_USERNAME = "partnerbot_bench_bot"
BOT_USER = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "Partnerbot",
    "username": BOT_USERNAME,
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
# Looks like a token; never leaves the process.
TOKEN = "123456789:AAE-partnerbot_BENCH-token_0x"

_OK_TRUE = b'{"ok":true,"result":true}'
_DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def private_chat(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "type": "private", "first_name": "Member"}


def member_user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Member", "language_code": "en"}


class OfflineBotApi(BaseRequest):
    """Answers Bot API calls locally, like Telegram would; counts them.

    The answers are assembled from the JSON PTB sent (the keyboard is passed through as the
    text PTB encoded), so this fake server costs a few microseconds per call, and PTB still
    parses a complete ``Message`` from each answer.
    """

    def __init__(self) -> None:
        self.calls = 0
        self.methods: dict[str, int] = {}
        # When a list: every call's (method, JSON-encoded parameters) is appended (bench.walk).
        self.record: list[tuple[str, dict[str, str]]] | None = None
        # chat id -> the chat's newest message: (message_id, date, text, keyboard JSON or None)
        self.last: dict[int, tuple[int, int, str, str | None]] = {}
        self._message_ids = itertools.count(1000)

    # --- what the member sees -------------------------------------------------------------

    def last_message(self, chat_id: int) -> dict[str, Any] | None:
        newest = self.last.get(chat_id)
        return None if newest is None else json.loads(_message(chat_id, *newest))

    def forget(self, chat_ids: Any) -> None:
        for chat_id in chat_ids:
            self.last.pop(chat_id, None)

    # --- BaseRequest ----------------------------------------------------------------------

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        self.calls += 1
        self.methods[api_method] = self.methods.get(api_method, 0) + 1
        # What HTTPXRequest sends as the request body: every value JSON-encoded by PTB.
        params = request_data.json_parameters if request_data is not None else {}
        if self.record is not None:
            self.record.append((api_method, params))
        await asyncio.sleep(0)  # a real request would yield to the event loop
        if api_method == "sendMessage":
            return 200, self._send(params)
        if api_method in ("editMessageText", "editMessageReplyMarkup"):
            return 200, self._edit(api_method, params)
        if api_method == "getMe":
            return 200, _DUMPS({"ok": True, "result": BOT_USER}).encode()
        if api_method == "getUpdates":
            return 200, b'{"ok":true,"result":[]}'
        return 200, _OK_TRUE  # answerCallbackQuery, setMyCommands, ...

    def _send(self, params: dict[str, str]) -> bytes:
        chat_id = int(params["chat_id"])
        message = (
            next(self._message_ids),
            int(time.time()),
            params["text"],
            _keyboard(params.get("reply_markup")),
        )
        self.last[chat_id] = message
        return _answer(_message(chat_id, *message))

    def _edit(self, api_method: str, params: dict[str, str]) -> bytes:
        chat_id = int(params["chat_id"])
        message_id = int(params["message_id"])
        newest = self.last.get(chat_id)
        keyboard = _keyboard(params.get("reply_markup"))
        if newest is not None and newest[0] == message_id:
            text = params["text"] if api_method == "editMessageText" else newest[2]
            edited = (message_id, newest[1], text, keyboard)
            self.last[chat_id] = edited
        else:  # an older message of the chat: only the answer is needed
            edited = (message_id, int(time.time()), params.get("text", "…"), keyboard)
        return _answer(_message(chat_id, *edited, edited=True))


_BOT_USER_JSON = _DUMPS(BOT_USER)


def _keyboard(markup: str | None) -> str | None:
    """The keyboard's JSON as PTB encoded it, or None when it has no buttons."""
    if not markup or '"inline_keyboard":[]' in markup.replace(" ", ""):
        return None
    return markup


def _message(
    chat_id: int,
    message_id: int,
    date: int,
    text: str,
    keyboard: str | None,
    edited: bool = False,
) -> bytes:
    parts = [
        f'{{"message_id":{message_id},"date":{date},'
        f'"chat":{{"id":{chat_id},"type":"private","first_name":"Member"}},'
        f'"from":{_BOT_USER_JSON},"text":{_DUMPS(text)}'
    ]
    if keyboard is not None:
        parts.append(f',"reply_markup":{keyboard}')
    if edited:
        parts.append(f',"edit_date":{int(time.time())}')
    parts.append("}")
    return "".join(parts).encode()


def _answer(message: bytes) -> bytes:
    return b'{"ok":true,"result":' + message + b"}"


def buttons(message: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(label, callback_data) of every inline button of a message, row by row."""
    if not message:
        return []
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


class Updates:
    """Builds the updates a member's client causes, as the JSON Telegram delivers."""

    def __init__(self) -> None:
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._query_ids = itertools.count(1)

    def text(self, chat_id: int, text: str) -> bytes:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": private_chat(chat_id),
            "from": member_user(chat_id),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return _DUMPS({"update_id": next(self._update_ids), "message": message}).encode()

    def tap(self, chat_id: int, message: dict[str, Any], data: str) -> bytes:
        query = {
            "id": str(next(self._query_ids)),
            "from": member_user(chat_id),
            "chat_instance": f"ci{chat_id}",
            "data": data,
            "message": message,
        }
        return _DUMPS({"update_id": next(self._update_ids), "callback_query": query}).encode()
