"""Whole answer sets that real associations could give, and a player that types them in.

Answers are typed as a member would type them in the console (labels, numbers, comma lists),
so the scenarios exercise parsing as well as the recommendation.
"""

from __future__ import annotations

from flows import events as ev
from flows import reply as kinds
from flows.conversation import Outcome, apply, new_plan
from flows.model import MemberRef, Plan

ANNA = MemberRef("101", "Anna")

# A youth sports club plans a one-day family sports day with the neighbourhood association.
EVENT = {
    "aims": "A joint event",
    "strategy_goal": "More members",
    "strategy_detail": "Families who come to the day can join our junior teams.",
    "target_benefit": "Children try new sports for free close to home.",
    "we_offer": "Volunteers, Equipment, Special skills",
    "we_need": "Premises, Communication channels",
    "same_theme": "The parish youth work and the city sports office.",
    "partner_kind": "Another association",
    "partner_name": "Kallio Neighbourhood Association",
    "field_closeness": "3",
    "value_closeness": "4",
    "value_conflict": "No conflict",
    "acquaintance": "We have met",
    "partner_offers": "Premises, Communication channels, Volunteers",
    "time_span": "One day",
    "money": "We share costs",
    "cost_split": "Equally",
    "visibility": "Logos on materials",
    "public_voice": "Not now",
    "commitment": "Some days of work",
    "success_measure": "At least 200 visitors and 15 new junior members.",
}

# A patients' association and a carers' association speak up together about waiting times.
ADVOCACY = {
    "aims": "A joint statement",
    "strategy_goal": "Influencing decisions",
    "target_benefit": "Shorter waiting times for rehabilitation.",
    "we_offer": "Lived expertise, Factual knowledge",
    "we_need": "Contacts, Communication channels",
    "partner_kind": "Another association",
    "partner_name": "Carers' Union",
    "field_closeness": "5",
    "value_closeness": "5",
    "value_conflict": "No conflict",
    "acquaintance": "We worked together once",
    "partner_offers": "Contacts, Communication channels",
    "time_span": "A campaign of some weeks",
    "money": "No money involved",
    "public_voice": "A joint statement",
    "commitment": "Some days of work",
    "success_measure": "The statement is discussed in the city council.",
}

# A small multicultural association wants to learn what the city's youth services see.
INFORMATION = {
    "aims": "Sharing information",
    "strategy_goal": "Better activities",
    "target_benefit": "Activities that fit what young newcomers actually need.",
    "we_offer": "Lived expertise",
    "we_need": "Factual knowledge",
    "partner_kind": "A public body",
    "partner_name": "City Youth Services",
    "field_closeness": "4",
    "value_closeness": "4",
    "value_conflict": "No conflict",
    "acquaintance": "We haven't met",
    "partner_offers": "Factual knowledge",
    "time_span": "Ongoing, loosely",
    "money": "No money involved",
    "public_voice": "Not now",
    "commitment": "A few hours",
    "success_measure": "We meet four times a year and use what we learn in planning.",
}

# Five environmental associations of one region form a network of equals.
NETWORK = {
    "aims": "A network, Sharing information",
    "strategy_goal": "Influencing decisions",
    "target_benefit": "Members hear of every volunteering chance in the region.",
    "we_offer": "Contacts, Factual knowledge",
    "we_need": "Contacts",
    "partner_kind": "Several organisations",
    "partner_name": "Regional nature groups",
    "field_closeness": "5",
    "value_closeness": "5",
    "value_conflict": "No conflict",
    "acquaintance": "We have met",
    "partner_offers": "Contacts, Premises",
    "time_span": "Ongoing, loosely",
    "org_count": "More than 5, as equals",
    "network_basis": "1,2,3,4",
    "money": "No money involved",
    "public_voice": "Not now",
    "commitment": "Regular time every month",
    "success_measure": "Every member group takes part in at least two meetings a year.",
}

# A sports club wants a local company to give its members discounts and fund its kit.
CORPORATE = {
    "aims": "Funding or sponsorship",
    "strategy_goal": "Secure funding",
    "target_benefit": "Lower costs for families, so more children can play.",
    "we_offer": "Communication channels, Contacts",
    "we_need": "Money, Equipment",
    "partner_kind": "A company",
    "partner_name": "Sport Shop Oy",
    "field_closeness": "2",
    "value_closeness": "3",
    "value_conflict": "No conflict",
    "acquaintance": "We have met",
    "partner_offers": "Money, Equipment",
    "time_span": "A campaign of some weeks",
    "money": "Offers for our members",
    "cost_split": "The partner pays more",
    "visibility": "Partner's own campaign",
    "public_voice": "Not now",
    "commitment": "Regular time every month",
    "success_measure": "50 members use the discount; the kit is funded.",
}

# Two associations that have worked together for years build a joint service for elders.
STRATEGIC = {
    "aims": "Long-term development, A new activity",
    "strategy_goal": "Stronger know-how",
    "target_benefit": "Elderly migrants get peer support in their own language.",
    "we_offer": "Lived expertise, Volunteers",
    "we_need": "Special skills, Factual knowledge",
    "partner_kind": "Another association",
    "partner_name": "Elder Care Society",
    "field_closeness": "5",
    "value_closeness": "5",
    "value_conflict": "No conflict",
    "acquaintance": "We have a long history",
    "partner_offers": "Special skills, Factual knowledge",
    "time_span": "Several years",
    "money": "Joint funding bid",
    "cost_split": "By use or earnings",
    "visibility": "A joint name or brand",
    "public_voice": "Not now",
    "commitment": "Much time and budget",
    "success_measure": "A funded three-year peer support service.",
}

# A festival day with a local bank as sponsor: an event, combined with a corporate partner.
EVENT_WITH_SPONSOR = {
    "aims": "A joint event, Funding or sponsorship",
    "strategy_goal": "Being better known",
    "target_benefit": "A free cultural festival for the whole neighbourhood.",
    "we_offer": "Volunteers, Premises, Special skills",
    "we_need": "Money",
    "partner_kind": "A company",
    "partner_name": "Local Savings Bank",
    "field_closeness": "1",
    "value_closeness": "3",
    "value_conflict": "No conflict",
    "acquaintance": "We have met",
    "partner_offers": "Money, Communication channels",
    "time_span": "One day",
    "money": "The partner sponsors us",
    "cost_split": "The partner pays more",
    "visibility": "Logos on materials",
    "public_voice": "Not now",
    "commitment": "Some days of work",
    "success_measure": "1,000 visitors and the costs covered.",
}


def play(
    answers: dict[str, str], member: MemberRef = ANNA, typed: list[ev.Event] | None = None
) -> tuple[Plan, list[Outcome]]:
    """Type ``answers`` into a new plan, skipping what they leave out, then finish.

    The events sent are appended to ``typed`` when it is given.
    """
    plan = new_plan()
    plan.id = 1
    outcomes: list[Outcome] = []
    reply = apply(plan, member, ev.Start()).reply
    for _ in range(100):
        if reply.kind == kinds.RESULT:
            return plan, outcomes
        if reply.kind == kinds.REVIEW:
            event: ev.Event = ev.Finish()
        elif reply.question in answers:
            event = ev.Text(answers[reply.question])
        else:
            event = ev.Skip(reply.question)
        if typed is not None:
            typed.append(event)
        outcome = apply(plan, member, event)
        outcomes.append(outcome)
        assert outcome.reply.kind not in (kinds.INVALID, kinds.STALE), outcome.reply.text
        plan = outcome.plan
        reply = outcome.reply
    raise AssertionError("the conversation did not end")


def console_lines(answers: dict[str, str]) -> list[str]:
    """What a member types in the console for ``answers``, in the order the engine asks."""
    typed: list[ev.Event] = []
    play(answers, typed=typed)
    lines = []
    for event in typed:
        if isinstance(event, ev.Text):
            lines.append(event.text)
        elif isinstance(event, ev.Skip):
            lines.append("/skip")
        else:  # Finish, typed at the review as the number of its option
            lines.append("1")
    return lines
