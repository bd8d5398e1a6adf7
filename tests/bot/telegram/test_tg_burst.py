"""A burst in a group: three members tap a checklist 24 times each within 2 seconds.

Time is a controllable clock (``StepClock``): taps arrive at chosen instants, and the redraw
merger's waits end only when the test moves the clock on. Every Bot API call is stamped with
the clock's time, so the test reads off when each spinner stopped and when each redraw landed,
without depending on how fast this machine is.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import Iterator
from typing import Any

from test_tg_work import finish_plan, ref, telegram_chat
from tg_support import make_settings

from bot.telegram.app import build_application
from bot.telegram.deps import DEPS
from bot.telegram.offline import Call, Member, OfflineRequest
from bot.telegram.redraw import Redraws
from bot.telegram.work_callback_data import Op, decode
from bot.telegram.work_render import view_keyboard, view_text
from flows import events as ev
from flows.service import PlanningService

GROUP = -700
MEMBERS, TAPS_EACH, BURST = 3, 24, 2.0  # seconds
SPINNER_LIMIT, LAST_REDRAW_LIMIT = 1.0, 2.0  # seconds, as the issue asks
GROUP_LIMIT = 20  # messages a minute Telegram lets a bot post into one group
POSTING = frozenset({"sendMessage", "editMessageText", "editMessageReplyMarkup"})


class StepClock:
    """A clock that moves only when told; sleepers wake when it passes their time."""

    def __init__(self) -> None:
        self.time = 0.0
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []
        self._waits: dict[asyncio.Task[Any], asyncio.Future[None]] = {}

    def now(self) -> float:
        return self.time

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.time + seconds, future))
        task = asyncio.current_task()
        assert task is not None
        self._waits[task] = future
        try:
            await future
        finally:
            del self._waits[task]

    @property
    def sleeping(self) -> set[asyncio.Task[Any]]:
        """Tasks waiting for a time the clock has not reached (not those just woken)."""
        return {task for task, future in self._waits.items() if not future.done()}

    async def advance_to(self, when: float, redraws: Redraws) -> None:
        """Move to ``when``, waking each sleeper at its own time, letting it finish first."""
        await settle(self, redraws)  # what is under way now finishes at the present time
        while due := sorted((at, f) for at, f in self._sleepers if at <= when):
            at, future = due[0]
            self._sleepers.remove((at, future))
            self.time = max(self.time, at)
            future.set_result(None)
            await settle(self, redraws)
        self.time = max(self.time, when)


async def settle(clock: StepClock, redraws: Redraws) -> None:
    """Let every redraw run until it is done or waits for the clock."""
    for _ in range(10_000):
        if set(redraws.busy()) <= clock.sleeping:
            return
        await asyncio.sleep(0)
    raise AssertionError("redraws never settled")


class TimedRequest(OfflineRequest):
    """The offline Bot API, noting the clock's time of every call."""

    def __init__(self, clock: StepClock) -> None:
        super().__init__()
        self.clock = clock
        self.times: list[float] = []

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> Any:
        self.times.append(self.clock.now())
        return await super().do_request(url, method, *args, **kwargs)

    def timed(self) -> Iterator[tuple[float, Call]]:
        return zip(self.times, self.calls, strict=True)


def tap_times() -> list[float]:
    count = MEMBERS * TAPS_EACH
    return [BURST * k / (count - 1) for k in range(count)]


async def test_a_burst_of_taps_is_answered_at_once_and_redrawn_merged(store: Any) -> None:
    clock = StepClock()
    request = TimedRequest(clock)
    service = PlanningService(store)
    app = build_application(
        make_settings(), service, request=request, get_updates_request=OfflineRequest()
    )
    await app.initialize()
    try:
        redraws = Redraws(clock=clock, interval=1.5)
        app.bot_data[DEPS] = dataclasses.replace(app.bot_data[DEPS], redraws=redraws)
        members = [
            Member(app, request, user_id=7100 + n, chat_id=GROUP, first_name=name)
            for n, name in enumerate(("Anna", "Äänekoski", "Đorđe"))
        ]
        await finish_plan(service, GROUP, members)
        await app.process_update(members[0].text_update("/checklist"))
        checklist = members[0].last()
        key = (GROUP, checklist["message_id"])

        taps: list[tuple[float, str]] = []  # (time, callback query id)
        for k, at in enumerate(tap_times()):
            await clock.advance_to(at, redraws)
            who = members[k % MEMBERS]
            shown = request.messages[key]  # what the member's screen shows now
            items = [
                b["callback_data"]
                for row in shown["reply_markup"]["inline_keyboard"]
                for b in row
                if (d := decode(b["callback_data"])) is not None and d.op == Op.ITEM
            ]
            update = who.tap_update(shown, items[(k // MEMBERS) % len(items)])
            await app.process_update(update)  # not waiting for any redraw
            taps.append((at, update.callback_query.id))  # type: ignore[union-attr]
        last_tap = taps[-1][0]
        await clock.advance_to(last_tap + 10, redraws)
        await settle(clock, redraws)

        # Every spinner stopped within a second: each tap was answered, once, while its own
        # update was handled (the clock did not move meanwhile).
        answered = {
            c.params["callback_query_id"]: at
            for at, c in request.timed()
            if c.method == "answerCallbackQuery"
        }
        assert len(answered) == len(taps) == MEMBERS * TAPS_EACH
        assert len(request.called("answerCallbackQuery")) == len(taps)
        assert all(answered[query] - at <= SPINNER_LIMIT for at, query in taps)

        # Redraws were merged: at most one edit per 1.5 s, the last within 2 s of the last tap.
        edits = [
            at
            for at, c in request.timed()
            if c.method.startswith("editMessage") and int(c.params["message_id"]) == key[1]
        ]
        assert 1 < len(edits) < len(taps) // 10
        assert all(later - earlier >= 1.5 for earlier, later in itertools.pairwise(edits))
        assert edits[-1] - last_tap <= LAST_REDRAW_LIMIT

        # Within Telegram's group limit: no 60 s window holds more than 20 posts to the group.
        posts = [at for at, c in request.timed() if c.method in POSTING]
        assert all(sum(at <= p < at + 60 for p in posts) <= GROUP_LIMIT for at in posts)

        # The last redraw shows the latest state: what a fresh /checklist shows now.
        latest = await service.handle(telegram_chat(GROUP), ref(members[0]), ev.ShowChecklist())
        assert request.messages[key]["text"] == view_text(latest, "en")
        markup = view_keyboard(latest, "en")
        assert markup is not None
        assert request.messages[key]["reply_markup"] == markup.to_dict()
    finally:
        await app.shutdown()
