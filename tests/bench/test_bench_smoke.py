"""The benchmark harness still runs end to end: every variant answers every update of the
walk, and Partnerbot's plans reach the recommendation and are stored. No timings asserted."""

from __future__ import annotations

from pathlib import Path

from bench.report import markdown
from bench.runner import BASELINE, FLOOR, POSTGRES, POSTGRES_TWO, SQLITE, Config, run


async def test_every_variant_walks_every_plan(tmp_path: Path) -> None:
    # K=1 runs whole rounds one variant after the other. K=2 takes every path of large K:
    # waves (of one chat here), turns after every step, Partnerbot and the baselines side by
    # side. The two PostgreSQL instances share the chats, taking every other update.
    config = Config(
        ks=(1, 2),
        rounds={1: 1, 2: 1},
        variants=(SQLITE, POSTGRES, POSTGRES_TWO, BASELINE, FLOOR),
        workdir=tmp_path,
        slice_from=2,
        wave=1,
        parallel_from=2,
    )
    report = await run(config)

    steps = len(report.script.steps)
    # The questionnaire asks 10 to 15 questions of a typical plan.
    assert steps > 20 and report.script.taps and report.script.answers >= 10
    ran = {r.variant for r in report.results}
    # PostgreSQL only where a server answers; the report says so otherwise.
    assert {SQLITE, BASELINE, FLOOR} <= ran
    assert POSTGRES in ran or any("PostgreSQL" in note for note in report.notes)
    assert len(report.results) == 2 * len(ran)
    for result in report.results:
        assert result.updates == result.processed == result.k * steps, result
        assert result.finished == result.k, result  # every member saw the last message
        assert [plans for plans, _rss in result.samples] == list(range(1, result.k + 1))
        if result.variant in (SQLITE, POSTGRES, POSTGRES_TWO):
            stored = result.stored
            assert stored is not None
            assert stored.checked == stored.done == result.k  # finished plans, in the database
            assert stored.answers == result.k * report.script.answers
    assert all(row.ok for row in report.rows), [row.checks for row in report.rows]
    assert "| Partnerbot, SQLite file | 2 |" in markdown(report, "python -m bench")


async def test_in_process(tmp_path: Path) -> None:
    config = Config(
        ks=(2,), rounds={2: 1}, variants=(SQLITE, FLOOR), workdir=tmp_path, in_process=True
    )
    report = await run(config)
    assert [r.processed for r in report.results] == [2 * len(report.script.steps)] * 2
    assert all(row.ok for row in report.rows)


async def test_the_burst_scenario_runs(tmp_path: Path) -> None:
    """``python -m bench.burst``: every tap of the burst is answered and the checklist is
    redrawn; the figures themselves are for bench/README.md, not asserted here."""
    from bench import burst
    from storage.db import default_sqlite_url
    from storage.store import SqlStore

    store = await SqlStore.open(default_sqlite_url(tmp_path / "burst.db"), migrate=True)
    try:
        row = await burst.run("merged", store)
    finally:
        await store.close()
    assert row["taps"] == row["answered"] == len(burst.MEMBERS) * burst.TAPS_EACH
    assert 0 < row["edits"] < row["taps"]
    assert "| merged | 72 of 72 |" in burst.table([row])
