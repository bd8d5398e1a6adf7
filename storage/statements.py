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
    case,
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

from flows.model import PARTNER
from flows.tasks import JOINT_KEYS
from storage.models import Base
from storage.session import ANSWER_COLUMNS, TASK_COLUMNS

tables = Base.metadata.tables
association, member, plan = tables["association"], tables["member"], tables["plan"]
answer, task, checklist_item = tables["answer"], tables["task"], tables["checklist_item"]
invite = tables["partner_invite"]
telegram_update = tables["telegram_update"]
reminder, review_answer = tables["reminder"], tables["review_answer"]
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

# A task is read back without its "done" flag (done_by tells).
TASK_READ = tuple(name for name in TASK_COLUMNS if name != "done")
CHECKLIST_COLUMNS = ("key", "label", "done_by", "done_at")
TASK_INSERT = ("plan_id", *TASK_COLUMNS)
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


def _from_arrays(table: Table, columns: tuple[str, ...], saved: Any, **extra: Any) -> Any:
    """INSERT the rows given as one array parameter per column (``<table>_<column>``), in
    their order, for the plan ``saved`` returned: no row when the version check failed."""
    arrays = [bindparam(f"{table.name}_{n}", type_=ARRAY(Text())) for n in columns]
    rows = func.unnest(*arrays).table_valued(*columns, with_ordinality="n").render_derived(name="r")
    # Text arrays: the other types are cast (a cast to VARCHAR(n) would cut, not refuse).
    values = [
        rows.c[n] if isinstance(table.c[n].type, String) else cast(rows.c[n], table.c[n].type)
        for n in columns
    ]
    return insert(table).from_select(
        ["plan_id", *columns, *extra],
        select(saved.c.id, *values, *extra.values()).order_by(rows.c.n),
    )


def _save_all(scope: ColumnElement[Any]) -> Any:
    """PostgreSQL: the save, the member row, the answers and (with ``write_tasks``) the plan's
    tasks in one round trip, written only from the row that the version check let through
    (data-modifying CTEs). The DELETE of the old tasks and the INSERT of the new ones see the
    same snapshot, so the one cannot touch the other's rows."""
    saved = _save(scope).returning(plan.c.id).cte("saved")
    member_rows = select(
        saved.c.association_id,
        p("member_id", member.c.external_id),
        p("member_name", member.c.name),
    ).where(bindparam("write_member", type_=Boolean()) == true())
    answers = _from_arrays(answer, ANSWER_COLUMNS, saved, created_at=p("now", answer.c.created_at))
    write_tasks = bindparam("write_tasks", type_=Boolean()) == true()
    old_tasks = delete(task).where(task.c.plan_id.in_(select(saved.c.id)), write_tasks)
    new_tasks = _from_arrays(task, TASK_COLUMNS, saved)
    # Statements in a WITH run whether or not the result refers to them.
    return (
        select(saved.c.association_id)
        .add_cte(_upsert_member(postgresql.insert, member_rows).cte("member_row"))
        .add_cte(answers.cte("answer_rows"))
        .add_cte(old_tasks.cte("old_tasks"))
        .add_cte(new_tasks.cte("new_tasks"))
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


def _live_invite(*conditions: ColumnElement[bool]) -> Any:
    """An invite that can still be used at ``now``: not used, not revoked, not expired."""
    return update(invite).where(
        *conditions,
        invite.c.used_at.is_(None),
        invite.c.revoked_at.is_(None),
        invite.c.expires_at > p("now", invite.c.expires_at),
    )


PLAN_COLUMNS = ("id", "state", "version", "status", "language", "answers", "meta")


def _invite_statements() -> dict[str, Any]:
    """Two-sided plans: invites, and reading the other half of a plan across associations
    (the link row decides what is visible: only the plan an invite joined to this one)."""
    by_hash = invite.c.token_hash == p("token_hash")
    return {
        "revoke_invites": update(invite)
        .where(
            invite.c.plan_id == p("plan_id"),
            invite.c.used_at.is_(None),
            invite.c.revoked_at.is_(None),
        )
        .values(revoked_at=p("now", invite.c.revoked_at))
        .returning(invite.c.id),
        "insert_invite": _insert(invite, ("plan_id", "token_hash", "expires_at")),
        "find_invite": select(
            invite.c.plan_id,
            invite.c.expires_at,
            invite.c.used_at,
            invite.c.revoked_at,
            association.c.title,
            association.c.external_id,
            plan.c.status,
            plan.c.answers,
        )
        .join(plan, plan.c.id == invite.c.plan_id)
        .join(association, association.c.id == plan.c.association_id)
        .where(by_hash),
        # The one statement that decides between two people opening the same link.
        "claim_invite": _live_invite(by_hash)
        .values(
            used_at=p("now", invite.c.used_at),
            partner_plan_id=p("partner_plan_id", invite.c.partner_plan_id),
        )
        .returning(invite.c.plan_id),
        "decline_invite": _live_invite(by_hash)
        .values(revoked_at=p("now", invite.c.revoked_at))
        .returning(invite.c.plan_id),
        # The used invite joining ``plan_id`` to another plan, whichever side it is.
        "plan_link": select(invite.c.plan_id, invite.c.partner_plan_id)
        .where(
            (invite.c.plan_id == p("plan_id")) | (invite.c.partner_plan_id == p("plan_id")),
            invite.c.used_at.is_not(None),
        )
        .order_by(invite.c.id.desc())
        .limit(1),
        "plan_by_id": select(
            *(plan.c[n] for n in PLAN_COLUMNS),
            association.c.transport,
            association.c.external_id,
            association.c.title,
        )
        .join(association, association.c.id == plan.c.association_id)
        .where(plan.c.id == p("plan_id")),
        # Plans of the association (before forgetting it) joined to another plan.
        "linked_plans": select(invite.c.plan_id, invite.c.partner_plan_id)
        .join(plan, (plan.c.id == invite.c.plan_id) | (plan.c.id == invite.c.partner_plan_id))
        .where(plan.c.association_id == p("association_id"), invite.c.used_at.is_not(None)),
    }


REMINDER_INSERT = ("plan_id", "kind", "task_key", "due_at", "attempts")
# What the sweep needs to send a claimed reminder: where, in which language, about what.
REMINDER_DETAILS = (
    reminder.c.id,
    reminder.c.kind,
    reminder.c.task_key,
    reminder.c.due_at,
    reminder.c.plan_id,
    association.c.transport,
    association.c.external_id,
    association.c.time_zone,
    plan.c.language,
    plan.c.answers,
    task.c.claimed_by,
    task.c.claimed_by_id,
    task.c.due_on,
    task.c.done_by,
)


def _private_chat() -> Any:
    """Whether the member who took the task has a chat of their own with the bot (one that
    still wants reminders): then the reminder goes there."""
    own = association.alias("own")
    return (
        select(own.c.id)
        .where(
            own.c.transport == association.c.transport,
            own.c.external_id == task.c.claimed_by_id,
            own.c.reminders == true(),
        )
        .exists()
    )


# Two-sided plans: the partner's half of a reminder's plan, and the partner's chat.
partner_plan = plan.alias("partner_plan")
partner_chat = association.alias("partner_chat")


def _constant(value: str) -> Any:
    """A fixed word of the domain written into the SQL (a task owner, a task key), not a
    parameter: a change of it changes the compiled file, which a test checks."""
    if not value.replace("_", "").isalnum() or not value.isascii():
        raise ValueError(f"not a plain word: {value!r}")
    return literal_column(f"'{value}'")


def _with_partner(stmt: Any) -> Any:
    """``stmt`` (on reminder, plan, association) with the reminder's task and, once a partner
    joined the plan, the partner's half and chat. The half is the one the plan's latest used
    invite links (as ``plan_link``): none while no one joined, or once the partner left."""
    half = (
        select(invite.c.partner_plan_id)
        .where(invite.c.plan_id == reminder.c.plan_id, invite.c.used_at.is_not(None))
        .order_by(invite.c.id.desc())
        .limit(1)
        .correlate(reminder)
        .scalar_subquery()
    )
    return (
        stmt.outerjoin(
            task, (task.c.plan_id == reminder.c.plan_id) & (task.c.key == reminder.c.task_key)
        )
        .outerjoin(partner_plan, partner_plan.c.id == half)
        .outerjoin(partner_chat, partner_chat.c.id == partner_plan.c.association_id)
    )


def _partner_task() -> Any:
    """The partner alone owns the task: not ours, not one done together (``is_joint``),
    which stays with the plan's chat."""
    return (task.c.owner == _constant(PARTNER)) & task.c.key.not_in(
        [_constant(key) for key in JOINT_KEYS]
    )


def _to_partner() -> Any:
    """The reminder goes to the partner's chat: a task of the partner alone, on a plan the
    partner joined, that no member with a private chat of their own took."""
    return _partner_task() & partner_chat.c.id.is_not(None) & ~_private_chat()


def _claim(pg: bool) -> Any:
    """Claim up to ``batch`` due rows: they get a lease, so no other sweep takes them until it
    runs out. SQLite runs the UPDATE under its one write lock, so the WHERE decides between
    sweeps; PostgreSQL skips rows another sweep has locked (FOR UPDATE SKIP LOCKED), and its
    UPDATE re-checks the WHERE on a row changed meanwhile."""
    # The chat the reminder goes to decides whether it wants it: the partner's chat for a
    # task of the partner's (its own /reminders off), else the plan's chat.
    wanted = case((_to_partner(), partner_chat.c.reminders), else_=association.c.reminders)
    due = (
        _with_partner(
            select(reminder.c.id)
            .join(plan, plan.c.id == reminder.c.plan_id)
            .join(association, association.c.id == plan.c.association_id)
        )
        .where(
            reminder.c.sent_at.is_(None),
            reminder.c.due_at <= p("now", reminder.c.due_at),
            (reminder.c.lease_until.is_(None))
            | (reminder.c.lease_until <= p("now", reminder.c.lease_until)),
            wanted == true(),
        )
        .order_by(reminder.c.due_at, reminder.c.id)
        .limit(p("batch", reminder.c.attempts))
    )
    if pg:
        due = due.with_for_update(skip_locked=True, of=reminder)
    return (
        update(reminder)
        .where(
            reminder.c.id.in_(due.scalar_subquery()),
            reminder.c.sent_at.is_(None),
        )
        .values(
            lease_until=p("lease_until", reminder.c.lease_until), attempts=reminder.c.attempts + ONE
        )
        .returning(reminder.c.id)
    )


# And where the partner's half is: its plan, chat and language; whether the reminder goes
# there; whether the partner alone owns the task.
PARTNER_DETAILS = (
    partner_plan.c.id,
    partner_chat.c.transport,
    partner_chat.c.external_id,
    partner_plan.c.language,
    _to_partner(),
    _partner_task(),
)


def _follow_through(pg: bool, upsert: Any) -> dict[str, Any]:
    """Statements of due dates, reminders and reviews (issue 17)."""
    settings = (association.c.time_zone, association.c.remind_hour, association.c.reminders)
    of_chat = (
        association.c.transport == p("chat_transport"),
        association.c.external_id == p("chat_id"),
    )
    return {
        "chat_settings": select(*settings).where(*of_chat),
        "plan_settings": select(*settings)
        .join(plan, plan.c.association_id == association.c.id)
        .where(plan.c.id == p("plan_id")),
        "set_reminders": update(association)
        .where(*of_chat)
        .values(reminders=p("on", association.c.reminders))
        .returning(association.c.id),
        "set_remind_time": update(association)
        .where(*of_chat)
        .values(
            time_zone=p("time_zone", association.c.time_zone),
            remind_hour=p("remind_hour", association.c.remind_hour),
        )
        .returning(association.c.id),
        "drop_task_reminders": delete(reminder).where(
            reminder.c.plan_id == p("plan_id"),
            reminder.c.task_key != p("no_task"),
            reminder.c.sent_at.is_(None),
            # A row a sweep holds right now stays: it may be on its way already.
            reminder.c.lease_until.is_(None)
            | (reminder.c.lease_until <= p("now", reminder.c.lease_until)),
        ),
        "insert_reminder": upsert(reminder)
        .inline()
        .values({n: p(n, reminder.c[n]) for n in REMINDER_INSERT})
        .on_conflict_do_nothing(index_elements=["plan_id", "kind", "task_key", "due_at"]),
        "reviews_of_plan": select(reminder.c.kind, reminder.c.due_at).where(
            reminder.c.plan_id == p("plan_id"), reminder.c.task_key == p("no_task")
        ),
        "claim_reminders": _claim(pg),
        "reminder_details": _with_partner(
            select(*REMINDER_DETAILS, _private_chat(), *PARTNER_DETAILS)
            .join(plan, plan.c.id == reminder.c.plan_id)
            .join(association, association.c.id == plan.c.association_id)
        ).where(reminder.c.id == p("id")),
        "mark_sent": update(reminder)
        .where(reminder.c.id == p("id"), reminder.c.sent_at.is_(None))
        .values(sent_at=p("now", reminder.c.sent_at))
        .returning(reminder.c.id),
        "insert_review_answer": _insert(
            review_answer, ("plan_id", "kind", "question", "value", "member_name", "created_at")
        ),
        "review_answers": select(
            review_answer.c.kind,
            review_answer.c.question,
            review_answer.c.value,
            review_answer.c.member_name,
        )
        .where(review_answer.c.plan_id == p("plan_id"))
        .order_by(review_answer.c.id),
    }


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
        **_invite_statements(),
        # storage.updates: the first instance to insert an update's id handles the update.
        "claim_update": upsert(telegram_update)
        .values(
            update_id=p("update_id", telegram_update.c.update_id),
            received_at=p("now", telegram_update.c.received_at),
        )
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(telegram_update.c.update_id),
        "prune_updates": delete(telegram_update)
        .where(telegram_update.c.received_at < p("before", telegram_update.c.received_at))
        .returning(telegram_update.c.update_id),
    }
    defined.update(_follow_through(pg, upsert))
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
        defined[f"tasks/{key}"] = _rows_of_plan(task, scope, TASK_READ)
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
