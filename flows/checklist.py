"""A plan's checklist: the guide's preparation steps, the chosen form's own steps, own items.

Pure functions over ``ChecklistRecord`` lists; the service stores the result with the plan's
version check, so two members ticking at once never lose a tick.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from flows.forms import ADVOCACY, CORPORATE, EVENT, INFORMATION, NETWORK, STRATEGIC
from flows.model import ChecklistRecord
from flows.parse import Invalid

# The preparation the guide asks of every partnership, in its order.
PREPARATION: tuple[str, ...] = (
    "know_partner",
    "check_values",
    "agree_goals",
    "map_resources",
    "divide_tasks",
)

FORM_ITEMS: dict[str, tuple[str, ...]] = {
    EVENT: (
        "ev_date",
        "ev_venue",
        "ev_programme",
        "ev_budget",
        "ev_marketing",
        "ev_registrations",
        "ev_volunteers",
        "ev_safety",
        "ev_follow_up",
    ),
    ADVOCACY: (
        "adv_position",
        "adv_draft",
        "adv_sign_off",
        "adv_publish",
        "adv_deciders",
        "adv_follow",
    ),
    INFORMATION: ("info_topics", "info_rhythm", "info_contacts", "info_first", "info_review"),
    NETWORK: (
        "net_needs",
        "net_objectives",
        "net_rules",
        "net_culture",
        "net_channel",
        "net_review",
    ),
    CORPORATE: (
        "corp_ethics",
        "corp_agreement",
        "corp_visibility",
        "corp_members",
        "corp_report",
        "corp_end",
    ),
    STRATEGIC: (
        "str_goals",
        "str_competence",
        "str_resources",
        "str_funding",
        "str_contacts",
        "str_review",
    ),
}

MAX_CUSTOM_ITEMS = 20
MAX_LABEL_LENGTH = 60  # fits one line of a button on a phone
PAGE_SIZE = 8


def builtin_keys(forms: Sequence[str]) -> list[str]:
    keys = list(PREPARATION)
    for form in forms:
        keys += [k for k in FORM_ITEMS[form] if k not in keys]
    return keys


def items(stored: Sequence[ChecklistRecord], forms: Sequence[str]) -> list[ChecklistRecord]:
    """The plan's checklist: built-in steps in order (with any stored ticks), then own items."""
    by_key = {item.key: item for item in stored}
    merged = [by_key.get(key, ChecklistRecord(key)) for key in builtin_keys(forms)]
    return merged + [item for item in stored if item.custom]


def tick(
    current: Sequence[ChecklistRecord], key: str, done: bool, who: str, at: str
) -> list[ChecklistRecord] | None:
    """Set one item's tick; None when there is no such item (a stale or forged button)."""
    if not any(item.key == key for item in current):
        return None
    # An item already as asked stays as it is: a repeated or retried tap keeps who ticked it.
    return [
        (
            replace(item, done_by=who, done_at=at)
            if done
            else replace(item, done_by=None, done_at=None)
        )
        if item.key == key and item.done != done
        else item
        for item in current
    ]


def add(current: Sequence[ChecklistRecord], text: str) -> list[ChecklistRecord] | Invalid:
    label = " ".join(text.split())
    if not label:
        return Invalid("checklist_empty")
    if len(label) > MAX_LABEL_LENGTH:
        return Invalid("checklist_too_long", {"length": len(label), "limit": MAX_LABEL_LENGTH})
    custom = [item for item in current if item.custom]
    if len(custom) >= MAX_CUSTOM_ITEMS:
        return Invalid("checklist_full", {"limit": MAX_CUSTOM_ITEMS})
    if any(item.label and item.label.casefold() == label.casefold() for item in custom):
        return Invalid("checklist_duplicate", {"label": label})
    number = max((int(item.key[1:]) for item in custom), default=0) + 1
    return [*current, ChecklistRecord(f"c{number}", label)]


def pages(count: int) -> int:
    return max(1, -(-count // PAGE_SIZE))


def page_of(current: Sequence[ChecklistRecord], page: int) -> tuple[list[ChecklistRecord], int]:
    """The items on ``page`` (clamped to the pages there are) and that page's number."""
    page = min(max(page, 0), pages(len(current)) - 1)
    return list(current[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]), page
