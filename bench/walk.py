"""How a member walks a whole plan, from /start to the recommendation, recorded once.

``calibrate`` runs Partnerbot itself (on a scratch SQLite file) and lets a simulated member
answer as people do: tap a choice, tick two boxes of a multi-select (the message is edited in
place) and tap Done, type the number of a 1-5 scale, type a sentence for free-text questions,
and Finish at the review. Every step records what the member did (tap the n-th button of the
newest message, or type a text) and which Bot API calls Partnerbot made in answer.

Replaying the script on K chats needs no decisions: a tap reads its callback data from the
reply_markup the bot sent that chat (it carries the plan id and version), so every update is
what a real client would send. The baseline bot replays the recorded calls (``bench.variants``).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.telegram.offline import Call as ApiCall
from bot.telegram.offline import OfflineRequest, Updates, buttons

TAPPED = "tapped"  # an edit of the message whose button was tapped
REMEMBERED = "remembered"  # an edit of an earlier message (the question, once answered by text)

TYPED = "More young people from the neighbourhood taking part in our activities"
SCALE_TYPED = "4"
CALIBRATION_CHAT = 555_000_001
MAX_STEPS = 200

Keyboard = tuple[tuple[tuple[str, str], ...], ...]


@dataclass(frozen=True)
class Call:
    """One Bot API call the bot made at a step."""

    method: str
    text: str | None = None
    keyboard: Keyboard | None = None
    target: str = ""  # edits: TAPPED or REMEMBERED


@dataclass(frozen=True)
class Step:
    kind: str  # "text" or "tap"
    text: str = ""  # what the member typed
    button: int = -1  # which button of the newest message the member tapped
    calls: tuple[Call, ...] = ()


@dataclass(frozen=True)
class Script:
    steps: tuple[Step, ...]
    answers: int  # answer history rows Partnerbot stores for one walk
    final_text: str  # the last message the member sees: the recommendation

    @property
    def taps(self) -> int:
        return sum(step.kind == "tap" for step in self.steps)


def _keyboard(markup: Any) -> Keyboard | None:
    if not markup:
        return None
    if isinstance(markup, str):
        markup = json.loads(markup)
    rows = markup.get("inline_keyboard") or []
    if not rows:
        return None
    return tuple(tuple((b["text"], b.get("callback_data", "")) for b in row) for row in rows)


def _calls(record: list[ApiCall], tapped_id: int | None) -> tuple[Call, ...]:
    calls = []
    for method, params in ((c.method, c.params) for c in record):
        if method == "answerCallbackQuery":
            calls.append(Call(method, params.get("text")))
        elif method == "sendMessage":
            calls.append(Call(method, params["text"], _keyboard(params.get("reply_markup"))))
        elif method in ("editMessageText", "editMessageReplyMarkup"):
            target = TAPPED if int(params["message_id"]) == tapped_id else REMEMBERED
            calls.append(
                Call(method, params.get("text"), _keyboard(params.get("reply_markup")), target)
            )
        else:
            raise ValueError(f"the walk made an unexpected call: {method}")
    return tuple(calls)


def choose(message: dict[str, Any] | None) -> tuple[str, int | str]:
    """What a member does facing the bot's newest message: ("tap", index) or ("text", text)."""
    from bot.telegram.callback_data import Action, decode
    from flows.questionnaire import SCALE, by_key, is_question

    found = [(i, label, decode(data)) for i, (label, data) in enumerate(buttons(message))]
    by_action: dict[Action, list[tuple[int, str]]] = {}
    question = None
    for index, label, data in found:
        if data is None:
            continue
        by_action.setdefault(data.action, []).append((index, label))
        question = question or data.question
    if Action.FINISH in by_action:
        return "tap", by_action[Action.FINISH][0][0]
    if Action.TOGGLE in by_action:
        toggles = by_action[Action.TOGGLE]
        ticked = [i for i, label in toggles if label.startswith("✓")]
        if len(ticked) < 2:
            return "tap", next(i for i, label in toggles if not label.startswith("✓"))
        return "tap", by_action[Action.DONE][0][0]
    if Action.ANSWER in by_action:
        if question and is_question(question) and by_key(question).kind == SCALE:
            return "text", SCALE_TYPED
        return "tap", by_action[Action.ANSWER][0][0]
    return "text", TYPED  # a free-text question: its message has Back/Skip buttons at most


async def calibrate(directory: Path | None = None) -> Script:
    """Walk one plan through Partnerbot (SQLite file in ``directory``) and record it."""
    from bench.variants import Partnerbot
    from flows.texts import t
    from storage.db import default_sqlite_url

    with tempfile.TemporaryDirectory(prefix="partnerbot-bench-") as scratch:
        path = Path(directory or scratch) / "calibration.db"
        variant = Partnerbot(default_sqlite_url(path))
        await variant.start()
        try:
            return await _walk(variant, t("result.title", form=""))
        finally:
            await variant.close()


async def _walk(variant: Any, result_marker: str) -> Script:
    api: OfflineRequest = variant.api
    updates = Updates()
    chat = CALIBRATION_CHAT
    steps: list[Step] = []
    action: tuple[str, int | str] = ("text", "/start")
    for _ in range(MAX_STEPS):
        kind, what = action
        newest = api.last_message(chat)
        tapped_id = None
        if kind == "tap":
            assert newest is not None and isinstance(what, int)
            raw = updates.tap(chat, newest, buttons(newest)[what][1])
            tapped_id = newest["message_id"]
        else:
            raw = updates.text(chat, str(what))
        api.record = True
        api.calls.clear()
        from telegram import Update

        update = Update.de_json(json.loads(raw), variant.app.bot)
        await variant.app.update_processor.process_update(
            update, variant.app.process_update(update)
        )
        if hasattr(variant, "settle"):
            await variant.settle()
        calls = _calls(api.calls, tapped_id)
        api.record = False
        if kind == "tap":
            steps.append(Step("tap", button=int(what), calls=calls))
        else:
            steps.append(Step("text", text=str(what), calls=calls))
        sent = [c.text or "" for c in calls if c.method == "sendMessage"]
        if any(result_marker in text for text in sent):
            final = api.last_message(chat)
            assert final is not None
            stored = await variant.stored([chat])
            if stored.done != 1:
                raise RuntimeError("the calibration walk showed a result but stored no plan")
            return Script(tuple(steps), stored.answers, final["text"])
        action = choose(api.last_message(chat))
    raise RuntimeError(f"no recommendation after {MAX_STEPS} steps")


def describe(script: Script) -> str:
    texts = len(script.steps) - script.taps
    return (
        f"{len(script.steps)} updates per plan ({script.taps} button taps, {texts} typed), "
        f"{script.answers} answers stored"
    )


if __name__ == "__main__":  # pragma: no cover - a quick look at the walk
    recorded = asyncio.run(calibrate())
    print(describe(recorded))
    for n, step in enumerate(recorded.steps):
        print(n, step.kind, step.text or step.button, [c.method for c in step.calls])
