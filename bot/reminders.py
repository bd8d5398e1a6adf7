"""The reminder sweep (issue 17): every instance runs it now and then; each due reminder is
sent once.

Delivery is **at-least-once**. A sweep first *claims* due rows (one conditional UPDATE that
gives them a lease, committed before anything is sent), then sends each and marks it sent.
Two sweeps never claim the same row while its lease runs. A process that dies between the
claim and the mark leaves the row unsent with a lease; once the lease has run out, the next
sweep (of any instance) claims and sends it again. So a crash right after Telegram accepted a
message can repeat that one message, but no reminder is ever lost. Lost reminders would be
worse for a volunteer than one repeated message.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flows.followup import LATE_AFTER, ReminderMessage, reminder_message
from flows.model import ChatRef, DueReminder
from storage.store import SqlStore

log = logging.getLogger(__name__)

# A claimed reminder is someone else's to send again once this much time passed unsent.
LEASE = timedelta(minutes=5)
# How often every instance sweeps (JobQueue run_repeating); a reminder is at most this late.
INTERVAL = timedelta(minutes=1)
# Rows claimed per statement: one sweep sends them before claiming more.
BATCH = 50


class Delivery(enum.Enum):
    SENT = "sent"
    GONE = "gone"  # the bot was blocked, or the chat no longer exists: stop its reminders
    FAILED = "failed"  # try again later (the lease runs out, another sweep picks it up)


Sender = Callable[[ChatRef, DueReminder, ReminderMessage], Awaitable[Delivery]]


@dataclass
class SweepCounts:
    """What a sweep did. The one place reminder counters come from (metrics: claimed, sent)."""

    claimed: int = 0
    sent: int = 0
    stopped: int = 0


def message_for(due: DueReminder, now: datetime) -> ReminderMessage:
    late = now - due.due_at > LATE_AFTER
    name = due.claimed_by if due.private_chat is None else None
    return reminder_message(
        due.kind,
        due.task_key,
        due.due_on,
        due.language,
        late=late,
        name=name,
        success_measure=due.success_measure,
    )


async def sweep(
    store: SqlStore,
    send: Sender,
    now: Callable[[], datetime],
    *,
    lease: timedelta = LEASE,
    batch: int = BATCH,
) -> SweepCounts:
    """Claim and send every reminder due at ``now()``; the counts."""
    counts = SweepCounts()
    stopped: set[ChatRef] = set()  # chats found gone in this sweep: their other rows wait
    while True:
        at = now()
        ids = await store.claim_reminders(at, at + lease, batch)
        counts.claimed += len(ids)
        for reminder_id in ids:
            due = await store.due_reminder(reminder_id)
            if due is None:  # the plan was deleted meanwhile
                continue
            if due.task_key and due.done:  # done before its reminder: nothing to remind of
                await store.mark_sent(reminder_id, now())
                continue
            # The member who took it, privately; else the chat of the side whose task it is.
            target = due.private_chat or (due.partner_chat if due.to_partner else None) or due.chat
            if target in stopped:  # its reminders are off now; the row stays unsent
                continue
            result = await send(target, due, message_for(due, at))
            if result is Delivery.SENT:
                if await store.mark_sent(reminder_id, now()):
                    counts.sent += 1
            elif result is Delivery.GONE:
                await store.stop_reminders(target)
                stopped.add(target)
                counts.stopped += 1
                log.warning(
                    "reminders stopped for chat %s: the bot cannot write there", target.chat_id
                )
        if len(ids) < batch:
            return counts
