"""A tiny Bot API server on loopback, for tests that go through PTB's real HTTPXRequest."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from bot.telegram.offline import BOT_USER, chat_dict


def plan_update(chat_id: int = 4242, update_id: int = 1) -> dict[str, Any]:
    """The update of a member sending /plan in a private chat, as Telegram sends it."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Aino"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Aino"},
            "text": "/plan",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }


class FakeBotApi:
    """Answers getMe, sendMessage, getUpdates (from a queue) and the rest with ``true``.

    ``errors[method] = (code, description)`` makes a method fail as Telegram would; while
    ``sending`` is cleared, sendMessage waits (a slow Telegram, to keep updates in flight).
    ``failures`` are HTTP statuses to answer the next requests with, one each, before answering
    normally (500: a broken server; 401: what Telegram says to a token it does not know; 0: a
    200 whose body is not JSON, which no Bot API sends).
    """

    def __init__(self, port: int = 0, failures: tuple[int, ...] = ()) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []  # (path, params)
        self.updates: deque[dict[str, Any]] = deque()
        self.errors: dict[str, tuple[int, str]] = {}
        self.webhook_url = ""  # what getWebhookInfo reports
        self.sending = threading.Event()
        self.sending.set()
        self.failures: deque[int] = deque(failures)
        self._lock = threading.Lock()
        self._message_id = 500
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                params = api._decode(body, self.headers.get("Content-Type", ""))
                method = self.path.rsplit("/", 1)[-1]
                if method == "sendMessage":
                    api.sending.wait(timeout=60)
                with api._lock:
                    api.requests.append((self.path, params))
                    status = api.failures.popleft() if api.failures else 200
                code, description = api.errors.get(method, (200, ""))
                if status == 0:
                    status, payload = 200, b"<html>not the Bot API</html>"
                elif status != 200:
                    description = HTTPStatus(status).phrase
                    payload = json.dumps(
                        {"ok": False, "error_code": status, "description": description}
                    ).encode()
                elif code != 200:
                    status = code
                    error = {"ok": False, "error_code": code, "description": description}
                    payload = json.dumps(error).encode()
                else:
                    result = api._answer(method, params)
                    payload = json.dumps({"ok": True, "result": result}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = int(self.server.server_address[1])
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def __enter__(self) -> FakeBotApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def calls(self) -> list[tuple[str, dict[str, Any]]]:
        with self._lock:
            return list(self.requests)

    def methods(self) -> list[str]:
        with self._lock:
            return [path.rsplit("/", 1)[-1] for path, _ in self.requests]

    def paths(self) -> list[str]:
        with self._lock:
            return [path for path, _ in self.requests]

    def sent(self) -> list[dict[str, Any]]:
        with self._lock:
            return [p for path, p in self.requests if path.endswith("/sendMessage")]

    @staticmethod
    def _decode(body: str, content_type: str) -> dict[str, Any]:
        if not body:
            return {}
        if content_type.startswith("application/json"):
            return dict(json.loads(body))
        # PTB posts a form whose values are JSON-encoded where they are not plain strings.
        return {k: v[0] for k, v in parse_qs(body).items()}

    def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "sendMessage":
            with self._lock:
                self._message_id += 1
                message_id = self._message_id
                params["_message_id"] = message_id  # so tests can follow later edits
            return {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": chat_dict(int(params["chat_id"])),
                "from": BOT_USER,
                "text": params.get("text", ""),
            }
        if method == "getWebhookInfo":
            return {
                "url": self.webhook_url,
                "has_custom_certificate": False,
                "pending_update_count": 0,
            }
        if method == "getUpdates":
            with self._lock:
                pending = list(self.updates)
                self.updates.clear()
            if not pending:
                time.sleep(0.1)  # a short "long poll"
            return pending
        return True
