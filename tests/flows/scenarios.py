"""Whole plans written from the guide's own examples, and a player that types them in.

Each scenario names the guide's example it follows and the form the guide points to. The
expected form was written down from the guide before the scenario was first run; a scenario
that fails means the engine disagrees with the guide, not that the expectation needs moving.

Answers are typed as a member would type them in the console (labels, parts of labels, numbers,
lists), so the scenarios exercise parsing as well as the recommendation.
"""

from __future__ import annotations

from dataclasses import dataclass

from flows import events as ev
from flows import forms as f
from flows import reply as kinds
from flows.conversation import Outcome, apply, new_plan
from flows.model import MemberRef, Plan
from flows.reply import Reply

ANNA = MemberRef("101", "Anna")


@dataclass(frozen=True)
class Scenario:
    name: str
    example: str  # the guide's example this plan follows
    answers: dict[str, str]
    form: str  # the form the guide points to (for an unknown partner: the form to start with)
    combined_with: str | None = None


# A youth sports club and the neighbourhood association create a new one-day family sports day.
EVENT = {
    "aims": "A joint event",
    "strategy_goal": "More members",
    "target_benefit": "Children try new sports for free close to home.",
    "we_offer": "Volunteers, Equipment, Special skills",
    "partner_kind": "Another association",
    "partner_name": "Kallio Neighbourhood Association",
    "field_closeness": "3",
    "value_closeness": "4",
    "acquaintance": "We have met",
    "partner_offers": "Premises, Communication channels, Volunteers",
    "time_span": "One day",
    "success_measure": "At least 200 visitors and 15 new junior members.",
    "money": "We share the costs",
    "commitment": "A few days in all",
}

# The same sports day, but nothing is named that the partner would bring: only one side gives.
EVENT_ONE_WAY = {k: v for k, v in EVENT.items() if k != "partner_offers"}

# A multicultural association invites the library and a choir to take part in its festival.
EVENT_INVITE = {
    "aims": "joint event",
    "strategy_goal": "Being better known",
    "target_benefit": "Newcomers and long-time residents meet at one festival.",
    "we_offer": "Premises, Volunteers, Communication channels",
    "partner_kind": "Another association",
    "partner_name": "Kallio Choir",
    "field_closeness": "2",
    "value_closeness": "4",
    "acquaintance": "We have met",
    "partner_offers": "Special skills, Volunteers",
    "time_span": "One day",
    "success_measure": "Three organisations take part and 300 people come.",
    "money": "No money",
    "commitment": "A few days in all",
}

# A patients' association and a carers' association write a joint statement on waiting times.
ADVOCACY = {
    "aims": "Statement or campaign",
    "strategy_goal": "Influencing decisions",
    "target_benefit": "Shorter waiting times for rehabilitation.",
    "we_offer": "Everyday expertise, Factual knowledge",
    "partner_kind": "Another association",
    "partner_name": "Carers' Union",
    "field_closeness": "5",
    "value_closeness": "5",
    "acquaintance": "We worked together once",
    "partner_offers": "Contacts, Communication channels",
    "time_span": "A few weeks",
    "public_voice": "A joint statement",
    "success_measure": "The statement is discussed in the city council.",
    "money": "No money",
    "commitment": "A few days in all",
}

# Two disability associations run a joint campaign for accessible buses.
ADVOCACY_CAMPAIGN = {
    "aims": "statement or campaign",
    "strategy_goal": "influencing",
    "target_benefit": "Wheelchair users can take every bus in town.",
    "we_offer": "everyday expertise, contacts",
    "partner_kind": "Another association",
    "partner_name": "Visually Impaired of the Region",
    "field_closeness": "4",
    "value_closeness": "5",
    "acquaintance": "We have worked a lot",
    "partner_offers": "Communication channels, Special skills",
    "time_span": "A few weeks",
    "public_voice": "A joint campaign",
    "success_measure": "The city orders only low-floor buses.",
    "money": "No money",
    "commitment": "Some hours each month",
}

# A partner with a gambling sponsor joins a statement: values only half close.
ADVOCACY_WITH_CONFLICT = dict(
    ADVOCACY,
    partner_name="Sports Federation",
    value_closeness="3",
    value_conflict="Gambling",
    value_conflict_detail="Their main sponsor is a betting company.",
)

# A small multicultural association learns what the city's youth services see.
INFORMATION = {
    "aims": "Sharing information",
    "strategy_goal": "Better activities",
    "target_benefit": "Activities that fit what young newcomers actually need.",
    "we_offer": "Everyday expertise",
    "partner_kind": "A public body",
    "partner_name": "City Youth Services",
    "field_closeness": "4",
    "value_closeness": "4",
    "acquaintance": "We haven't met",
    "partner_offers": "Factual knowledge",
    "time_span": "Ongoing, no end date",
    "success_measure": "We meet four times a year and use what we learn in planning.",
    "money": "No money",
    "commitment": "A few hours in all",
}

# Two food banks share tried-and-tested ways of working.
INFORMATION_PRACTICES = {
    "aims": "sharing",
    "strategy_goal": "better activities",
    "target_benefit": "Less food is wasted and families wait less.",
    "we_offer": "special skills, knowledge",
    "partner_kind": "association",
    "partner_name": "East Side Food Bank",
    "field_closeness": "5",
    "value_closeness": "4",
    "acquaintance": "We have met",
    "partner_offers": "Everyday expertise, Premises",
    "time_span": "Ongoing",
    "success_measure": "Each side takes up one new way of working.",
    "money": "No money",
    "commitment": "A few hours in all",
}

# Two associations both run language cafés nearby and want to stop doing the same work twice.
INFORMATION_OVERLAP = {
    "aims": "3",
    "strategy_goal": "4",
    "target_benefit": "A language café every weekday instead of two on Mondays.",
    "we_offer": "2 6",
    "partner_kind": "1",
    "partner_name": "Language Friends",
    "field_closeness": "5",
    "value_closeness": "4",
    "acquaintance": "2",
    "partner_offers": "1, 6",
    "time_span": "About a year",
    "success_measure": "No two cafés on the same evening.",
    "money": "1",
    "commitment": "1",
}

# A city's integration services and an association share what they learn for a year.
INFORMATION_PUBLIC_YEAR = {
    "aims": "Sharing information",
    "strategy_goal": "Better activities",
    "target_benefit": "Newcomers get advice that matches the city's services.",
    "we_offer": "Everyday expertise, Contacts",
    "partner_kind": "public body",
    "partner_name": "Integration Services",
    "field_closeness": "4",
    "value_closeness": "4",
    "acquaintance": "We worked together once",
    "partner_offers": "Factual knowledge, Premises",
    "time_span": "About a year",
    "success_measure": "Our advice and theirs say the same thing.",
    "money": "No money",
    "commitment": "Some hours each month",
}

# Five environmental associations of one region form a network of equals.
NETWORK = {
    "aims": "A network, Sharing information",
    "strategy_goal": "Influencing decisions",
    "target_benefit": "Members hear of every volunteering chance in the region.",
    "we_offer": "Contacts, Factual knowledge",
    "partner_kind": "Several organisations",
    "partner_name": "Regional nature groups",
    "field_closeness": "5",
    "value_closeness": "5",
    "acquaintance": "We have met",
    "partner_offers": "Contacts, Premises",
    "time_span": "Ongoing, no end date",
    "network_basis": "1,2,3,4,5",
    "success_measure": "Every member group takes part in at least two meetings a year.",
    "money": "No money",
    "commitment": "Some hours each month",
}

# The same wish for a network, but only one partner: the guide's network needs several actors.
NETWORK_ONE_PARTNER = dict(NETWORK, partner_kind="Another association", partner_name="Birders")

# A sports club gets discounts for its members from a sport shop, which also funds the kit.
CORPORATE = {
    "aims": "Money or sponsorship",
    "strategy_goal": "Secure funding",
    "target_benefit": "Lower costs for families, so more children can play.",
    "we_offer": "Communication channels, Contacts",
    "partner_kind": "A company",
    "partner_name": "Sport Shop Oy",
    "field_closeness": "2",
    "value_closeness": "3",
    "value_conflict": "No conflict",
    "acquaintance": "We have met",
    "partner_offers": "Money, Equipment",
    "time_span": "A few weeks",
    "success_measure": "50 members use the discount; the kit is paid for.",
    "money": "Discounts for members",
    "commitment": "Some hours each month",
}

# An association and a bakery make a charity bun together and share the income.
CORPORATE_PRODUCT = {
    "aims": "money",
    "strategy_goal": "funding",
    "target_benefit": "Money for summer camps for children of low-income families.",
    "we_offer": "channels, special skills",
    "partner_kind": "company",
    "partner_name": "Bakery Leipomo",
    "field_closeness": "1",
    "value_closeness": "4",
    "value_conflict": "No conflict",
    "acquaintance": "We have met",
    "partner_offers": "Money, Equipment, Communication channels",
    "time_span": "About a year",
    "success_measure": "5,000 buns sold.",
    "money": "A joint product",
    "commitment": "A few days in all",
}

# A café gives part of a drink's sales to the association for one month.
CORPORATE_SALES = {
    "aims": "Money or sponsorship",
    "strategy_goal": "Secure funding",
    "target_benefit": "A new kitchen for our drop-in centre.",
    "we_offer": "Communication channels",
    "partner_kind": "A company",
    "partner_name": "Café Kulma",
    "field_closeness": "2",
    "value_closeness": "4",
    "value_conflict": "No conflict",
    "acquaintance": "We haven't met",
    "partner_offers": "Money, Communication channels",
    "time_span": "A few weeks",
    "success_measure": "2,000 euros raised.",
    "money": "their sales",
    "commitment": "A few hours in all",
}

# A festival day with a local bank as sponsor: an event, combined with a corporate partner.
EVENT_WITH_SPONSOR = {
    "aims": "A joint event, Money or sponsorship",
    "strategy_goal": "Being better known",
    "target_benefit": "A free cultural festival for the whole neighbourhood.",
    "we_offer": "Volunteers, Premises, Special skills",
    "partner_kind": "A company",
    "partner_name": "Local Savings Bank",
    "field_closeness": "1",
    "value_closeness": "3",
    "value_conflict": "No conflict",
    "acquaintance": "We have met",
    "partner_offers": "Money, Communication channels",
    "time_span": "One day",
    "success_measure": "1,000 visitors and the costs paid.",
    "money": "The partner pays costs",
    "commitment": "A few days in all",
}

# A brewery offers to sponsor a youth association's summer event: the conflict is named.
EVENT_BREWERY = dict(
    EVENT_WITH_SPONSOR,
    partner_name="Hops Brewery",
    value_closeness="2",
    value_conflict="Alcohol",
    value_conflict_detail="They sell beer and our members are under 18.",
)

# Two associations that have worked together for years start a peer support service for elders.
STRATEGIC = {
    "aims": "Long-term development, A new regular activity",
    "strategy_goal": "More skills",
    "target_benefit": "Elderly migrants get peer support in their own language.",
    "we_offer": "Everyday expertise, Volunteers",
    "partner_kind": "Another association",
    "partner_name": "Elder Care Society",
    "field_closeness": "5",
    "value_closeness": "5",
    "acquaintance": "We have worked a lot",
    "partner_offers": "Special skills, Factual knowledge",
    "time_span": "Several years",
    "success_measure": "A funded three-year peer support service.",
    "money": "Joint funding request",
    "commitment": "Many hours each week",
}

# A small association and a national organisation it knows well build competence together.
STRATEGIC_COMPETENCE = {
    "aims": "Long-term development",
    "strategy_goal": "More skills",
    "target_benefit": "Better trained volunteers give better support.",
    "we_offer": "Everyday expertise, Contacts",
    "partner_kind": "Another association",
    "partner_name": "National Mental Health Association",
    "field_closeness": "5",
    "value_closeness": "5",
    "acquaintance": "We have worked a lot",
    "partner_offers": "Factual knowledge, Special skills",
    "time_span": "Several years",
    "success_measure": "All our volunteers have had the national training.",
    "money": "Joint funding request",
    "commitment": "Many hours each week",
}

# One earlier project together; now a year to raise the standard and apply for funding jointly.
STRATEGIC_AFTER_ONE_PROJECT = {
    "aims": "Long-term development",
    "strategy_goal": "More skills",
    "target_benefit": "Our counselling reaches the quality the city asks for.",
    "we_offer": "Everyday expertise, Volunteers",
    "partner_kind": "Another association",
    "partner_name": "Counselling Centre",
    "field_closeness": "5",
    "value_closeness": "5",
    "acquaintance": "We worked together once",
    "partner_offers": "Special skills, Factual knowledge",
    "time_span": "About a year",
    "success_measure": "A joint funding application is sent.",
    "money": "Joint funding request",
    "commitment": "Many hours each week",
}

# The same long-term wish with an organisation they have never met: trust first.
STRATEGIC_STRANGERS = {
    "aims": "Long-term development",
    "strategy_goal": "More skills",
    "target_benefit": "Better trained volunteers give better support.",
    "we_offer": "Factual knowledge",
    "partner_kind": "Another association",
    "partner_name": "Helsinki Support Network",
    "field_closeness": "5",
    "value_closeness": "4",
    "acquaintance": "We haven't met",
    "partner_offers": "Factual knowledge",
    "time_span": "Several years",
    "success_measure": "We know whether we want to work together.",
    "money": "No money",
    "commitment": "Many hours each week",
}

# A weekly homework club with a parents' association they have met.
HOMEWORK_CLUB = {
    "aims": "A new regular activity",
    "strategy_goal": "Better activities",
    "target_benefit": "Children get help with homework in their own language.",
    "we_offer": "Volunteers, Everyday expertise",
    "partner_kind": "Another association",
    "partner_name": "School Parents' Association",
    "field_closeness": "4",
    "value_closeness": "5",
    "acquaintance": "We have met",
    "partner_offers": "Premises, Contacts",
    "time_span": "Ongoing",
    "success_measure": "Twenty children come every week.",
    "money": "No money",
    "commitment": "Some hours each month",
}

# A regular food aid, run for years with a partner the association has worked with a lot.
FOOD_AID = {
    "aims": "A new regular activity, Long-term development",
    "strategy_goal": "Better activities",
    "target_benefit": "Families get food every week without shame.",
    "we_offer": "Volunteers, Contacts",
    "partner_kind": "Another association",
    "partner_name": "Parish Diaconal Work",
    "field_closeness": "4",
    "value_closeness": "5",
    "acquaintance": "We have worked a lot",
    "partner_offers": "Premises, Money",
    "time_span": "Several years",
    "success_measure": "Food aid every week for three years.",
    "money": "We share the costs",
    "commitment": "Many hours each week",
}

# A joint event is wanted, but there is no partner yet; the member lists who works nearby.
UNKNOWN_PARTNER = {
    "aims": "A joint event",
    "strategy_goal": "More members",
    "target_benefit": "Young people find a hobby near home.",
    "we_offer": "Volunteers, Special skills",
    "partner_kind": "Not known yet",
    "same_theme": "Library youth corner, Kallio sports club, the parish youth work",
    "we_need": "Premises",
    "time_span": "One day",
    "success_measure": "We find one partner for a spring event.",
    "money": "No money",
    "commitment": "A few days in all",
}

# A sponsor is wanted, nobody is in view, and the member does not know who works nearby.
UNKNOWN_SPONSOR = {
    "aims": "Money or sponsorship",
    "strategy_goal": "Secure funding",
    "target_benefit": "Free football for children whose families cannot pay.",
    "we_offer": "Communication channels, Contacts",
    "partner_kind": "Not known yet",
    "we_need": "Money",
    "time_span": "About a year",
    "success_measure": "A sponsor pays the kit for two teams.",
    "money": "The partner pays costs",
    "commitment": "Some hours each month",
}


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("event", "a completely new event with a partner", EVENT, f.EVENT),
    Scenario("event_invite", "inviting others to our event", EVENT_INVITE, f.EVENT),
    Scenario("event_one_way", "both parties give and get", EVENT_ONE_WAY, f.EVENT),
    Scenario("advocacy", "a joint statement", ADVOCACY, f.ADVOCACY),
    Scenario("advocacy_campaign", "a joint advocacy campaign", ADVOCACY_CAMPAIGN, f.ADVOCACY),
    Scenario(
        "advocacy_conflict", "a joint statement; values checked", ADVOCACY_WITH_CONFLICT, f.ADVOCACY
    ),
    Scenario(
        "information", "up-to-date information on the target group", INFORMATION, f.INFORMATION
    ),
    Scenario(
        "information_practices",
        "sharing tried-and-tested practices",
        INFORMATION_PRACTICES,
        f.INFORMATION,
    ),
    Scenario(
        "information_overlap", "less overlap between actors", INFORMATION_OVERLAP, f.INFORMATION
    ),
    Scenario(
        "information_public",
        "taking stock with a public body",
        INFORMATION_PUBLIC_YEAR,
        f.INFORMATION,
    ),
    Scenario("network", "a network of equals", NETWORK, f.NETWORK),
    Scenario(
        "network_one_partner",
        "a network needs several actors; one partner shares information",
        NETWORK_ONE_PARTNER,
        f.INFORMATION,
    ),
    Scenario("corporate", "discounts for members", CORPORATE, f.CORPORATE),
    Scenario("corporate_product", "a new product, income shared", CORPORATE_PRODUCT, f.CORPORATE),
    Scenario("corporate_sales", "part of a product's sales donated", CORPORATE_SALES, f.CORPORATE),
    Scenario(
        "event_sponsor",
        "an event with a company's money",
        EVENT_WITH_SPONSOR,
        f.EVENT,
        combined_with=f.CORPORATE,
    ),
    Scenario(
        "event_brewery",
        "an event with a sponsor; values checked",
        EVENT_BREWERY,
        f.EVENT,
        combined_with=f.CORPORATE,
    ),
    Scenario("strategic", "establishing a new activity long-term", STRATEGIC, f.STRATEGIC),
    Scenario(
        "strategic_competence", "competence and credibility", STRATEGIC_COMPETENCE, f.STRATEGIC
    ),
    Scenario(
        "strategic_one_project",
        "a higher standard and joint funding after working together",
        STRATEGIC_AFTER_ONE_PROJECT,
        f.STRATEGIC,
    ),
    Scenario(
        "strategic_strangers",
        "get to know the partner first",
        STRATEGIC_STRANGERS,
        f.INFORMATION,
    ),
    Scenario("homework_club", "a new recurring activity", HOMEWORK_CLUB, f.EVENT),
    Scenario("food_aid", "a new activity developed long-term", FOOD_AID, f.STRATEGIC),
    Scenario("unknown_partner", "who works on the same theme", UNKNOWN_PARTNER, f.EVENT),
    Scenario("unknown_sponsor", "seek partners in the field", UNKNOWN_SPONSOR, f.CORPORATE),
)


def whole(reply: Reply) -> str:
    """A result as a member can read it: the first message and the details behind "Why"."""
    return f"{reply.text}\n{reply.details or ''}"


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


def asked(answers: dict[str, str]) -> list[str]:
    """The questions the engine asks for ``answers``, in order."""
    _plan, outcomes = play(answers)
    return [o.reply.previous_question for o in outcomes if o.reply.previous_question]


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
