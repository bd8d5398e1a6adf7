"""Random event sequences against the engine: it never raises, always stands at a valid step
of the flow, and never drops an answer it accepted."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows import events as ev
from flows import reply as kinds
from flows.conversation import apply, new_plan
from flows.model import DONE, MemberRef
from flows.parse import valid_value
from flows.questionnaire import QUESTIONS, REVIEW, applicable, by_key

KEYS = [q.key for q in QUESTIONS]
MEMBERS = [MemberRef("1", "Anna"), MemberRef("2", "Ben"), MemberRef("3", "")]

odd_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60
) | st.sampled_from(
    [
        "",
        " ",
        "\u200b",
        "1",
        "2,3",
        "5",
        "0",
        "-1",
        "1,1",
        "x" * 3000,
        "Ａ",
        "🙂",
        "\x00",
        "/back",
        "Finish",
    ]
)
values: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.integers(-3, 9),
    odd_text,
    st.lists(odd_text, max_size=3),
    st.sampled_from([o for q in QUESTIONS for o in q.options]),
    st.lists(st.sampled_from([o for q in QUESTIONS for o in q.options]), max_size=4),
)
keys = st.sampled_from([*KEYS, REVIEW, "nope"])

events = st.one_of(
    st.builds(ev.Start),
    st.builds(ev.Back),
    st.builds(ev.Restart),
    st.builds(ev.Summary),
    st.builds(ev.Finish),
    st.builds(ev.Text, odd_text),
    st.builds(ev.Answer, keys, values),
    st.builds(ev.Toggle, keys, st.sampled_from([o for q in QUESTIONS for o in q.options])),
    st.builds(ev.Done, keys),
    st.builds(ev.Done, keys, st.integers(1, 5)),
    st.builds(ev.Revote, keys),
    st.builds(ev.Skip, st.none() | keys),
    st.builds(ev.Edit, keys),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(MEMBERS), events), max_size=40), st.booleans())
def test_random_events_never_break_the_plan(
    script: list[tuple[MemberRef, ev.Event]], group: bool
) -> None:
    plan = new_plan(group=group)
    plan.id = 1
    accepted: dict[str, Any] = {}
    for member, event in script:
        before = plan.copy()
        outcome = apply(plan, member, event)
        assert outcome.reply.text  # the member always gets words back
        if not outcome.changed:
            assert outcome.plan == before  # refused input changes nothing
        plan = outcome.plan
        for record in outcome.records:
            if not record.contribution:  # a group member's vote or tick is not the answer
                accepted[record.question] = record.value
        if isinstance(event, ev.Restart) and outcome.changed:
            accepted.clear()
        # Always at a valid step: a question that applies, the review, or done.
        if plan.status == DONE:
            assert outcome.reply.kind in (kinds.RESULT, kinds.INFO, kinds.STALE)
        elif plan.state != REVIEW:
            assert plan.state in [q.key for q in applicable(plan.answers)]
        # Nothing accepted is dropped, and every stored answer fits its question.
        for key, value in accepted.items():
            assert plan.answers.get(key) == value
        for key, value in plan.answers.items():
            assert value is None or valid_value(by_key(key), value), (key, value)
