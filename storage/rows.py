"""Row tuples for the direct drivers' task and checklist INSERTs (same column order in both),
and plans from their SELECTed rows.

The drivers differ only in how a time is stored (ISO text in SQLite, a timestamp in
PostgreSQL) and how JSON comes back, so each passes its own converter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flows.model import ChecklistRecord, Plan, TaskRecord

Stamp = Callable[[str | None], Any]


def task_rows(plan_id: int, tasks: Sequence[TaskRecord], stamp: Stamp) -> list[tuple[Any, ...]]:
    return [
        (
            plan_id,
            t.key,
            t.phase,
            t.owner,
            t.resource,
            t.claimed_by,
            t.done_by is not None,
            t.done_by,
            stamp(t.done_at),
        )
        for t in tasks
    ]


def checklist_rows(
    plan_id: int, items: Sequence[ChecklistRecord], stamp: Stamp
) -> list[tuple[Any, ...]]:
    return [(plan_id, i.key, i.label, i.custom, i.done_by, stamp(i.done_at)) for i in items]


def plans_of(rows: Sequence[Sequence[Any]], loads: Callable[[Any], Any]) -> list[Plan]:
    """Plans from rows of (id, association id, state, version, status, language, answers,
    meta), the columns both drivers select."""
    return [
        Plan(
            id=plan_id,
            state=state,
            version=version,
            status=status,
            language=language,
            answers=loads(answers),
            meta=loads(meta),
        )
        for plan_id, _, state, version, status, language, answers, meta in rows
    ]
