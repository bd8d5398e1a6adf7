"""Who the parties are: the two organisations' names and the contact people.

Asked once per association, with ``/setup``, and kept in the plan's ``meta`` (so no new
column is needed); a new plan of the same association carries them over (``carried``).

- ``meta["parties"]``: ``{"us": name, "partner": name}``, each only when set.
- ``meta["contacts"]``: member id -> the contact line that member chose to give
  ("Ülle Tamm, chair, ulle@example.org"). Only these lines name contact people: a login
  name or a chat title is never put in the agreement as a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flows import events as ev
from flows import reply as kinds
from flows.model import MemberRef, Plan
from flows.reply import Reply
from flows.texts import t

FIELDS = ("name", "partner", "contact")
CLEAR = "-"
MAX_NAME = 200
MAX_CONTACT = 300

# meta key: the chat was asked for a field ("name"); its next typed line is the answer.
ASKING = "asking"

# What a new plan of the association keeps from the one before it.
KEPT = ("parties", "contacts")


def carried(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The part of an earlier plan's meta that belongs to the association, not the plan."""
    return {key: meta[key] for key in KEPT if meta.get(key)}


def carry_into(meta: dict[str, Any], earlier: Mapping[str, Any]) -> None:
    """Take the association's parties and contacts from ``earlier`` (set since ``meta``'s
    plan began: /setup works on the finished plan while a new one is being planned)."""
    for key in KEPT:
        if earlier.get(key):
            meta[key] = earlier[key]
        else:
            meta.pop(key, None)


def our_name(plan: Plan) -> str | None:
    return plan.meta.get("parties", {}).get("us") or None


def partner_name(plan: Plan) -> str | None:
    """The partner's name: set with /setup, else the questionnaire's answer.

    Seam for partner invites (issue 15): when the partner joined by invite, its own half
    states its name; read it here, ahead of the two sources below.
    """
    named = plan.meta.get("parties", {}).get("partner")
    answered = plan.answers.get("partner_name")
    if named:
        return str(named)
    return str(answered).strip() or None if answered else None


def contacts(plan: Plan) -> list[str]:
    """Our side's contact lines, in the order the members gave them."""
    return list(plan.meta.get("contacts", {}).values())


def setup_event(line: str | None) -> ev.Setup:
    """``/setup [name|partner|contact VALUE]`` as typed (in a chat or the console)."""
    parts = (line or "").split(maxsplit=2)
    if len(parts) < 2:
        return ev.Setup()
    return ev.Setup(parts[1].lower(), parts[2] if len(parts) > 2 else "")


def answer_to_ask(plan: Plan, text: str) -> ev.Setup | None:
    """A typed line on a finished plan that was asked for a field: that field's value."""
    field = plan.meta.get(ASKING)
    return ev.Setup(field, text) if field in FIELDS else None


def apply_setup(plan: Plan, member: MemberRef, event: ev.Setup) -> tuple[Plan | None, Reply]:
    """(the changed plan, or None when nothing changed; the reply)."""
    lang = plan.language
    if event.field is None:
        return None, _show(plan)
    if event.field not in FIELDS:
        return None, _reply(plan, kinds.INVALID, t("setup.usage", lang))
    value = " ".join(event.value.split())
    if not value:
        return None, _reply(plan, kinds.INVALID, t(f"setup.empty_{event.field}", lang))
    limit = MAX_CONTACT if event.field == "contact" else MAX_NAME
    if len(value) > limit:
        return None, _reply(plan, kinds.INVALID, t("setup.too_long", lang, limit=limit))
    new = plan.copy()
    new.meta.pop(ASKING, None)  # set now, so no longer asked
    if event.field == "contact":
        people = new.meta.setdefault("contacts", {})
        if value == CLEAR:
            people.pop(member.user_id, None)
        else:
            people[member.user_id] = value
        key = "setup.contact_cleared" if value == CLEAR else "setup.contact_saved"
        text = t(key, lang, value=value)
    else:
        side = "us" if event.field == "name" else "partner"
        parties = new.meta.setdefault("parties", {})
        if value == CLEAR:
            parties.pop(side, None)
        else:
            parties[side] = value
        text = t(
            f"setup.{event.field}_{'cleared' if value == CLEAR else 'saved'}", lang, value=value
        )
    if new.meta == plan.meta:
        return None, _reply(plan, kinds.INFO, text)
    return new, _reply(new, kinds.INFO, text, changed=True)


def _show(plan: Plan) -> Reply:
    lang = plan.language
    unset = t("setup.unset", lang)
    lines = [
        t("setup.title", lang),
        t("setup.our_name", lang, value=our_name(plan) or unset),
        t("setup.partner_name", lang, value=partner_name(plan) or unset),
        t("setup.contacts", lang, value="; ".join(contacts(plan)) or unset),
        "",
        t("setup.usage", lang),
        t("setup.contact_note", lang),
    ]
    return _reply(plan, kinds.INFO, "\n".join(lines))


def _reply(plan: Plan, kind: str, text: str, changed: bool = False) -> Reply:
    return Reply(kind=kind, text=text, plan_id=plan.id, version=plan.version, changed=changed)
