"""Reply → message text and inline keyboard."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.telegram.callback_data import Action, decode
from bot.telegram.render import MAX_MESSAGE, answered_text, render, split_text
from flows.questionnaire import QUESTIONS, by_key
from flows.reply import INFO, QUESTION, RESULT, REVIEW, Option, Reply
from flows.texts import t


def _rows(markup: InlineKeyboardMarkup | None) -> list[list[tuple[str, str]]]:
    assert markup is not None
    return [[(b.text, str(b.callback_data)) for b in row] for row in markup.inline_keyboard]


def _question(key: str, **extra: object) -> Reply:
    q = by_key(key)
    fields: dict[str, object] = {
        "kind": QUESTION,
        "text": f"Question {key}?",
        "question": key,
        "question_kind": q.kind,
        "options": tuple(Option(o, f"Label {o}") for o in q.options),
        "progress": (2, 4),
        "part": "partner",
        "number": 6,
        "plan_id": 7,
        "version": 5,
    }
    fields.update(extra)
    return Reply(**fields)  # type: ignore[arg-type]


def test_choice_one_button_per_row_with_progress() -> None:
    reply = _question("strategy_goal", notes=("A hint.",))
    out = render(reply, "en")
    assert out.chunks == (
        "Part 2 of 4 — the partner (question 6)\n\nQuestion strategy_goal?\n\nA hint.",
    )
    rows = _rows(out.markup)
    options = by_key("strategy_goal").options
    assert len(rows) == len(options)
    for row, option in zip(rows, options, strict=True):
        ((label, data),) = row
        assert label == f"Label {option}"
        decoded = decode(data)
        assert decoded is not None
        assert (decoded.plan_id, decoded.version, decoded.action) == (7, 5, Action.ANSWER)
        assert (decoded.question, decoded.option) == ("strategy_goal", option)


def test_multi_toggles_with_ticks_and_done() -> None:
    q = by_key("aims")
    options = tuple(Option(o, f"L{o}", selected=(i == 1)) for i, o in enumerate(q.options))
    rows = _rows(render(_question("aims", options=options), "en").markup)
    labels = [row[0][0] for row in rows]
    assert labels[1] == f"✓ L{q.options[1]}"
    assert labels[0] == f"L{q.options[0]}"
    assert labels[-1] == t("ui.done")
    assert decode(rows[-1][0][1]).action == Action.DONE  # type: ignore[union-attr]
    assert {decode(r[0][1]).action for r in rows[:-1]} == {Action.TOGGLE}  # type: ignore[union-attr]


def test_scale_is_one_row_and_nav_row() -> None:
    key = next(q.key for q in QUESTIONS if q.kind == "scale")
    reply = _question(key, can_go_back=True, skippable=True)
    rows = _rows(render(reply, "en").markup)
    assert [label for label, _ in rows[0]] == [f"Label {v}" for v in "12345"]
    assert [label for label, _ in rows[1]] == [t("ui.back"), t("ui.skip")]
    assert [decode(d).action for _, d in rows[1]] == [Action.BACK, Action.SKIP]  # type: ignore[union-attr]


def test_text_question_has_only_navigation() -> None:
    reply = _question("target_benefit", options=())
    assert render(reply, "en").markup is None
    reply = _question("strategy_detail", options=(), skippable=True)
    assert [label for label, _ in _rows(render(reply, "en").markup)[0]] == [t("ui.skip")]


def test_review_buttons() -> None:
    reply = Reply(
        kind=REVIEW,
        text="Your answers",
        question="review",
        options=(Option("finish", "Show result"), Option("edit:aims", "Change: aims")),
        can_go_back=True,
        plan_id=3,
        version=9,
    )
    rows = _rows(render(reply, "en").markup)
    assert [r[0][0] for r in rows] == ["Show result", "Change: aims", t("ui.back")]
    finish, edit, back = (decode(r[0][1]) for r in rows)
    assert finish is not None and finish.action == Action.FINISH
    assert edit is not None and (edit.action, edit.question) == (Action.EDIT, "aims")
    assert back is not None and back.action == Action.BACK


def test_result_and_info_have_no_keyboard() -> None:
    for kind in (RESULT, INFO):
        out = render(Reply(kind=kind, text="Done.", plan_id=1, version=1), "en")
        assert out.markup is None
        assert out.chunks == ("Done.",)


def test_long_text_is_split_at_lines() -> None:
    text = "\n".join(f"line {i} " + "x" * 90 for i in range(200))
    chunks = split_text(text)
    assert len(chunks) > 1
    assert all(len(c) <= MAX_MESSAGE for c in chunks)
    assert "\n".join(chunks) == text
    assert split_text("y" * (MAX_MESSAGE + 5)) == ("y" * MAX_MESSAGE, "yyyyy")


def test_answered_text() -> None:
    reply = Reply(kind=QUESTION, text="next", answer_text="Visibility", answered_by="Aino")
    assert answered_text("Q?", reply, group=False, language="en") == "Q?\n\n" + t(
        "ui.answered", answer="Visibility"
    )
    assert answered_text("Q?", reply, group=True, language="en").endswith(
        t("ui.answered_by", name="Aino", answer="Visibility")
    )
    long = answered_text("q" * MAX_MESSAGE, reply, group=False, language="en")
    assert len(long) <= MAX_MESSAGE
