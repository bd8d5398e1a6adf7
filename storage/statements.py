"""Every statement the store runs, defined once from the Core tables of ``storage.models``.

``python -m storage.statements`` compiles them for SQLite (``?``) and asyncpg (``$n``) into
``storage/compiled.py``, so a running bot needs neither SQLAlchemy (~30 MB) nor per-event
statement building; a test checks the file is current. A new table's statements go here, once.

Every value is a named parameter. "Scoped" statements have two variants: ``NAME/id`` (the
association id is known: ``scope_id``) and ``NAME/chat`` (``chat_transport``, ``chat_id``).
``save_all`` is PostgreSQL's save in one round trip (data-modifying CTEs).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    Column,
    ColumnElement,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal_column,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from storage.models import Base

tables = Base.metadata.tables
association, member, plan = tables["association"], tables["member"], tables["plan"]
answer, task, checklist_item = tables["answer"], tables["task"], tables["checklist_item"]
# Alembic's bookkeeping: the schema revision is one row here.
alembic_version = Table("alembic_version", MetaData(), Column("version_num", String(32)))

ONE = literal_column("1")

# The chat's plans, newest first (/plans; the latest finished one for its checklist and tasks).
MAX_PLANS = 20


def p(name: str, column: Column[Any] | None = None) -> Any:
    """A named parameter, typed like ``column`` (asyncpg needs the type in its cast)."""
    return bindparam(name, type_=None if column is None else column.type)


def _chat_association() -> Any:
    return (
        select(association.c.id)
        .where(
            association.c.transport == p("chat_transport"),
            association.c.external_id == p("chat_id"),
        )
        .scalar_subquery()
    )


SCOPES = {"id": lambda: p("scope_id"), "chat": _chat_association}

TASK_COLUMNS = ("key", "phase", "owner", "resource", "claimed_by", "done_by", "done_at")
CHECKLIST_COLUMNS = ("key", "label", "done_by", "done_at")
ANSWER_COLUMNS = ("question", "value", "member_external_id", "member_name")
TASK_INSERT = ("plan_id", *TASK_COLUMNS[:5], "done", "done_by", "done_at")
CHECKLIST_INSERT = ("plan_id", "key", "label", "custom", "done_by", "done_at")


def _insert(table: Table, columns: tuple[str, ...]) -> Any:
    # inline(): no RETURNING of the new id, which PostgreSQL would add by itself.
    return insert(table).inline().values({name: p(name, table.c[name]) for name in columns})


def _rows_of_plan(table: Table, scope: ColumnElement[Any], columns: tuple[str, ...]) -> Any:
    """A plan's rows of ``table`` in stored order, only when the plan is the chat's."""
    return (
        select(*(table.c[name] for name in columns))
        .join(plan, plan.c.id == table.c.plan_id)
        .where(table.c.plan_id == p("plan_id"), plan.c.association_id == scope)
        .order_by(table.c.id)
    )


# What a save writes of the plan. SET parameters may not share a column's name: "new_*".
PLAN_VALUES = {
    name: p(f"new_{name}", plan.c[name])
    for name in ("state", "status", "language", "answers", "meta")
} | {"updated_at": p("now", plan.c.updated_at)}


def _save(scope: ColumnElement[Any]) -> Any:
    """The version-checked write: no row back means another writer got there first."""
    return (
        update(plan)
        .where(
            plan.c.id == p("plan_id"),
            plan.c.version == p("seen_version"),
            plan.c.association_id == scope,
        )
        .values(version=plan.c.version + ONE, **PLAN_VALUES)
        .returning(plan.c.association_id)
    )


def _upsert_member(insert_into: Any, rows: Any = None) -> Any:
    stmt = insert_into(member).inline()
    if rows is None:
        stmt = stmt.values(
            association_id=p("association_id"),
            external_id=p("member_id"),
            name=p("member_name"),
        )
    else:
        stmt = stmt.from_select(["association_id", "external_id", "name"], rows)
    return stmt.on_conflict_do_update(
        index_elements=["association_id", "external_id"], set_={"name": stmt.excluded.name}
    )


def _save_all(scope: ColumnElement[Any]) -> Any:
    """PostgreSQL: the save, the member row and the answers in one round trip, written only
    from the row that the version check let through (data-modifying CTEs)."""
    saved = _save(scope).returning(plan.c.id).cte("saved")
    member_rows = select(
        saved.c.association_id,
        p("member_id", member.c.external_id),
        p("member_name", member.c.name),
    ).where(bindparam("write_member", type_=Boolean()) == true())
    arrays = [bindparam(f"answer_{n}", type_=ARRAY(Text())) for n in ANSWER_COLUMNS]
    rows = (
        func.unnest(*arrays)
        .table_valued(*ANSWER_COLUMNS, with_ordinality="n")
        .render_derived(name="a")
    )
    answers = insert(answer).from_select(
        ["plan_id", *ANSWER_COLUMNS, "created_at"],
        select(
            saved.c.id,
            rows.c.question,
            cast(rows.c.value, answer.c.value.type),
            rows.c.member_external_id,
            rows.c.member_name,
            p("now", answer.c.created_at),
        ).order_by(rows.c.n),
    )
    # Statements in a WITH run whether or not the result refers to them.
    return (
        select(saved.c.association_id)
        .add_cte(_upsert_member(postgresql.insert, member_rows).cte("member_row"))
        .add_cte(answers.cte("answer_rows"))
    )


def _plans_of_chat() -> Any:
    """The chat's plans, newest first: the association by its unique key, then an index probe
    on (association_id, id)."""
    columns = ("id", "association_id", "state", "version", "status", "language", "answers", "meta")
    return (
        select(*(plan.c[n] for n in columns))
        .join(association, association.c.id == plan.c.association_id)
        .where(
            association.c.transport == p("chat_transport"),
            association.c.external_id == p("chat_id"),
        )
        .order_by(plan.c.id.desc())
    )


def _find_association(*, lock: bool) -> Any:
    stmt = select(association.c.id, association.c.title).where(
        association.c.transport == p("chat_transport"), association.c.external_id == p("chat_id")
    )
    # The row lock serialises concurrent create_plan calls of one chat on PostgreSQL, so only
    # one plan stays open; SQLite's write lock already does that (and has no FOR UPDATE).
    return stmt.with_for_update() if lock else stmt


def _close_plans(*conditions: ColumnElement[bool]) -> Any:
    # Their version moves too, so a stale button or a racing save on an old plan fails its
    # version check instead of reopening it.
    return (
        update(plan)
        .where(*conditions, plan.c.status == p("open"))
        .values(
            status=p("closed"), version=plan.c.version + ONE, updated_at=p("now", plan.c.updated_at)
        )
    )


def statements(dialect_name: str) -> dict[str, Any]:
    """Name -> statement for "sqlite" or "postgresql"."""
    pg = dialect_name == "postgresql"
    upsert = postgresql.insert if pg else sqlite.insert
    defined: dict[str, Any] = {
        "current_plan": _plans_of_chat().limit(1),
        "recent_plans": _plans_of_chat().limit(MAX_PLANS),
        "find_association": _find_association(lock=pg),
        "insert_association": upsert(association)
        .inline()
        .values(
            transport=p("chat_transport"),
            external_id=p("chat_id"),
            title=p("title"),
            created_at=p("now", association.c.created_at),
        )
        .on_conflict_do_nothing(index_elements=["transport", "external_id"]),
        "retitle_association": update(association)
        .where(association.c.id == p("association_id"))
        .values(title=p("title")),
        "upsert_member": _upsert_member(upsert),
        "close_open_plans": _close_plans(plan.c.association_id == p("association_id")),
        "insert_plan": insert(plan)
        .values(
            association_id=p("association_id"),
            version=ONE,
            created_at=p("now", plan.c.created_at),
            **PLAN_VALUES,
        )
        .returning(plan.c.id),
        "insert_answer": _insert(answer, ("plan_id", *ANSWER_COLUMNS, "created_at")),
        "delete_task": delete(task).where(task.c.plan_id == p("plan_id")),
        "insert_task": _insert(task, TASK_INSERT),
        "delete_checklist_item": delete(checklist_item).where(
            checklist_item.c.plan_id == p("plan_id")
        ),
        "insert_checklist_item": _insert(checklist_item, CHECKLIST_INSERT),
        # Administration: forgetting a chat, and a group that became a supergroup.
        "delete_association": delete(association).where(association.c.id == p("association_id")),
        "move_association": update(association)
        .where(association.c.id == p("association_id"))
        .values(external_id=p("new_chat_id")),
        "merge_members": upsert(member)
        .from_select(
            ["association_id", "external_id", "name"],
            select(p("new_id", member.c.association_id), member.c.external_id, member.c.name).where(
                member.c.association_id == p("old_id")
            ),
        )
        .on_conflict_do_nothing(index_elements=["association_id", "external_id"]),
        "merge_plans": update(plan)
        .where(plan.c.association_id == p("old_id"))
        .values(association_id=p("new_id")),
        "close_older_plans": _close_plans(
            plan.c.association_id == p("new_id"),
            plan.c.id
            < select(func.max(plan.c.id))
            .where(plan.c.association_id == p("new_id"))
            .scalar_subquery(),
        ),
        "schema_revision": select(alembic_version.c.version_num),
    }
    for key, make_scope in SCOPES.items():
        scope = make_scope()
        history = (
            select(*(answer.c[n] for n in ANSWER_COLUMNS))
            .join(plan, plan.c.id == answer.c.plan_id)
            .where(answer.c.plan_id == p("plan_id"), plan.c.association_id == scope)
        )
        defined[f"history/{key}"] = history.order_by(answer.c.id)
        defined[f"last_answer/{key}"] = (
            history.where(answer.c.question == p("question")).order_by(answer.c.id.desc()).limit(1)
        )
        defined[f"tasks/{key}"] = _rows_of_plan(task, scope, TASK_COLUMNS)
        defined[f"checklist/{key}"] = _rows_of_plan(checklist_item, scope, CHECKLIST_COLUMNS)
        defined[f"save_plan/{key}"] = _save(scope)
        if pg:
            defined[f"save_all/{key}"] = _save_all(make_scope())
    return defined


Compiled = tuple[str, tuple[str, ...], dict[str, int]]


def compile_all(dialect_name: str) -> dict[str, Compiled]:
    """Name -> (SQL text, parameter names in order, fixed values) for "sqlite" or
    "postgresql"."""
    if dialect_name == "sqlite":
        dialect: Any = sqlite.dialect(paramstyle="qmark")
    else:
        from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

        dialect = asyncpg_dialect()
    compiled: dict[str, Compiled] = {}
    for name, stmt in statements(dialect_name).items():
        done = stmt.compile(dialect=dialect)
        names = tuple(done.positiontup or ())
        # Values the statement carries itself (LIMIT 1, SQLite's OFFSET 0); anything else
        # would be a literal that slipped in.
        fixed = {n: v for n, v in done.params.items() if v is not None}
        if any(not isinstance(v, int) for v in fixed.values()):
            raise ValueError(f"{name}: unnamed values {fixed}")
        compiled[name] = (str(done), names, fixed)
    return compiled


def render() -> str:
    sqlite_, pg = compile_all("sqlite"), compile_all("postgresql")

    def entry(done: Compiled | None) -> str:
        if done is None:
            return "None"
        text, names, fixed = done
        return f"({' '.join(text.split())!r}, {names!r}, {fixed!r})"

    lines = [
        '"""Generated by ``python -m storage.statements`` from ``storage/statements.py``: do not',
        "edit. Name -> (SQL, parameter names in order, fixed values) for SQLite, then for",
        'PostgreSQL (asyncpg); None where a dialect has no such statement."""',
        "",
        "# fmt: off",
        "# ruff: noqa: E501",
        "STATEMENTS = {",
        *(f"    {n!r}: ({entry(sqlite_.get(n))}, {entry(pg.get(n))})," for n in pg),
        "}",
        "SQLITE = {name: both[0] for name, both in STATEMENTS.items() if both[0] is not None}",
        "POSTGRESQL = {name: both[1] for name, both in STATEMENTS.items() if both[1] is not None}",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    from pathlib import Path

    Path(__file__).with_name("compiled.py").write_text(render(), encoding="utf-8")
