"""Random Telegram updates into the real Application: nothing raises, rejected input stores
nothing, and a member is never left without words back."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Update
from tg_support import Bot, snapshot

from bot.telegram.callback_data import decode
from bot.telegram.offline import BOT_USERNAME, Member, buttons
from flows.texts import t

USER = {"id": 4242, "is_bot": False, "first_name": "Aino"}  # no username, no last name
text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)
commands = st.sampled_from(
    [
        "/start",
        "/plan",
        "/resume",
        "/back",
        "/skip",
        "/summary",
        "/help",
        "/cancel",
        "/nonsense",
        f"/plan@{BOT_USERNAME}",
        "/start x" * 40,
        "/start ../../etc",
        "/start plan",
    ]
)
callback_data = st.one_of(
    text.map(lambda s: s[:64]),
    st.sampled_from(
        [
            "1|1|1|a|0|0",
            "1|999|0|a|0|0",
            "1|1|999|f|0|0",
            "1||||",
            "2|1|1|a|0|0",
            "1|1|1|a|0|99",
            "1|1|1|x|0|0",
            "w|1|1",
            "1|-1|1|a|0|0",
            "1|01|1|a|0|0",
        ]
    ),
)


def message(kind: str, payload: Any) -> dict[str, Any]:
    base = {
        "message_id": 1,
        "date": int(time.time()),
        "chat": {"id": 4242, "type": "private", "first_name": "Aino"},
        "from": USER,
    }
    if kind == "text":
        return {**base, "text": payload}
    if kind == "command":
        return {
            **base,
            "text": payload,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(payload.split()[0])}],
        }
    if kind == "sticker":
        return {
            **base,
            "sticker": {
                "file_id": "s",
                "file_unique_id": "s",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            },
        }
    if kind == "photo":
        return {**base, "photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]}
    return {**base, "location": {"latitude": 60.17, "longitude": 24.94}}


updates = st.one_of(
    st.tuples(st.just("text"), text),
    st.tuples(st.just("long"), st.integers(2001, 6000)),
    st.tuples(st.just("command"), commands),
    st.tuples(st.just("edited"), text),
    st.tuples(st.just("channel"), text),
    st.tuples(st.just("sticker"), st.none()),
    st.tuples(st.just("photo"), st.none()),
    st.tuples(st.just("location"), st.none()),
    st.tuples(st.just("tap"), callback_data),
    st.tuples(st.just("tap_shown"), st.integers(0, 30)),
)

# Updates that must never change anything stored.
REJECTED = {"long", "edited", "channel", "sticker", "photo", "location"}


def build(kind: str, payload: Any, member: Member, update_id: int) -> dict[str, Any]:
    if kind == "long":
        return {"update_id": update_id, "message": message("text", "x" * payload)}
    if kind in ("text", "command", "sticker", "photo", "location"):
        return {"update_id": update_id, "message": message(kind, payload)}
    if kind == "edited":
        return {
            "update_id": update_id,
            "edited_message": {**message("text", payload), "edit_date": int(time.time())},
        }
    if kind == "channel":
        return {
            "update_id": update_id,
            "channel_post": {
                "message_id": 5,
                "date": int(time.time()),
                "text": payload or "x",
                "chat": {"id": -100123, "type": "channel", "title": "News"},
            },
        }
    shown = member.messages()
    if kind == "tap_shown" and shown:
        # A real button from any message the bot sent: current, stale, or long gone.
        target = shown[payload % len(shown)]
        data = [d for _, d in buttons(target)]
        payload = data[payload % len(data)] if data else "1|1|1|b|0|0"
        return {
            "update_id": update_id,
            "callback_query": {
                "id": str(update_id),
                "from": USER,
                "chat_instance": "ci",
                "data": payload,
                "message": target,
            },
        }
    data = payload if isinstance(payload, str) else "garbage"
    return {
        "update_id": update_id,
        "callback_query": {
            "id": str(update_id),
            "from": USER,
            "chat_instance": "ci",
            "data": data,
            "message": message("text", "old question"),
        },
    }


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(script=st.lists(updates, min_size=1, max_size=25))
async def test_random_updates_never_break_the_bot(
    bot: Bot, store: Any, caplog: pytest.LogCaptureFixture, script: list[tuple[str, Any]]
) -> None:
    member = bot.member
    for n, (kind, payload) in enumerate(script):
        raw = build(kind, payload, member, 10_000 + n)
        forged = kind == "tap" and decode(str(payload)) is None
        before = await snapshot(store, member.chat_id)
        calls = len(bot.request.calls)
        update = Update.de_json(raw, bot.app.bot)
        assert update is not None
        await member.send(update)  # and the calls it makes alongside (answers, redraws)
        if kind in REJECTED or forged:
            assert await snapshot(store, member.chat_id) == before, (kind, payload)
        if kind not in ("channel",):
            # The member always hears something back (a message, an edit or a toast).
            assert len(bot.request.calls) > calls, (kind, payload)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
    assert t("ui.error") not in member.texts()
