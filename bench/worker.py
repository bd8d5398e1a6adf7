"""Each variant runs in a process of its own, so that its memory is its own: resident size,
peak and growth are the variant's, not a mix of every bot's arenas. The parent interleaves
the rounds (or slices of them) and only one worker runs at a time.

``LocalWorker`` runs a variant in the calling process instead (``--in-process``, profiling).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import sqlite3
import sys
import traceback
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from typing import Any

from bench.driver import Round, RoundResult, rss
from bench.variants import Variant, make, quiet_logs
from bench.walk import Script
from bot.telegram.offline import Updates

START_TIMEOUT = 120.0  # seconds for a worker to import everything and open its database


@dataclass(frozen=True)
class Spec:
    """Which bot a worker runs."""

    name: str  # as reported, e.g. "partnerbot (SQLite)"
    kind: str  # bench.variants: PARTNERBOT, CONVERSATION or ECHO
    url: str | None = None  # Partnerbot's database
    instances: int = 1  # 2: two processes on one database, sharing the chats (PairWorker)
    instance: int = 0  # which of them


class LocalWorker:
    """A variant in this process."""

    def __init__(self, spec: Spec, script: Script) -> None:
        self.spec = spec
        self.script = script
        self.variant: Variant | None = None
        self.updates = Updates()
        self.round: Round | None = None
        self.started_rss = 0

    async def start(self) -> None:
        spec = self.spec
        self.variant = make(
            spec.kind, self.script, spec.url, spec.name, spec.instance, spec.instances
        )
        await self.variant.start()
        self.started_rss = rss()

    async def begin(self, k: int, round_no: int, wave: int | None = None) -> None:
        assert self.variant is not None
        self.round = Round(self.variant, self.script, k, round_no, self.updates, wave)

    async def steps(
        self, wave: int = 0, first: int = 0, stop: int | None = None, half: int | None = None
    ) -> None:
        assert self.round is not None
        await self.round.steps(wave, first, stop, half)

    async def wave_done(self, wave: int) -> None:
        assert self.round is not None
        await self.round.wave_done(wave)

    async def end(self) -> RoundResult:
        assert self.round is not None
        result = await self.round.end()
        self.round = None
        return result

    # The commands as messages, for ProcessWorker's protocol.
    async def handle(self, op: str, args: list[Any]) -> Any:
        if op == "begin":
            return await self.begin(*args)
        if op == "steps":
            return await self.steps(*args)
        if op == "wave_done":
            return await self.wave_done(*args)
        if op == "end":
            return await self.end()
        if op == "newest":
            assert self.round is not None
            return self.round.newest(*args)
        if op == "adopt":
            assert self.round is not None
            return self.round.adopt(*args)
        raise ValueError(f"unknown command {op!r}")

    async def stop(self) -> None:
        if self.variant is not None:
            await self.variant.close()
            self.variant = None


class ProcessWorker:
    """A variant in a child process (spawned: a fresh interpreter, nothing inherited)."""

    def __init__(self, spec: Spec, script: Script) -> None:
        self.spec = spec
        self.script = script
        self.started_rss = 0
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=serve, args=(child, spec, script), name=f"bench {spec.name}", daemon=True
        )

    async def start(self) -> None:
        self._process.start()
        if not self._conn.poll(START_TIMEOUT):
            self._process.kill()
            raise RuntimeError(f"{self.spec.name}: the worker did not start")
        self.started_rss = self._reply()

    @property
    def connection(self) -> Connection:
        return self._conn

    def send(self, *message: Any) -> None:
        """Start a command; ``receive`` waits for its answer (others may run meanwhile)."""
        self._conn.send(message)

    def receive(self) -> Any:
        return self._reply()

    def _call(self, *message: Any) -> Any:
        self.send(*message)
        return self._reply()

    def _reply(self) -> Any:
        try:
            kind, value = self._conn.recv()
        except EOFError as exc:
            raise RuntimeError(f"{self.spec.name}: the worker died") from exc
        if kind == "error":
            raise RuntimeError(f"{self.spec.name} failed:\n{value}")
        return value

    async def begin(self, k: int, round_no: int, wave: int | None = None) -> None:
        self._call("begin", k, round_no, wave)

    async def steps(self, wave: int = 0, first: int = 0, stop: int | None = None) -> None:
        self._call("steps", wave, first, stop)

    async def wave_done(self, wave: int) -> None:
        self._call("wave_done", wave)

    async def end(self) -> RoundResult:
        result: RoundResult = self._call("end")
        return result

    async def stop(self) -> None:
        if self._process.is_alive():
            with contextlib.suppress(RuntimeError, OSError):
                self._call("stop")
            self._process.join(30)
            if self._process.is_alive():
                self._process.kill()
        self._conn.close()


class PairWorker:
    """Two Partnerbot processes on one database, sharing the chats: at every step of the
    walk, each chat's update goes to one of them, alternating (as a load balancer in front
    of two webhook instances may do), and both run at the same time. Between steps the
    newest message of each chat is handed to the other instance (not timed), as Telegram
    would show it to the member. The pair's time for a step is the wall time until both
    are done, so its updates/s is what the two give together."""

    def __init__(self, spec: Spec, script: Script) -> None:
        self.spec = spec
        self.script = script
        self.halves = [ProcessWorker(replace(spec, instance=n), script) for n in (0, 1)]
        self.started_rss = 0
        self._wall = 0.0

    async def start(self) -> None:
        for half in self.halves:
            await half.start()
        self.started_rss = max(half.started_rss for half in self.halves)

    def _both(self, op: str, *args: Any) -> list[Any]:
        for number, half in enumerate(self.halves):
            # steps and newest take the half (0 or 1) last
            half.send(op, *args, *((number,) if op in ("steps", "newest") else ()))
        return [half.receive() for half in self.halves]

    async def begin(self, k: int, round_no: int, wave: int | None = None) -> None:
        self._wall = 0.0
        self._both("begin", k, round_no, wave)

    async def steps(self, wave: int = 0, first: int = 0, stop: int | None = None) -> None:
        import time

        for step in range(first, len(self.script.steps) if stop is None else stop):
            t0 = time.perf_counter()
            self._both("steps", wave, step, step + 1)
            self._wall += time.perf_counter() - t0
            served = self._both("newest", wave, step)
            for number, half in enumerate(self.halves):
                half._call("adopt", served[1 - number])

    async def wave_done(self, wave: int) -> None:
        self._both("wave_done", wave)

    async def end(self) -> RoundResult:
        first, second = self._both("end")
        first.updates += second.updates
        first.processed += second.processed
        first.api_calls += second.api_calls
        first.cpu += second.cpu
        first.seconds = self._wall
        first.peak = max(first.peak, second.peak)
        first.latencies += second.latencies
        return first

    async def stop(self) -> None:
        for half in self.halves:
            await half.stop()


def serve(conn: Connection, spec: Spec, script: Script) -> None:
    """The worker process: runs the parent's commands one at a time."""
    asyncio.run(_serve(conn, spec, script))


async def _serve(conn: Connection, spec: Spec, script: Script) -> None:
    quiet_logs()
    local = LocalWorker(spec, script)
    try:
        await local.start()
    except Exception:
        conn.send(("error", traceback.format_exc()))
        return
    conn.send(("ok", local.started_rss))
    while True:
        try:
            message = conn.recv()
        except EOFError:  # the parent is gone
            break
        op, *args = message
        try:
            if op == "stop":
                await local.stop()
                conn.send(("ok", None))
                break
            conn.send(("ok", await local.handle(op, args)))
        except Exception:
            conn.send(("error", traceback.format_exc()))
    await local.stop()


def versions() -> dict[str, str]:
    import sqlalchemy
    import telegram

    return {
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "python-telegram-bot": telegram.__version__,
        "sqlalchemy": sqlalchemy.__version__,
    }
