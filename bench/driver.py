"""One round: K chats walk the whole script, step by step across all chats (round robin).

All K plans are open at once, as when many associations plan at the same time. Updates are
handed to the Application one at a time, each after the previous one is done. Each update is
timed from its JSON (as ``getUpdates`` or a webhook delivers it) through ``Update.de_json``,
the Application's update processor and ``Application.process_update``, which runs the
handlers, every Bot API call (serialized and parsed by PTB) and, for Partnerbot, the database
transaction. Building the member's next update is not timed.

Memory: resident set size after a full garbage collection, at the start of the round and
after each wave of chats, and the peak during the round (the kernel's high-water mark, reset
at the start of the round).
"""

from __future__ import annotations

import gc
import json
import os
import resource
import sys
import time
from array import array
from dataclasses import dataclass, field
from typing import Any

from telegram import Update

from bench.variants import Stored, Variant
from bench.walk import Script
from bot.telegram.offline import Updates, buttons

CHATS_PER_ROUND = 1_000_000  # chat ids of round n: n * CHATS_PER_ROUND + 1, 2, ...
STORED_SAMPLE = 500  # chats per round whose stored plan is read back (all when fewer)

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass
class RoundResult:
    variant: str
    k: int
    round: int
    updates: int  # updates fed
    processed: int  # updates the bot answered with at least one Bot API call
    api_calls: int
    finished: int  # chats whose member saw the end of the walk
    seconds: float  # time spent handling updates (the timed part)
    cpu: float  # CPU time of this process in the timed part (steadier on a busy machine)
    wall: float  # the whole round, including building the updates
    rss_before: int  # bytes, after gc
    rss_after: int  # bytes, after gc (the last wave's sample)
    peak: int  # bytes: the highest RSS during the round
    latencies: bytes = field(repr=False, default=b"")  # array('d') of seconds, per update
    stored: Stored | None = None
    samples: list[tuple[int, int]] = field(default_factory=list)  # (plans done, RSS) per wave

    def latency_array(self) -> array[float]:
        values = array("d")
        values.frombytes(self.latencies)
        return values

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0


def rss() -> int:
    """The process's resident set size now, in bytes."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except OSError:  # not Linux: the peak is the best there is
        return peak_rss()


def reset_peak() -> bool:
    """Reset the kernel's peak RSS (VmHWM) of this process; False when it cannot."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        return True
    except OSError:
        return False


def peak_rss() -> int:
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss if sys.platform == "darwin" else maxrss * 1024


class Round:
    """One round of one variant.

    The K chats walk in waves of at most ``wave`` chats: all chats of a wave have their plans
    open at once (round robin, step by step), and the next wave starts when they are done.
    After each wave the round takes a memory sample (RSS after a full collection), so that
    memory can be followed as the plans held grow, apart from the working set of the plans in
    progress. ``steps`` may be called in slices, so that several variants take turns.
    """

    def __init__(
        self,
        variant: Variant,
        script: Script,
        k: int,
        round_no: int,
        updates: Updates,
        wave: int | None = None,
    ) -> None:
        self.variant = variant
        self.script = script
        self.k = k
        self.round_no = round_no
        self.updates = updates
        base = (round_no + 1) * CHATS_PER_ROUND
        chats = list(range(base + 1, base + k + 1))
        size = wave or k
        self.waves = [chats[i : i + size] for i in range(0, k, size)]
        self.total = k * len(script.steps)
        self.latencies = array("d", bytes(8 * self.total))
        self.index = 0
        self.processed = 0
        self.finished = 0
        self.plans_done = 0
        self.samples: list[tuple[int, int]] = []  # (plans done in this round, RSS) per wave
        self.stored = Stored(0, 0, 0)
        self.has_store = True
        self.spent = 0.0
        self.cpu = 0.0
        self.wall = 0.0
        gc.collect()
        self.rss_before = rss()
        reset_peak()
        self.calls_before = variant.api.count

    async def steps(
        self, wave: int = 0, first: int = 0, stop: int | None = None, half: int | None = None
    ) -> None:
        """Walk steps ``first`` up to ``stop`` of the script in every chat of ``wave``; with
        ``half`` (0 or 1) only in the chats whose id + step number has that parity (two
        instances sharing the chats, see ``bench.worker.PairWorker``)."""
        variant = self.variant
        api = variant.api
        app = variant.app
        bot = app.bot
        process = app.process_update
        processor = app.update_processor
        settle = getattr(variant, "settle", None)  # Partnerbot's calls sent alongside
        de_json = Update.de_json
        loads = json.loads
        clock = time.perf_counter
        cpu_clock = time.process_time
        updates = self.updates
        latencies = self.latencies
        index = self.index
        processed = 0
        spent = cpu = 0.0
        started = clock()
        for number, step in enumerate(self.script.steps[first:stop], start=first):
            for chat in self.waves[wave]:
                if half is not None and (chat + number) % 2 != half:
                    continue
                if step.kind == "tap":
                    raw = _tap(updates, api, chat, step.button)
                else:
                    raw = updates.text(chat, step.text)
                calls = api.count
                c0 = cpu_clock()
                t0 = clock()
                update = de_json(loads(raw), bot)
                await processor.process_update(update, process(update))
                if settle is not None:
                    await settle()
                elapsed = clock() - t0
                cpu += cpu_clock() - c0
                latencies[index] = elapsed
                spent += elapsed
                index += 1
                if api.count > calls:
                    processed += 1
        self.wall += clock() - started
        self.index = index
        self.processed += processed
        self.spent += spent
        self.cpu += cpu

    def newest(self, wave: int, step: int, half: int) -> dict[int, Any]:
        """The newest message of each chat of ``wave`` that this half served at ``step``."""
        chats = [c for c in self.waves[wave] if (c + step) % 2 == half]
        return {c: self.variant.api.last_message(c) for c in chats}

    def adopt(self, messages: dict[int, Any]) -> None:
        """Newest messages the other instance sent (what the members see now)."""
        for chat, message in messages.items():
            if message is not None:
                self.variant.api.adopt(chat, message)

    async def wave_done(self, wave: int) -> None:
        """Check the wave's chats (the member saw the result; the plan is stored), let the
        offline Bot API forget them, and take a memory sample."""
        variant = self.variant
        chats = self.waves[wave]
        self.finished += sum(variant.finished(chat, self.script) for chat in chats)
        per_wave = max(1, STORED_SAMPLE // len(self.waves))
        sample = chats[:: max(1, len(chats) // per_wave)]
        stored = await variant.stored(sample)
        if stored is None:
            self.has_store = False
        else:
            self.stored = Stored(
                self.stored.checked + stored.checked,
                self.stored.done + stored.done,
                self.stored.answers + stored.answers,
            )
        variant.api.forget(chats)
        self.plans_done += len(chats)
        gc.collect()
        self.samples.append((self.plans_done, rss()))

    async def end(self) -> RoundResult:
        peak = peak_rss()
        variant = self.variant
        return RoundResult(
            variant=variant.name,
            k=self.k,
            round=self.round_no,
            updates=self.index,
            processed=self.processed,
            api_calls=variant.api.count - self.calls_before,
            finished=self.finished,
            seconds=self.spent,
            cpu=self.cpu,
            wall=self.wall,
            rss_before=self.rss_before,
            rss_after=self.samples[-1][1] if self.samples else rss(),
            peak=peak,
            latencies=self.latencies[: self.index].tobytes(),
            stored=self.stored if self.has_store else None,
            samples=self.samples,
        )


async def run_round(
    variant: Variant,
    script: Script,
    k: int,
    round_no: int,
    updates: Updates | None = None,
    wave: int | None = None,
) -> RoundResult:
    """A whole round in one go."""
    walk = Round(variant, script, k, round_no, updates or Updates(), wave)
    for number in range(len(walk.waves)):
        await walk.steps(number)
        await walk.wave_done(number)
    return await walk.end()


def _tap(updates: Updates, api: Any, chat: int, button: int) -> bytes:
    message = api.last_message(chat)
    if message is None:
        raise RuntimeError(f"chat {chat}: nothing to tap")
    keys = buttons(message)
    data = keys[button][1] if button < len(keys) else "missing"
    return updates.tap(chat, message, data)
