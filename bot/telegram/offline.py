"""An offline Telegram for the tests and the benchmark: a BaseRequest that answers the Bot
API locally, and builders of the updates a member's client sends. Nothing here opens a socket.

``OfflineRequest`` plugs into a real PTB Application (``ApplicationBuilder().request(...)``)
like ``HTTPXRequest`` does: PTB serializes every call (``RequestData.json_parameters``, the
body HTTPXRequest sends) and parses the JSON answer, so the whole framework path runs. Each
call yields to the event loop once, as a real request would, and is then answered at once,
like Telegram answers.

* ``OfflineRequest()`` (the tests) records every call with its decoded parameters and keeps
  every message the bot sent, with its edits. It can be told to fail chosen calls, with
  Telegram's own HTTP error answers (429 retry-after, 403 blocked, 400 not modified) or by
  raising (TimedOut), so the bot's error handling runs through PTB's real code.
* ``OfflineRequest(history=False)`` (``python -m bench``) counts the calls and keeps only each
  chat's newest message (the one whose buttons a member taps), so that the benchmark's own
  memory stays small next to the bot's; ``forget`` drops chats whose member is done.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.error import TimedOut
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from bot.telegram.deps import DEPS

BOT_ID = 7000001
BOT_USERNAME = "partnerbot_test_bot"
# Looks like a token; never leaves the process.
TOKEN = "123456789:AAE-partnerbot_OFFLINE-token_0x"
BOT_USER = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "Partnerbot",
    "username": BOT_USERNAME,
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


@dataclass(frozen=True)
class Call:
    method: str  # Bot API method, e.g. "sendMessage"
    params: dict[str, Any]


@dataclass(frozen=True)
class Failure:
    """An error answer from the Bot API (what PTB turns into RetryAfter, Forbidden, ...)."""

    status: int
    description: str
    parameters: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> bytes:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return json.dumps(body).encode()


def retry_after(seconds: int = 1) -> Failure:
    return Failure(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})


def forbidden() -> Failure:
    return Failure(403, "Forbidden: bot was blocked by the user")


def not_modified() -> Failure:
    return Failure(
        400,
        "Bad Request: message is not modified: specified new message content and reply "
        "markup are exactly the same as a current content and reply markup of the message",
    )


def timed_out() -> TimedOut:
    return TimedOut("Timed out")


class OfflineRequest(BaseRequest):
    def __init__(self, *, history: bool = True, first_id: int = 100, id_step: int = 1) -> None:
        self.history = history
        self.count = 0  # calls made
        self.calls: list[Call] = []  # with history, or while ``record`` is True
        self.record = False
        self.urls: list[str] = []
        # (chat_id, message_id) -> the message as it is now (after edits); without history
        # only each chat's newest message
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.newest: dict[int, int] = {}  # chat id -> the id of its newest message
        self._failures: dict[str, deque[Failure | BaseException]] = defaultdict(deque)
        # Message ids this "Telegram" gives out; two bot instances in one benchmark get
        # disjoint ones (first_id 100 and 101, step 2), as the real one gives each message its own.
        self._message_ids = itertools.count(first_id, id_step)
        self._first_id, self._id_step = first_id, id_step
        # (chat_id, user_id) -> status getChatMember reports ("member" when not set)
        self.member_status: dict[tuple[int, int], str] = {}

    # --- programming failures -------------------------------------------------------------

    def fail(self, method: str, *outcomes: Failure | BaseException) -> None:
        """The next calls of ``method`` fail with ``outcomes``, one each, in order."""
        self._failures[method].extend(outcomes)

    def pending_failures(self, method: str) -> int:
        return len(self._failures[method])

    # --- what was called ----------------------------------------------------------------------

    def called(self, method: str) -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    def sent_texts(self, chat_id: int | None = None) -> list[str]:
        return [
            str(p["text"])
            for p in self.called("sendMessage")
            if chat_id is None or int(p["chat_id"]) == chat_id
        ]

    def last_message(self, chat_id: int) -> dict[str, Any] | None:
        """The bot's newest message in a chat, or None."""
        newest = self.newest.get(chat_id)
        return None if newest is None else self.messages.get((chat_id, newest))

    def forget(self, chat_ids: Iterable[int]) -> None:
        """Drop what is kept of these chats (the benchmark's members who are done)."""
        for chat_id in chat_ids:
            newest = self.newest.pop(chat_id, None)
            self.messages.pop((chat_id, newest or 0), None)

    def adopt(self, chat_id: int, message: dict[str, Any]) -> None:
        """Take ``message`` as the chat's newest (sent by another bot instance). Message ids
        grow within a chat, whoever sent them: the next one given out here is higher."""
        following = max(next(self._message_ids), message["message_id"] + 1)
        following += -(following - self._first_id) % self._id_step  # stay in our own ids
        self._message_ids = itertools.count(following, self._id_step)
        if not self.history:
            self.forget([chat_id])
        self.newest[chat_id] = message["message_id"]
        self.messages[(chat_id, message["message_id"])] = message

    def chat_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in a chat, oldest first, as they look now."""
        return [m for (c, _), m in sorted(self.messages.items()) if c == chat_id]

    # --- BaseRequest --------------------------------------------------------------------------

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
        self.count += 1
        # What HTTPXRequest sends as the request body: every value JSON-encoded by PTB.
        body = request_data.json_parameters if request_data is not None else {}
        if self.history or self.record:
            params = dict(request_data.parameters) if request_data is not None else {}
            self.calls.append(Call(api_method, params))
            self.urls.append(url)
        await asyncio.sleep(0)  # a real request would yield to the loop
        queue = self._failures.get(api_method)
        if queue:
            outcome = queue.popleft()
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome.status, outcome.payload()
        if api_method == "getUpdates":
            await asyncio.sleep(0.05)  # long polling with nothing new
        result = self._result(api_method, body)
        return 200, _DUMPS({"ok": True, "result": result}).encode()

    def _result(self, api_method: str, body: dict[str, str]) -> Any:
        match api_method:
            case "getMe":
                return BOT_USER
            case "sendMessage":
                chat_id = int(body["chat_id"])
                message = {
                    "message_id": next(self._message_ids),
                    "date": int(time.time()),
                    "chat": chat_dict(chat_id),
                    "from": BOT_USER,
                    "text": body["text"],
                }
                _set_markup(message, body.get("reply_markup"))
                if not self.history:
                    self.messages.pop((chat_id, self.newest.get(chat_id, 0)), None)
                self.newest[chat_id] = message["message_id"]
                self.messages[(chat_id, message["message_id"])] = message
                return message
            case "editMessageText" | "editMessageReplyMarkup":
                key = (int(body["chat_id"]), int(body["message_id"]))
                # A message not kept (an older one, without history): only the answer matters.
                kept = self.messages.get(key)
                message = dict(kept) if kept is not None else _unknown(key, body)
                if api_method == "editMessageText":
                    message["text"] = body["text"]
                _set_markup(message, body.get("reply_markup"))
                message["edit_date"] = int(time.time())
                if kept is not None:
                    self.messages[key] = message
                return message
            case "getUpdates":
                return []
            case "getChatMember":
                key = (int(body["chat_id"]), int(body["user_id"]))
                return chat_member_dict(key[1], self.member_status.get(key, "member"))
            case "getWebhookInfo":
                return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
            case _:  # answerCallbackQuery, setMyCommands, setWebhook, deleteWebhook, ...
                return True


_DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _unknown(key: tuple[int, int], body: dict[str, str]) -> dict[str, Any]:
    chat_id, message_id = key
    return {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": chat_dict(chat_id),
        "from": BOT_USER,
        "text": body.get("text", "…"),
    }


def _set_markup(message: dict[str, Any], markup: Any) -> None:
    if isinstance(markup, str):
        markup = json.loads(markup)
    if isinstance(markup, dict) and markup.get("inline_keyboard"):
        message["reply_markup"] = markup
    else:
        message.pop("reply_markup", None)


def chat_dict(chat_id: int) -> dict[str, Any]:
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "Aino", "last_name": "Virta"}
    if chat_id <= SUPERGROUP_IDS:
        return {"id": chat_id, "type": "supergroup", "title": "Green Club"}
    return {"id": chat_id, "type": "group", "title": "Green Club"}


SUPERGROUP_IDS = -1_000_000_000_000  # supergroup ids are -100…, basic groups' are shorter


def chat_member_dict(user_id: int, status: str) -> dict[str, Any]:
    """What getChatMember answers for a user with ``status`` (creator, administrator, ...)."""
    member: dict[str, Any] = {
        "status": status,
        "user": {"id": user_id, "is_bot": False, "first_name": "Member"},
    }
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        rights = (
            "is_anonymous can_manage_chat can_delete_messages can_manage_video_chats "
            "can_restrict_members can_promote_members can_change_info can_invite_users "
            "can_post_stories can_edit_stories can_delete_stories"
        )
        member |= {"can_be_edited": False} | dict.fromkeys(rights.split(), False)
        member["can_manage_chat"] = True
    return member


def buttons(message: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(label, callback_data) of every inline button of a message, row by row."""
    if not message:
        return []
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


class Member:
    """A member writing to the bot in one chat: builds updates and feeds them to the app."""

    _update_ids = itertools.count(1)
    _query_ids = itertools.count(1)

    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        request: OfflineRequest,
        user_id: int = 4242,
        chat_id: int | None = None,
        first_name: str = "Aino",
    ) -> None:
        self.app = app
        self.request = request
        self.user = {"id": user_id, "is_bot": False, "first_name": first_name}
        self.chat_id = chat_id if chat_id is not None else user_id
        self._message_ids = itertools.count(1)

    # --- building updates ----------------------------------------------------------------

    def update(self, **payload: Any) -> Update:
        data = {"update_id": next(self._update_ids), **payload}
        update = Update.de_json(data, self.app.bot)
        assert update is not None
        return update

    def message(self, **fields: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat_dict(self.chat_id),
            "from": self.user,
            **fields,
        }

    def text_update(self, text: str) -> Update:
        fields: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            fields["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self.update(message=self.message(**fields))

    def tap_update(self, message: dict[str, Any], data: str) -> Update:
        query = {
            "id": str(next(self._query_ids)),
            "from": self.user,
            "chat_instance": f"ci{self.chat_id}",
            "data": data,
            "message": message,
        }
        return self.update(callback_query=query)

    # --- acting ---------------------------------------------------------------------------

    async def send(self, update: Update) -> None:
        """Process ``update`` and wait for the redraws it started (see bot.telegram.redraw)."""
        await self.app.process_update(update)
        await self.app.bot_data[DEPS].redraws.drain()

    async def say(self, text: str) -> None:
        await self.send(self.text_update(text))

    async def tap(self, message: dict[str, Any], data: str) -> None:
        await self.send(self.tap_update(message, data))

    async def tap_label(self, message: dict[str, Any], label: str) -> None:
        data = dict(buttons(message))[label]
        await self.tap(message, data)

    # --- what the member sees ---------------------------------------------------------------

    def messages(self) -> list[dict[str, Any]]:
        return self.request.chat_messages(self.chat_id)

    def last(self) -> dict[str, Any]:
        return self.messages()[-1]

    def texts(self) -> list[str]:
        return self.request.sent_texts(self.chat_id)

    def toasts(self) -> list[str | None]:
        return [p.get("text") for p in self.request.called("answerCallbackQuery")]


class Updates:
    """Builds the updates a member's client causes as the JSON Telegram delivers (the
    benchmark times ``Update.de_json`` as part of each update). The member of a private chat
    has the chat's id as user id."""

    def __init__(self) -> None:
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._query_ids = itertools.count(1)

    @staticmethod
    def user(chat_id: int) -> dict[str, Any]:
        return {"id": chat_id, "is_bot": False, "first_name": "Aino", "language_code": "en"}

    def text(self, chat_id: int, text: str) -> bytes:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat_dict(chat_id),
            "from": self.user(chat_id),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return _DUMPS({"update_id": next(self._update_ids), "message": message}).encode()

    def tap(self, chat_id: int, message: dict[str, Any], data: str) -> bytes:
        query = {
            "id": str(next(self._query_ids)),
            "from": self.user(chat_id),
            "chat_instance": f"ci{chat_id}",
            "data": data,
            "message": message,
        }
        return _DUMPS({"update_id": next(self._update_ids), "callback_query": query}).encode()
