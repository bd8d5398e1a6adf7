"""The callback data codec: short, versioned, strict."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.telegram.callback_data import (
    MAX_BYTES,
    Action,
    ButtonData,
    ForgetData,
    ResultButton,
    decode,
    decode_restart,
    decode_result,
    encode,
    encode_restart,
    encode_result,
    to_event,
)
from flows.events import Answer, Back, Done, Edit, Finish, Revote, Skip, Start, Toggle
from flows.questionnaire import CHOICE, MULTI, QUESTIONS, SCALE, by_key

BIG = 10**18 - 1  # the largest plan id / version the format carries


def _buttons() -> st.SearchStrategy[ButtonData]:
    ids = st.integers(1, BIG)
    versions = st.integers(0, BIG)
    question = st.sampled_from(QUESTIONS)

    def with_option(action: Action, kinds: set[str]) -> st.SearchStrategy[ButtonData]:
        qs = [q for q in QUESTIONS if q.kind in kinds and q.options]
        return st.builds(
            lambda p, v, q, i: ButtonData(p, v, action, q.key, q.options[i % len(q.options)]),
            ids,
            versions,
            st.sampled_from(qs),
            st.integers(0, 100),
        )

    return st.one_of(
        with_option(Action.ANSWER, {CHOICE, SCALE}),
        with_option(Action.TOGGLE, {MULTI}),
        st.builds(
            lambda p, v, q: ButtonData(p, v, Action.DONE, q.key),
            ids,
            versions,
            st.sampled_from([q for q in QUESTIONS if q.kind == MULTI]),
        ),
        st.builds(lambda p, v, q: ButtonData(p, v, Action.SKIP, q.key), ids, versions, question),
        st.builds(lambda p, v, q: ButtonData(p, v, Action.EDIT, q.key), ids, versions, question),
        st.builds(
            lambda p, v, q: ButtonData(p, v, Action.BACK, q.key if q else None),
            ids,
            versions,
            st.one_of(st.none(), question),
        ),
        st.builds(lambda p, v: ButtonData(p, v, Action.FINISH), ids, versions),
        with_option(Action.USE, {SCALE}),
        st.builds(
            lambda p, v, q: ButtonData(p, v, Action.REVOTE, q.key),
            ids,
            versions,
            st.sampled_from([q for q in QUESTIONS if q.kind == SCALE]),
        ),
        st.builds(
            lambda p, v, page: ButtonData(p, v, Action.PICK, page=page),
            ids,
            versions,
            st.integers(0, 99),
        ),
    )


@given(_buttons())
def test_round_trip_and_size(data: ButtonData) -> None:
    raw = encode(data)
    assert len(raw.encode()) <= MAX_BYTES
    assert decode(raw) == data


def test_layout_is_the_documented_one() -> None:
    aims = by_key("aims")
    raw = encode(ButtonData(12, 3, Action.TOGGLE, "aims", aims.options[2]))
    assert raw == "1|12|3|t|0|2"
    assert encode(ButtonData(12, 3, Action.FINISH)) == "1|12|3|f||"


@pytest.mark.parametrize(
    "raw",
    [
        None,
        123,
        b"1|1|0|f||",
        "",
        "garbage",
        "1|1|0|f|",  # a field missing
        "1|1|0|f|||",  # a field too many
        "2|1|0|f||",  # unknown format version
        "1|0|0|f||",  # plan ids start at 1
        "1|01|0|f||",  # leading zero: not canonical
        "1|-1|0|f||",
        "1|+1|0|f||",
        "1| 1|0|f||",
        "1|1|0|f||\n",
        "1|1|0|x||",  # unknown action
        "1|1|0|F||",
        "1|1|0|a|0|0",  # answer on a multi question
        "1|1|0|t|1|0",  # toggle on a choice question
        "1|1|0|a|1|",  # answer without an option
        "1|1|0|a|1|99",  # option out of range
        "1|1|0|a|999|0",  # question out of range
        "1|1|0|s||",  # skip names no question
        "1|1|0|f|1|",  # finish names a question
        "1|1|0|b||0",  # an option without a question
        "1|1|0|s|1|0",  # skip with an option
        "1|1|0|e||",  # edit names no question
        "1|1234567890123456789|0|f||",  # number too long
        "1|1|0|f||" + "x" * 60,
        "１|1|0|f||",  # full-width digit
        "1|١|0|f||",  # Arabic-Indic digit
    ],
)
def test_malformed_is_refused(raw: object) -> None:
    assert decode(raw) is None


@given(st.text(max_size=80))
def test_decode_never_raises(raw: str) -> None:
    data = decode(raw)
    assert data is None or encode(data) == raw


def test_invalid_buttons_cannot_be_built() -> None:
    with pytest.raises(ValueError):
        ButtonData(1, 0, Action.ANSWER, "aims", "joint_event")  # aims is multi
    with pytest.raises(ValueError):
        ButtonData(0, 0, Action.FINISH)
    with pytest.raises(ValueError):
        ButtonData(1, 0, Action.EDIT, "no_such_question")


def test_events() -> None:
    scale = next(q for q in QUESTIONS if q.kind == SCALE)
    choice = next(q for q in QUESTIONS if q.kind == CHOICE)
    multi = next(q for q in QUESTIONS if q.kind == MULTI)
    answer_scale = ButtonData(1, 0, Action.ANSWER, scale.key, "4")
    assert to_event(answer_scale) == Answer(scale.key, 4)
    pick = ButtonData(1, 0, Action.ANSWER, choice.key, choice.options[1])
    assert to_event(pick) == Answer(choice.key, choice.options[1])
    tick = ButtonData(1, 0, Action.TOGGLE, multi.key, multi.options[0])
    assert to_event(tick) == Toggle(multi.key, multi.options[0])
    assert to_event(ButtonData(1, 0, Action.DONE, multi.key)) == Done(multi.key)
    assert to_event(ButtonData(1, 0, Action.BACK, multi.key)) == Back(multi.key)
    assert to_event(ButtonData(1, 0, Action.SKIP, multi.key)) == Skip(multi.key)
    assert to_event(ButtonData(1, 0, Action.EDIT, multi.key)) == Edit(multi.key)
    assert to_event(ButtonData(1, 0, Action.FINISH)) == Finish()


def test_the_group_and_review_buttons_stand_for_their_events() -> None:
    scale = next(q.key for q in QUESTIONS if q.kind == SCALE)
    assert to_event(ButtonData(1, 2, Action.USE, scale, "3")) == Done(scale, use=3)
    assert to_event(ButtonData(1, 2, Action.REVOTE, scale)) == Revote(scale)
    assert to_event(ButtonData(1, 2, Action.PICK, page=1)) == Start()
    with pytest.raises(ValueError):
        ButtonData(1, 2, Action.PICK, "aims")  # the picker names no question
    with pytest.raises(ValueError):
        ButtonData(1, 2, Action.USE, "aims", "joint_event")  # only scales have a middle value
    assert decode("1|1|2|p||") is None  # a picker without its page
    assert decode("1|1|2|p|0|1") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("x|1700000000|y", ForgetData(True, 1700000000)),
        ("x|1700000000|n", ForgetData(False, 1700000000)),
        ("x|01|y", None),
        ("f|1700000000|y", None),  # /forget's, not /restart's
        ("x|1700000000|yes", None),
    ],
)
def test_restart_confirmation_data(raw: str, expected: ForgetData | None) -> None:
    assert decode_restart(raw) == expected
    if expected is not None:
        assert encode_restart(expected) == raw


@pytest.mark.parametrize("what", ["checklist", "tasks", "agreement", "why"])
def test_result_buttons_round_trip(what: str) -> None:
    raw = encode_result(ResultButton(12, what))
    assert len(raw.encode()) <= MAX_BYTES and decode_result(raw) == ResultButton(12, what)


@pytest.mark.parametrize("raw", ["r|0|c", "r|12|z", "r|012|c", "r|12|c|", "garbage", None])
def test_result_buttons_are_strict(raw: object) -> None:
    assert decode_result(raw) is None
