"""A burst in a group: three members tap a checklist 24 times each within 2 seconds.

Runs Partnerbot's real Application (update processor, AIORateLimiter with Telegram's limits:
20 messages a minute into a group) on an offline Bot API that answers every call after a
network delay, in real time. Taps arrive on schedule through the update processor, as
polling hands them over. Measured per variant:

- how long each tap's spinner turned (tap to ``answerCallbackQuery``),
- when the last redraw of the checklist landed, after the last tap,
- how many edits the group received.

Variants: ``merged`` is the bot as shipped (answers never paced, redraws merged at most one
per 1.5 s per message). ``per-tap`` is the behaviour before: every tap's handler waits for its
own edit, and answers go through the same pacing as messages.

    python -m bench.burst              # both variants, a table
    python -m bench.burst --json
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from telegram import Update

from bot.config import Settings
from bot.telegram import delivery
from bot.telegram.app import build_application
from bot.telegram.deps import DEPS
from bot.telegram.offline import TOKEN, OfflineRequest
from bot.telegram.redraw import Redraws
from flows import events as ev
from flows.model import ChatRef, MemberRef
from flows.questionnaire import by_key
from flows.service import PlanningService
from storage.db import default_sqlite_url
from storage.store import SqlStore

GROUP = -900
MEMBERS = ((9101, "Anna"), (9102, "Äänekoski"), (9103, "Đorđe"))
TAPS_EACH, BURST = 24, 2.0
LATENCY = 0.05  # seconds a Bot API call takes on the network, each way together
WATCH = 15.0  # seconds after the last tap that the run waits for redraws


class TimedApi(OfflineRequest):
    """The benchmark's offline Bot API, answering after ``LATENCY`` and noting when each call
    was answered. It keeps each chat's newest message: here, the checklist."""

    def __init__(self) -> None:
        super().__init__(history=False)
        self.log: list[tuple[str, float, dict[str, Any]]] = []  # (method, answered at, params)

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(LATENCY)
        answer = await super().do_request(url, method, *args, **kwargs)
        request_data = args[0] if args else kwargs.get("request_data")
        params = dict(request_data.parameters) if request_data is not None else {}
        self.log.append((url.rsplit("/", 1)[-1], time.monotonic(), params))
        return answer

    def checklist(self) -> dict[str, Any]:
        """The group's newest message (the checklist) as the members' clients show it."""
        shown = self.last_message(GROUP)
        assert shown is not None
        return shown | {"chat": {"id": GROUP, "type": "group", "title": "Green Club"}}


async def run(variant: str, store: SqlStore) -> dict[str, Any]:
    unpaced = delivery.UNPACED_METHODS
    if variant == "per-tap":
        delivery.UNPACED_METHODS = frozenset()
    api = TimedApi()
    service = PlanningService(store)
    settings = Settings(token=TOKEN, database_url="sqlite+aiosqlite:///:memory:")
    app = build_application(settings, service, request=api, get_updates_request=TimedApi())
    interval = 1.5 if variant == "merged" else 0.0
    app.bot_data[DEPS] = dataclasses.replace(app.bot_data[DEPS], redraws=Redraws(interval=interval))
    await app.initialize()
    running: list[asyncio.Task[None]] = []
    tapped: dict[str, float] = {}
    last_tap = time.monotonic()
    try:
        chat = ChatRef("telegram", str(GROUP), "group", "Green Club")
        first = MemberRef(str(MEMBERS[0][0]), MEMBERS[0][1])
        await _finish(service, chat, first)
        ids = itertools.count(1)
        await app.process_update(_update(app, ids, MEMBERS[0], text="/checklist"))
        await app.bot_data[DEPS].redraws.drain()
        message = api.checklist()

        start = time.monotonic()
        count = len(MEMBERS) * TAPS_EACH
        for k in range(count):
            await asyncio.sleep(max(0.0, start + BURST * k / (count - 1) - time.monotonic()))
            shown = api.checklist()
            assert shown["message_id"] == message["message_id"]
            items = [
                b["callback_data"]
                for row in shown.get("reply_markup", {}).get("inline_keyboard", [])
                for b in row
                if b["callback_data"].startswith("w|i|")
            ]
            update = _update(
                app, ids, MEMBERS[k % len(MEMBERS)], shown=shown, data=items[(k // 3) % len(items)]
            )
            tapped[update.callback_query.id] = time.monotonic()  # type: ignore[union-attr]
            # Per tap: the handler waited for its own edit (as before merging).
            coroutine = (
                _and_drain(app, update) if variant == "per-tap" else app.process_update(update)
            )
            running.append(
                asyncio.create_task(app.update_processor.process_update(update, coroutine))
            )
        last_tap = time.monotonic()
        await asyncio.wait(running, timeout=WATCH)
        await asyncio.wait_for(_quiet(app), timeout=max(0.1, last_tap + WATCH - time.monotonic()))
    except TimeoutError:
        pass
    finally:
        delivery.UNPACED_METHODS = unpaced
        answered = {
            p["callback_query_id"]: at for m, at, p in api.log if m == "answerCallbackQuery"
        }
        edits = [at for m, at, p in api.log if m.startswith("editMessage")]
        spinners = [answered[q] - at for q, at in tapped.items() if q in answered]
        # The per-tap variant may still be queued: stop it here.
        leftover = [*running, *app.bot_data[DEPS].redraws.busy()]
        for task in leftover:
            task.cancel()
        await asyncio.gather(*leftover, return_exceptions=True)
        await app.shutdown()
    return {
        "variant": variant,
        "taps": len(tapped),
        "answered": len(spinners),
        "spinner_median_s": round(statistics.median(spinners), 3) if spinners else None,
        "spinner_max_s": round(max(spinners), 3) if spinners else None,
        "edits": len(edits),
        "last_redraw_after_last_tap_s": round(max(edits) - last_tap, 3) if edits else None,
        "watched_s": WATCH,
    }


async def _and_drain(app: Any, update: Update) -> None:
    await app.process_update(update)
    await app.bot_data[DEPS].redraws.drain()


async def _quiet(app: Any) -> None:
    await app.bot_data[DEPS].redraws.drain()


async def _finish(service: PlanningService, chat: ChatRef, member: MemberRef) -> None:
    """A finished plan: every question answered with its first option (a scale: a vote of 4,
    then Done), open questions with a sentence."""
    reply = await service.handle(chat, member, ev.Start())
    for _ in range(100):
        if reply.kind == "result":
            return
        key = reply.question or ""
        if reply.kind == "review":
            event: ev.Event = ev.Finish()
        elif reply.question_kind == "scale":
            vote = await service.handle(chat, member, ev.Answer(key, 4))
            event = ev.Done(vote.question or key)
        elif reply.question_kind == "multi":
            event = ev.Answer(key, [by_key(key).options[0]])
        elif reply.question_kind == "choice":
            event = ev.Answer(key, by_key(key).options[0])
        else:
            event = ev.Text("A sentence in our own words.")
        reply = await service.handle(chat, member, event)
    raise RuntimeError("the plan did not finish")


def _update(
    app: Any,
    ids: Any,
    who: tuple[int, str],
    *,
    text: str | None = None,
    shown: dict[str, Any] | None = None,
    data: str | None = None,
) -> Update:
    user = {"id": who[0], "is_bot": False, "first_name": who[1]}
    chat = {"id": GROUP, "type": "group", "title": "Green Club"}
    n = next(ids)
    if text is not None:
        entities = [{"type": "bot_command", "offset": 0, "length": len(text)}]
        payload: dict[str, Any] = {
            "message": {
                "message_id": n,
                "date": int(time.time()),
                "chat": chat,
                "from": user,
                "text": text,
                "entities": entities,
            }
        }
    else:
        payload = {
            "callback_query": {
                "id": str(n),
                "from": user,
                "chat_instance": "ci",
                "data": data,
                "message": shown,
            }
        }
    update = Update.de_json({"update_id": n, **payload}, app.bot)
    assert update is not None
    return update


async def main_async(variants: list[str]) -> list[dict[str, Any]]:
    rows = []
    for variant in variants:
        with tempfile.TemporaryDirectory() as tmp:
            store = await SqlStore.open(default_sqlite_url(Path(tmp) / "burst.db"), migrate=True)
            try:
                rows.append(await run(variant, store))
            finally:
                await store.close()
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """The figures as a Markdown table (for bench/README.md)."""
    lines = [
        "| variant | taps answered | spinner median | spinner max | edits "
        "| last redraw after last tap |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        unanswered = row["answered"] < row["taps"]
        queued = " (more still queued when the watch ended)" if unanswered else ""
        lines.append(
            f"| {row['variant']} | {row['answered']} of {row['taps']} "
            f"| {row['spinner_median_s']} s | {row['spinner_max_s']} s | {row['edits']} "
            f"| {row['last_redraw_after_last_tap_s']} s{queued} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.burst", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--variant", action="append", choices=("merged", "per-tap"), help="run only these"
    )
    args = parser.parse_args(argv)
    rows = asyncio.run(main_async(args.variant or ["merged", "per-tap"]))
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
