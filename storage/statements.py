"""The statements of the per-event path, built once.

Building a SQLAlchemy statement costs 100-250 µs of Python per event (measured on this kind of
machine); built once with bound parameters, each is only looked up in the compiled cache. The
rarer paths (creating plans and associations, administration) build theirs where used.

A plan is "in the chat" when its association is the chat's: the session passes either the
association id it already knows (``scope_id``) or the chat's key (``chat_transport``,
``chat_id``), hence two variants of the statements that take a plan id from the caller.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import ColumnElement, Table, bindparam, delete, insert, select, update

from storage.models import AnswerRow, AssociationRow, ChecklistItemRow, PlanRow, TaskRow

association = cast(Table, AssociationRow.__table__)
plan = cast(Table, PlanRow.__table__)
answer = cast(Table, AnswerRow.__table__)
task = cast(Table, TaskRow.__table__)
checklist_item = cast(Table, ChecklistItemRow.__table__)

_CHAT_ASSOCIATION = (
    select(association.c.id)
    .where(
        association.c.transport == bindparam("chat_transport"),
        association.c.external_id == bindparam("chat_id"),
    )
    .scalar_subquery()
)
# The two ways of saying which association a plan must belong to.
SCOPES: dict[bool, Any] = {True: bindparam("scope_id"), False: _CHAT_ASSOCIATION}

# The chat's newest plan: the association by its unique key, the plan by (association_id, id).
CURRENT_PLAN = (
    select(
        plan.c.id,
        plan.c.association_id,
        plan.c.state,
        plan.c.version,
        plan.c.status,
        plan.c.language,
        plan.c.answers,
        plan.c.meta,
    )
    .join(association, association.c.id == plan.c.association_id)
    .where(
        association.c.transport == bindparam("chat_transport"),
        association.c.external_id == bindparam("chat_id"),
    )
    .order_by(plan.c.id.desc())
    .limit(1)
)

# The chat's plans, newest first (/plans; the latest finished one for its checklist and tasks).
MAX_PLANS = 20
RECENT_PLANS = CURRENT_PLAN.limit(MAX_PLANS)


def _save(scope: ColumnElement[Any]) -> Any:
    # SET parameters may not share a column's name: "new_*".
    return (
        update(plan)
        .where(
            plan.c.id == bindparam("plan_id"),
            plan.c.version == bindparam("seen_version"),
            plan.c.association_id == scope,
        )
        .values(
            state=bindparam("new_state", type_=plan.c.state.type),
            status=bindparam("new_status", type_=plan.c.status.type),
            language=bindparam("new_language", type_=plan.c.language.type),
            answers=bindparam("new_answers", type_=plan.c.answers.type),
            meta=bindparam("new_meta", type_=plan.c.meta.type),
            version=plan.c.version + 1,
            updated_at=bindparam("now", type_=plan.c.updated_at.type),
        )
    )


# The version-checked write: zero rows means another writer got there first.
SAVE_PLAN = {known: _save(scope) for known, scope in SCOPES.items()}

PLAN_ASSOCIATION = select(plan.c.association_id).where(plan.c.id == bindparam("plan_id"))


def _history(scope: ColumnElement[Any], *, one_question: bool) -> Any:
    stmt = (
        select(
            answer.c.question,
            answer.c.value,
            answer.c.member_external_id,
            answer.c.member_name,
        )
        .join(plan, plan.c.id == answer.c.plan_id)
        .where(answer.c.plan_id == bindparam("plan_id"), plan.c.association_id == scope)
    )
    if one_question:
        return (
            stmt.where(answer.c.question == bindparam("question"))
            .order_by(answer.c.id.desc())
            .limit(1)
        )
    return stmt.order_by(answer.c.id)


HISTORY = {known: _history(scope, one_question=False) for known, scope in SCOPES.items()}
LAST_ANSWER = {known: _history(scope, one_question=True) for known, scope in SCOPES.items()}


def _rows_of_plan(table: Table, scope: ColumnElement[Any], *columns: str) -> Any:
    """A plan's rows of ``table``, in stored order (``id``)."""
    return (
        select(*(table.c[name] for name in columns))
        .join(plan, plan.c.id == table.c.plan_id)
        .where(table.c.plan_id == bindparam("plan_id"), plan.c.association_id == scope)
        .order_by(table.c.id)
    )


TASKS = {
    known: _rows_of_plan(
        task, scope, "key", "phase", "owner", "resource", "claimed_by", "done_by", "done_at"
    )
    for known, scope in SCOPES.items()
}
CHECKLIST = {
    known: _rows_of_plan(checklist_item, scope, "key", "label", "done_by", "done_at")
    for known, scope in SCOPES.items()
}

INSERT_ANSWERS = insert(answer)
DELETE_TASKS = delete(task).where(task.c.plan_id == bindparam("plan_id"))
INSERT_TASKS = insert(task)
DELETE_CHECKLIST = delete(checklist_item).where(checklist_item.c.plan_id == bindparam("plan_id"))
INSERT_CHECKLIST = insert(checklist_item)
