"""Runs the benchmark: calibrates the walk, starts one worker per variant, interleaves the
rounds (A, B, C, A, B, C, ...; at large K step by step within a round) and sums up."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import pg
from bench.driver import RoundResult
from bench.variants import CONVERSATION, ECHO, PARTNERBOT
from bench.walk import Script, calibrate, describe
from bench.worker import LocalWorker, PairWorker, ProcessWorker, Spec, versions

# Variant keys (--variants) in the order rounds run.
SQLITE = "sqlite"
POSTGRES = "postgres"
POSTGRES_TWO = "postgres-2"  # two Partnerbot processes on one database, sharing the chats
BASELINE = "conversation"
FLOOR = "echo"
ALL_VARIANTS = (SQLITE, POSTGRES, POSTGRES_TWO, BASELINE, FLOOR)
DEFAULT_VARIANTS = ALL_VARIANTS
PG_VARIANTS = (POSTGRES, POSTGRES_TWO)
NAMES = {
    SQLITE: "Partnerbot, SQLite file",
    POSTGRES: "Partnerbot, PostgreSQL",
    POSTGRES_TWO: "Partnerbot, PostgreSQL, 2 instances",
    BASELINE: "PTB ConversationHandler, in memory",
    FLOOR: "PTB echo bot",
}

FULL_KS = (1, 100, 10_000)
FULL_ROUNDS = {1: 10, 100: 3, 10_000: 1}
# PostgreSQL at K=10,000 would need a lane (and the server a core) of its own: add it with
# --only-at 10000=sqlite,postgres,conversation,echo (the run then takes about twice as long).
FULL_ONLY_AT = {10_000: (SQLITE, BASELINE, FLOOR)}
QUICK_KS = (1, 100)
QUICK_ROUNDS = {1: 5, 100: 1}
SLICE_FROM = 1_000  # from this K on, variants take turns after every step of the walk
WAVE = 1_000  # chats with plans open at once; K above it walks in waves of this many
PARALLEL_FROM = 10_000  # from this K on, Partnerbot and the baselines run side by side
GROWTH_MIN_PLANS = 1_000  # fewer plans at a level: no growth figure (page-size noise)


@dataclass
class Config:
    ks: tuple[int, ...] = FULL_KS
    rounds: dict[int, int] = field(default_factory=lambda: dict(FULL_ROUNDS))
    variants: tuple[str, ...] = DEFAULT_VARIANTS
    # Per K, the variants to run there when not all of them (e.g. the largest K).
    only_at: dict[int, tuple[str, ...]] = field(default_factory=dict)
    pg_url: str | None = pg.DEFAULT_URL  # None: no PostgreSQL
    in_process: bool = False
    workdir: Path | None = None  # where the SQLite files go; a temporary directory by default
    slice_from: int = SLICE_FROM  # from this K on, variants take turns after every step
    wave: int = WAVE
    # From this K on, the Partnerbot variants run on one core while the baselines run on the
    # other (two lanes; still step by step). None: always one at a time (--sequential).
    parallel_from: int | None = PARALLEL_FROM

    def variants_at(self, k: int) -> tuple[str, ...]:
        chosen = self.only_at.get(k)
        return tuple(v for v in self.variants if chosen is None or v in chosen)


@dataclass
class Row:
    """One variant at one K, over its rounds."""

    key: str
    variant: str
    k: int
    rounds: int
    plans: int
    updates: int
    per_second: float  # median over rounds
    cpu_us: float  # CPU time of the bot's process per update, over all rounds
    p50_us: float
    p99_us: float
    peak_mb: float
    growth_mb_per_10k: float | None
    start_mb: float = 0.0  # RSS of the worker once started (imports, app, database open)
    ratio: float | None = None  # per_second / the baseline's at the same K
    checks: list[str] = field(default_factory=list)  # empty: everything as expected

    @property
    def ok(self) -> bool:
        return not self.checks


@dataclass
class Report:
    config: Config
    script: Script
    rows: list[Row]
    results: list[RoundResult]
    machine: dict[str, str]
    notes: list[str]
    seconds: float

    def row(self, key: str, k: int) -> Row | None:
        return next((r for r in self.rows if r.key == key and r.k == k), None)


Progress = Callable[[str], None]


async def run(config: Config, progress: Progress | None = None) -> Report:
    say = progress or (lambda _line: None)
    started = time.perf_counter()
    notes: list[str] = []
    script = await calibrate()
    say(f"walk: {describe(script)}")
    machine = machine_info()
    with tempfile.TemporaryDirectory(prefix="partnerbot-bench-") as scratch_dir:
        workdir = Path(config.workdir or scratch_dir)
        workdir.mkdir(parents=True, exist_ok=True)
        scratches: dict[str, pg.Scratch] = {}  # a database of its own per PostgreSQL variant
        wants_pg = [key for key in config.variants if key in PG_VARIANTS]
        if wants_pg and not config.pg_url:
            notes.append("PostgreSQL left out (--no-pg).")
        try:
            for key in wants_pg if config.pg_url else ():
                made = await pg.create(config.pg_url or pg.DEFAULT_URL)
                if isinstance(made, str):
                    notes.append(f"PostgreSQL left out: {made}.")
                    say(notes[-1])
                    break
                scratches[key] = made
                machine["postgresql"] = made.server_version
            specs = _specs(config, workdir, scratches)
            await _migrate(specs)
            results, started_rss = await _rounds(config, script, specs, say)
        finally:
            for made in scratches.values():
                await pg.drop(made)
    rows = summarize(results, script, started_rss, specs)
    return Report(config, script, rows, results, machine, notes, time.perf_counter() - started)


async def _migrate(specs: dict[str, Spec]) -> None:
    """Bring Partnerbot's databases to the newest schema first, as an installation that has
    started once is: a bot then only checks the revision (one query) and never loads Alembic
    and SQLAlchemy, so the workers' memory is that of a bot running day to day."""
    from storage.migrate import upgrade_async

    for spec in specs.values():
        if spec.kind == PARTNERBOT and spec.url is not None:
            await upgrade_async(spec.url)


def _specs(config: Config, workdir: Path, scratches: dict[str, pg.Scratch]) -> dict[str, Spec]:
    from storage.db import default_sqlite_url

    specs: dict[str, Spec] = {}
    for key in config.variants:
        if key == SQLITE:
            url = default_sqlite_url(workdir / "partnerbot.db")
            specs[key] = Spec(NAMES[key], PARTNERBOT, url)
        elif key in PG_VARIANTS:
            if key in scratches:
                instances = 2 if key == POSTGRES_TWO else 1
                specs[key] = Spec(NAMES[key], PARTNERBOT, scratches[key].url, instances)
        elif key == BASELINE:
            specs[key] = Spec(NAMES[key], CONVERSATION)
        elif key == FLOOR:
            specs[key] = Spec(NAMES[key], ECHO)
        else:
            raise ValueError(f"unknown variant {key!r}; known: {', '.join(ALL_VARIANTS)}")
    return specs


async def _rounds(
    config: Config, script: Script, specs: dict[str, Spec], say: Progress
) -> tuple[list[RoundResult], dict[str, int]]:
    make = LocalWorker if config.in_process else ProcessWorker
    workers: dict[str, Any] = {
        key: PairWorker(spec, script) if spec.instances == 2 else make(spec, script)
        for key, spec in specs.items()
    }
    results: list[RoundResult] = []
    try:
        for worker in workers.values():
            await worker.start()
        started_rss = {key: w.started_rss for key, w in workers.items()}
        round_no = 0
        steps = len(script.steps)
        for k in config.ks:
            here = [key for key in config.variants_at(k) if key in workers]
            lanes = _lanes(config, k, here, specs)
            wave = min(k, config.wave)
            waves = -(-k // wave)
            for _ in range(config.rounds.get(k, 1)):
                t0 = time.perf_counter()
                for key in here:
                    await workers[key].begin(k, round_no, wave)
                if k >= config.slice_from:
                    for number in range(waves):
                        for step in range(steps):
                            await _run_lanes(lanes, workers, "steps", number, step, step + 1)
                        await _run_lanes(lanes, workers, "wave_done", number)
                        if waves > 1:
                            say(f"K={k} round {round_no}: wave {number + 1}/{waves}")
                else:
                    for key in here:
                        for number in range(waves):
                            await workers[key].steps(number)
                            await workers[key].wave_done(number)
                done = [await workers[key].end() for key in here]
                for key, result in zip(here, done, strict=True):
                    result.variant = key
                results.extend(done)
                rates = ", ".join(f"{r.variant} {r.per_second:,.0f}/s" for r in done)
                say(f"K={k} round {round_no} ({time.perf_counter() - t0:.1f} s): {rates}")
                round_no += 1
    finally:
        for worker in workers.values():
            await worker.stop()
    return results, started_rss


def _lanes(config: Config, k: int, here: list[str], specs: dict[str, Spec]) -> list[list[str]]:
    """Who runs side by side: Partnerbot in one lane and the baselines in the other at large
    K (with worker processes on a machine of 2 or more CPUs); else one lane, in turn."""
    import os

    parallel = (
        config.parallel_from is not None
        and k >= config.parallel_from
        and not config.in_process
        and (os.cpu_count() or 1) >= 2
    )
    ours = [key for key in here if specs[key].kind == PARTNERBOT]
    others = [key for key in here if specs[key].kind != PARTNERBOT]
    if parallel and ours and others:
        return [ours, others]
    return [here]


async def _run_lanes(lanes: list[list[str]], workers: dict[str, Any], op: str, *args: Any) -> None:
    """Run one command on every worker: lanes at the same time, one worker at a time within
    a lane. A pair of instances runs on its own: it has two processes side by side already."""
    for key in [key for lane in lanes for key in lane if isinstance(workers[key], PairWorker)]:
        await getattr(workers[key], op)(*args)
        lanes = [[k for k in lane if k != key] for lane in lanes]
    lanes = [lane for lane in lanes if lane]
    if len(lanes) == 1:
        for key in lanes[0]:
            await getattr(workers[key], op)(*args)
        return
    from multiprocessing.connection import wait

    queues = [[workers[key] for key in lane] for lane in lanes]
    active: dict[Any, tuple[Any, list[Any]]] = {}
    for queue in queues:
        worker = queue.pop(0)
        worker.send(op, *args)
        active[worker.connection] = (worker, queue)
    while active:
        for conn in wait(list(active)):
            worker, queue = active.pop(conn)
            worker.receive()
            if queue:
                following = queue.pop(0)
                following.send(op, *args)
                active[following.connection] = (following, queue)


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    index = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
    return values[index]


def summarize(
    results: list[RoundResult],
    script: Script,
    started_rss: dict[str, int],
    specs: dict[str, Spec],
) -> list[Row]:
    rows: list[Row] = []
    levels: list[tuple[str, int]] = []
    for r in results:
        if (r.variant, r.k) not in levels:
            levels.append((r.variant, r.k))
    for key, k in levels:
        mine = [r for r in results if r.variant == key and r.k == k]
        latencies = sorted(x for r in mine for x in r.latency_array())
        plans = k * len(mine)
        growth = growth_per_10k(mine)
        row = Row(
            key=key,
            variant=specs[key].name if key in specs else key,
            k=k,
            rounds=len(mine),
            plans=plans,
            updates=sum(r.updates for r in mine),
            per_second=statistics.median(r.per_second for r in mine),
            cpu_us=sum(r.cpu for r in mine) / max(1, sum(r.updates for r in mine)) * 1e6,
            p50_us=_quantile(latencies, 0.50) * 1e6,
            p99_us=_quantile(latencies, 0.99) * 1e6,
            peak_mb=max(r.peak for r in mine) / 1e6,
            growth_mb_per_10k=growth,
            start_mb=started_rss.get(key, 0) / 1e6,
            checks=_checks(mine, script, specs.get(key)),
        )
        rows.append(row)
    for row in rows:
        base = next((b for b in rows if b.key == BASELINE and b.k == row.k), None)
        if base is not None and base.per_second:
            row.ratio = row.per_second / base.per_second
    return rows


def growth_per_10k(mine: list[RoundResult]) -> float | None:
    """RSS growth in MB per 10,000 plans held: the slope of the memory samples taken after
    every wave of the level's rounds, leaving out the first (it includes filling the working
    set of the plans in progress, which later waves reuse). None when the samples span fewer
    than ``GROWTH_MIN_PLANS`` plans: a few pages of allocator noise would dominate."""
    points: list[tuple[int, int]] = []
    offset = 0
    for r in mine:
        points += [(offset + plans, size) for plans, size in r.samples]
        offset += r.k
    points = points[1:]
    if len(points) < 2 or points[-1][0] - points[0][0] < GROWTH_MIN_PLANS:
        return None
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum(
        (x - mean_x) ** 2 for x, _ in points
    )
    return slope * 10_000 / 1e6


def _checks(mine: list[RoundResult], script: Script, spec: Spec | None) -> list[str]:
    problems = []
    for r in mine:
        expected = r.k * len(script.steps)
        if r.updates != expected or r.processed != expected:
            problems.append(f"round {r.round}: {r.processed}/{expected} updates answered")
        if r.finished != r.k:
            problems.append(f"round {r.round}: {r.finished}/{r.k} members saw the result")
        if spec is not None and spec.kind == PARTNERBOT:
            s = r.stored
            if s is None or s.done != s.checked or s.answers != s.checked * script.answers:
                problems.append(f"round {r.round}: stored {s}")
    return problems


def machine_info() -> dict[str, str]:
    import os
    import platform

    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = {"cpus": str(os.cpu_count()), "cpu": model, "os": platform.platform(terse=True)}
    info.update(versions())
    return info


def as_json(report: Report) -> dict[str, Any]:
    from dataclasses import asdict

    return {
        "machine": report.machine,
        "walk": describe(report.script),
        "seconds": round(report.seconds, 1),
        "notes": report.notes,
        "rows": [asdict(row) for row in report.rows],
    }


def main_async(config: Config, progress: Progress | None = None) -> Report:
    return asyncio.run(run(config, progress))
