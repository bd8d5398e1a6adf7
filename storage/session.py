"""``StoreSession``: the store protocol's unit of work, the same code on every database.

It runs the statements of ``storage.statements`` (compiled per dialect in
``storage.compiled``) through a driver: ``storage.sqlite_driver`` or ``storage.pg_driver``.
A driver only runs a named statement and gives rows back, begins and ends the transaction,
and converts times to what its database stores.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from flows.followup import DEFAULT_HOUR, DEFAULT_TIME_ZONE, review_times, task_reminders
from flows.model import (
    DONE,
    AnswerRecord,
    ChatRef,
    ChecklistRecord,
    FollowSettings,
    Invite,
    MemberRef,
    OtherHalf,
    Plan,
    ReviewAnswer,
    TaskRecord,
)
from storage.member_cache import MemberCache

# Plan statuses, as storage.models has them (not imported: that would load SQLAlchemy).
OPEN = "open"
CLOSED = "closed"
# A review's reminder row names no task.
NO_TASK = ""
# The columns of an answer and of a task row, as storage.statements writes them.
ANSWER_COLUMNS = ("question", "value", "member_external_id", "member_name")
TASK_COLUMNS = (
    *("key", "phase", "owner", "resource", "claimed_by", "done", "done_by", "done_at"),
    *("claimed_by_id", "due_on"),
)


class Driver(Protocol):
    dialect: str
    round_trips: int

    async def rows(self, conn: Any, name: str, params: Mapping[str, Any]) -> list[Any]: ...
    async def run_many(self, conn: Any, name: str, rows: Sequence[Mapping[str, Any]]) -> None: ...
    async def begin(self, conn: Any) -> None: ...
    async def end(self, conn: Any, *, commit: bool) -> None: ...
    def unstamp(self, value: Any) -> datetime | None: ...


Compiled = Mapping[str, tuple[str, tuple[str, ...], dict[str, int]]]


def bind(compiled: Compiled, name: str, params: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """The SQL of statement ``name`` and its positional arguments from ``params``."""
    sql, names, fixed = compiled[name]
    if fixed:  # values the statement carries itself (LIMIT 1)
        params = {**fixed, **params}
    return sql, [params[n] for n in names]


async def run_alone(driver: Any, name: str, params: Mapping[str, Any]) -> list[Any]:
    """Statement ``name`` on a connection of its own, outside a transaction (it commits alone)."""
    conn = await driver.acquire()
    try:
        return await driver.rows(conn, name, params)
    finally:
        await driver.release(conn)


def json_value(value: Any) -> Any:
    """A JSON column's value. SQLite gives the columns declared JSON numeric affinity, so a
    stored number comes back as a number, not as its JSON text (SQLAlchemy does the same)."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def from_iso(text: str | None) -> datetime | None:
    """The domain's ISO 8601 time as an aware datetime (UTC when it names no offset)."""
    if text is None:
        return None
    at = datetime.fromisoformat(text)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def to_iso(at: datetime | None) -> str | None:
    """A stored time as the domain writes it: ISO 8601 in UTC, e.g. 2025-05-01T12:00:00+00:00."""
    return None if at is None else at.astimezone(UTC).isoformat()


class StoreSession:
    """One event's unit of work, scoped to one chat's association.

    Everything that names a plan id is checked against the chat: a plan of another chat is
    invisible here (``save_plan`` returns False, the history reads come back empty).
    """

    def __init__(self, driver: Driver, conn: Any, chat: ChatRef, members: MemberCache) -> None:
        self._driver = driver
        self._conn = conn
        self._chat = chat
        self._members = members
        self._association_id: int | None = None
        self.writing = False  # the transaction is open
        self.committed = False  # a save committed alone: no more writes in this session
        # Members written in this transaction; the store caches them once it has committed.
        self.new_members: list[tuple[int, str, str]] = []

    async def _rows(self, name: str, **params: Any) -> list[Any]:
        return await self._driver.rows(self._conn, name, params)

    async def _write(self, name: str, **params: Any) -> list[Any]:
        await self.begin()
        return await self._driver.rows(self._conn, name, params)

    def _scoped(self, name: str) -> tuple[str, dict[str, Any]]:
        """The statement's variant, and the parameters naming this chat's association."""
        if self._association_id is not None:
            return f"{name}/id", {"scope_id": self._association_id}
        chat = self._chat
        return f"{name}/chat", {"chat_transport": chat.transport, "chat_id": chat.chat_id}

    # -- reads ------------------------------------------------------------------------------

    async def current_plan(self) -> Plan | None:
        plans = await self._plans("current_plan")
        return plans[0] if plans else None

    async def plans(self) -> list[Plan]:
        return await self._plans("recent_plans")

    async def _plans(self, name: str) -> list[Plan]:
        chat = self._chat
        rows = await self._rows(name, chat_transport=chat.transport, chat_id=chat.chat_id)
        if rows:
            self._association_id = rows[0][1]
        # Columns: id, association id, then Plan's fields in their order.
        return [Plan(r[0], *r[2:6], answers=json_value(r[6]), meta=json_value(r[7])) for r in rows]

    async def last_answer(self, plan_id: int, question: str) -> AnswerRecord | None:
        name, scope = self._scoped("last_answer")
        rows = await self._rows(name, plan_id=plan_id, question=question, **scope)
        return _answer(rows[0]) if rows else None

    async def answer_history(self, plan_id: int) -> list[AnswerRecord]:
        name, scope = self._scoped("history")
        return [_answer(r) for r in await self._rows(name, plan_id=plan_id, **scope)]

    async def tasks(self, plan_id: int) -> list[TaskRecord]:
        name, scope = self._scoped("tasks")
        unstamp = self._driver.unstamp
        rows = await self._rows(name, plan_id=plan_id, **scope)
        return [
            TaskRecord(*row[:6], to_iso(unstamp(row[6])), *row[7:])  # type: ignore[misc]
            for row in rows
        ]

    async def checklist(self, plan_id: int) -> list[ChecklistRecord]:
        name, scope = self._scoped("checklist")
        unstamp = self._driver.unstamp
        return [
            ChecklistRecord(key=key, label=label, done_by=done_by, done_at=to_iso(unstamp(at)))
            for key, label, done_by, at in await self._rows(name, plan_id=plan_id, **scope)
        ]

    # -- writes -----------------------------------------------------------------------------

    async def create_plan(self, plan: Plan, member: MemberRef) -> Plan:
        await self.begin()
        association_id = await self._ensure_association()
        await self._ensure_member(association_id, member)
        now = datetime.now(UTC)
        # Close the earlier open plans. Their version moves too, so a stale button or a racing
        # save on an old plan fails its version check instead of reopening it.
        await self._rows(
            "close_open_plans", association_id=association_id, open=OPEN, closed=CLOSED, now=now
        )
        rows = await self._rows(
            "insert_plan", association_id=association_id, now=now, **_plan_values(plan)
        )
        plan.id = rows[0][0]
        plan.version = 1
        return plan

    async def save_plan(
        self,
        plan: Plan,
        seen_version: int,
        member: MemberRef,
        answers: Sequence[AnswerRecord] = (),
        tasks: Sequence[TaskRecord] | None = None,
        checklist: Sequence[ChecklistRecord] | None = None,
    ) -> bool:
        if plan.id is None:
            raise ValueError("save_plan needs a stored plan; use create_plan first")
        # A save of the plan alone that opens the session's writing is the event's one write
        # (flows.ports says so): it commits on its own. On PostgreSQL that is one round trip,
        # the statement's implicit transaction, instead of BEGIN, save, COMMIT.
        alone = not self.writing and tasks is None and checklist is None
        if not alone or self._driver.dialect != "postgresql":
            await self.begin()
        driver = self._driver
        now = datetime.now(UTC)
        name, params = self._scoped("save_plan")
        params.update(plan_id=plan.id, seen_version=seen_version, now=now, **_plan_values(plan))
        history = [
            {
                "plan_id": plan.id,
                "question": a.question,
                "value": None if a.value is None else json.dumps(a.value),
                "member_external_id": a.member.user_id,
                "member_name": a.member.name,
                "created_at": now,
            }
            for a in answers
        ]
        entry = (self._association_id or 0, member.user_id, member.name)
        if driver.dialect == "postgresql":
            # One statement: the member and the answers are written from the row the
            # version-checked UPDATE returned, or not at all.
            write_member = self._association_id is None or self._unknown(entry)
            saved = await self._rows(
                name.replace("save_plan", "save_all"),
                **params,
                member_id=member.user_id,
                member_name=member.name,
                write_member=write_member,
                **_arrays("answer", ANSWER_COLUMNS, history),
                write_tasks=tasks is not None,  # the same statement replaces the tasks
                **_arrays("task", TASK_COLUMNS, [_task_texts(t) for t in tasks or ()]),
            )
            if saved and write_member:
                self.new_members.append((saved[0][0], member.user_id, member.name))
        else:
            # The one version-checked statement that decides between concurrent writers.
            saved = await self._rows(name, **params)
            if saved:
                await self._ensure_member(saved[0][0], member)
                if history:
                    await driver.run_many(self._conn, "insert_answer", history)
        if saved:
            self._association_id = saved[0][0]
            if tasks is not None and driver.dialect != "postgresql":  # save_all wrote them
                rows = [_row(t, done=t.done_by is not None) for t in tasks]
                await self._replace("task", plan.id, rows)
            if checklist is not None:
                items = [_row(i, custom=i.custom) for i in checklist]
                await self._replace("checklist_item", plan.id, items)
            plan.version = seen_version + 1
        if alone:
            await self.commit()
        return bool(saved)

    async def _replace(self, table: str, plan_id: int, rows: list[dict[str, Any]]) -> None:
        """The plan's rows of ``table`` become ``rows``, in this order."""
        await self._rows(f"delete_{table}", plan_id=plan_id)
        if rows:
            for row in rows:
                row["plan_id"] = plan_id
            await self._driver.run_many(self._conn, f"insert_{table}", rows)

    # -- two-sided plans (invites) ------------------------------------------------------------

    async def create_invite(
        self, plan_id: int, token_hash: str, expires_at: datetime, now: datetime
    ) -> int:
        """Store a new invite to ``plan_id`` (one of this chat's plans: the caller read it
        through this session); the plan's earlier live invites are revoked. Returns how many."""
        revoked = await self.revoke_invites(plan_id, now)
        params = {"plan_id": plan_id, "token_hash": token_hash, "expires_at": expires_at}
        await self._write("insert_invite", **params)
        return revoked

    async def revoke_invites(self, plan_id: int, now: datetime) -> int:
        """End the plan's live invite; how many were live (0 or 1)."""
        return len(await self._write("revoke_invites", plan_id=plan_id, now=now))

    async def invite(self, token_hash: str) -> Invite | None:
        found = await self._rows("find_invite", token_hash=token_hash)
        if not found:
            return None
        plan_id, expires_at, used_at, revoked_at, title, chat_id, status, answers = found[0]
        at = self._driver.unstamp
        expires = at(expires_at)
        assert expires is not None  # the column is NOT NULL
        answers = json_value(answers)
        return Invite(
            plan_id, title or "", chat_id, status, answers, expires, at(used_at), at(revoked_at)
        )

    async def claim_invite(self, token_hash: str, partner_plan_id: int, now: datetime) -> bool:
        """Use the invite for ``partner_plan_id`` if it is still live at ``now``: of two
        people opening one link at the same moment, exactly one gets True."""
        params = {"token_hash": token_hash, "partner_plan_id": partner_plan_id, "now": now}
        return bool(await self._write("claim_invite", **params))

    async def decline_invite(self, token_hash: str, now: datetime) -> bool:
        """The partner said no: the invite ends unused (False when it was no longer live, as
        when someone joined through it a moment before)."""
        return bool(await self._write("decline_invite", token_hash=token_hash, now=now))

    async def other_half(self, plan_id: int) -> OtherHalf | None:
        """The plan an invite joined to ``plan_id`` (either side), or None."""
        link = await self._rows("plan_link", plan_id=plan_id)
        if not link:
            return None
        host, partner = link[0]
        other = partner if host == plan_id else host
        if other is None:  # the partner forgot its half
            return None
        rows = await self._rows("plan_by_id", plan_id=other)
        if not rows:
            return None
        i, state, version, status, language, answers, meta, transport, chat_id, title = rows[0]
        plan = Plan(i, state, version, status, language, json_value(answers), json_value(meta))
        return OtherHalf(plan, ChatRef(transport, chat_id, title=title or ""))

    async def linked_chats(self) -> list[ChatRef]:
        """The chats holding the other half of any of this chat's plans."""
        rows = await self._find_association()
        if not rows:
            return []
        chats: list[ChatRef] = []
        for host, partner in await self._rows("linked_plans", association_id=rows[0][0]):
            for plan_id in (host, partner):
                if plan_id is None:
                    continue
                found = await self._rows("plan_by_id", plan_id=plan_id)
                if found and (found[0][7], found[0][8]) != (
                    self._chat.transport,
                    self._chat.chat_id,
                ):
                    chats.append(ChatRef(found[0][7], found[0][8], title=found[0][9] or ""))
        return chats

    # -- follow-through (issue 17) ----------------------------------------------------------

    async def follow_settings(self) -> FollowSettings:
        """The chat's time zone, reminder hour and whether it wants reminders (defaults for a
        chat with no association yet)."""
        rows = await self._rows(
            "chat_settings", chat_transport=self._chat.transport, chat_id=self._chat.chat_id
        )
        if not rows:
            return FollowSettings(DEFAULT_TIME_ZONE, DEFAULT_HOUR, True)
        zone, hour, on = rows[0]
        return FollowSettings(str(zone), int(hour), bool(on))

    async def set_follow_settings(
        self,
        *,
        reminders: bool | None = None,
        time_zone: str | None = None,
        hour: int | None = None,
    ) -> bool:
        """Change the chat's reminder settings; False when the chat has no association yet."""
        await self.begin()
        chat = {"chat_transport": self._chat.transport, "chat_id": self._chat.chat_id}
        current = await self.follow_settings()
        if reminders is not None and not await self._rows("set_reminders", on=reminders, **chat):
            return False
        if time_zone is not None or hour is not None:
            zone = time_zone or current.time_zone
            at = current.hour if hour is None else hour
            if not await self._rows("set_remind_time", time_zone=zone, remind_hour=at, **chat):
                return False
        return True

    async def schedule_follow_up(
        self, plan: Plan, tasks: Sequence[TaskRecord], now: datetime
    ) -> None:
        """Make the plan's reminder rows match its tasks' due days (unsent ones are replaced;
        one a sweep holds right now is kept, so it is not sent twice), and give a finished
        plan its review (and mid-term check) once."""
        if plan.id is None:
            return
        await self.begin()
        rows = await self._rows("plan_settings", plan_id=plan.id)
        zone, hour = (
            (str(rows[0][0]), int(rows[0][1])) if rows else (DEFAULT_TIME_ZONE, DEFAULT_HOUR)
        )
        await self._rows("drop_task_reminders", plan_id=plan.id, no_task=NO_TASK, now=now)
        due = [(kind, key, at) for kind, key, at in task_reminders(list(tasks), zone, hour, now)]
        if plan.status == DONE and not await self._rows(
            "reviews_of_plan", plan_id=plan.id, no_task=NO_TASK
        ):
            span = plan.answers.get("time_span")
            due += [(kind, NO_TASK, at) for kind, at in review_times(now, span, zone, hour)]
        if due:
            await self._driver.run_many(
                self._conn,
                "insert_reminder",
                [
                    {
                        "plan_id": plan.id,
                        "kind": k,
                        "task_key": key,
                        "due_at": at,
                        "attempts": 0,
                    }
                    for k, key, at in due
                ],
            )

    async def save_review_answer(
        self, plan_id: int, kind: str, question: str, value: str, member: MemberRef, now: datetime
    ) -> None:
        await self._write(
            "insert_review_answer",
            plan_id=plan_id,
            kind=kind,
            question=question,
            value=value,
            member_name=member.name,
            created_at=now,
        )

    async def review_answers(self, plan_id: int) -> list[ReviewAnswer]:
        return [ReviewAnswer(*row) for row in await self._rows("review_answers", plan_id=plan_id)]

    # -- administration ---------------------------------------------------------------------

    async def forget(self) -> int | None:
        """Delete the chat's association and everything under it; its id, or None."""
        await self.begin()
        rows = await self._find_association()
        if not rows:
            return None
        # Members, plans and the plans' rows go with it (ON DELETE CASCADE).
        await self._rows("delete_association", association_id=rows[0][0])
        return int(rows[0][0])

    async def move(self, new_chat_id: str) -> int | None:
        """Move the chat's association to ``new_chat_id``; the old association id, or None.

        When the new chat already has an association of its own (a message reached the
        supergroup first), the old one is folded into it: plans and members move, the newest
        plan stays current and the others are closed.
        """
        await self.begin()
        old = await self._find_association()
        if not old:
            return None
        old_id = int(old[0][0])
        new = await self._find_association(new_chat_id)
        if not new:
            await self._rows("move_association", association_id=old_id, new_chat_id=new_chat_id)
            return old_id
        ids = {"old_id": old_id, "new_id": int(new[0][0])}
        await self._rows("merge_members", **ids)
        await self._rows("merge_plans", **ids)
        now = datetime.now(UTC)
        await self._rows(
            "close_older_plans", new_id=ids["new_id"], open=OPEN, closed=CLOSED, now=now
        )
        await self._rows("delete_association", association_id=old_id)
        return old_id

    # -- helpers ----------------------------------------------------------------------------

    async def begin(self) -> None:
        if self.committed:
            raise RuntimeError("this session's save committed alone: it was the event's last write")
        if not self.writing:
            # SQLite: waits (without blocking the loop) for the write lock.
            await self._driver.begin(self._conn)
            self.writing = True

    async def commit(self) -> None:
        """End the session's writing: what it wrote is stored now (no-op on PostgreSQL's save
        alone, which committed as it ran); no more writes follow."""
        if self.writing:
            await self._driver.end(self._conn, commit=True)
            self.writing = False
        self.committed = True

    def _unknown(self, entry: tuple[int, str, str]) -> bool:
        return entry not in self.new_members and not self._members.knows(*entry)

    async def _find_association(self, chat_id: str | None = None) -> list[Any]:
        chat = self._chat
        return await self._rows(
            "find_association", chat_transport=chat.transport, chat_id=chat_id or chat.chat_id
        )

    async def _ensure_association(self) -> int:
        """The chat's association id, creating the row when missing (and locking it on PG:
        that serialises concurrent ``create_plan`` calls of one chat, so one plan stays open;
        SQLite's write lock already does that)."""
        chat = self._chat
        rows = await self._find_association()
        if not rows:
            now = datetime.now(UTC)
            await self._rows(
                "insert_association",
                chat_transport=chat.transport,
                chat_id=chat.chat_id,
                title=chat.title,
                now=now,
            )
            # Ours, or the row a concurrent creator committed while our INSERT waited.
            rows = await self._find_association()
        elif chat.title and rows[0][1] != chat.title:
            await self._rows("retitle_association", association_id=rows[0][0], title=chat.title)
        self._association_id = int(rows[0][0])
        return self._association_id

    async def _ensure_member(self, association_id: int, member: MemberRef) -> None:
        entry = (association_id, member.user_id, member.name)
        if self._unknown(entry):
            await self._rows(
                "upsert_member",
                association_id=association_id,
                member_id=entry[1],
                member_name=entry[2],
            )
            self.new_members.append(entry)


def _plan_values(plan: Plan) -> dict[str, Any]:
    return {
        "new_state": plan.state,
        "new_status": plan.status,
        "new_language": plan.language,
        "new_answers": json.dumps(plan.answers),
        "new_meta": json.dumps(plan.meta),
    }


def _arrays(
    table: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> dict[str, list[Any]]:
    """PostgreSQL's ``save_all`` takes the rows of a table as one text array per column."""
    return {f"{table}_{c}": [row[c] for row in rows] for c in columns}


def _task_texts(task: TaskRecord) -> dict[str, Any]:
    return {**vars(task), "done": str(task.done_by is not None).lower()}


def _answer(row: Any) -> AnswerRecord:
    question, value, member_id, member_name = row
    return AnswerRecord(question, json_value(value), MemberRef(user_id=member_id, name=member_name))


def _row(record: TaskRecord | ChecklistRecord, **extra: Any) -> dict[str, Any]:
    """A task's or checklist item's columns, its time as a datetime."""
    return {**vars(record), **extra, "done_at": from_iso(record.done_at)}
