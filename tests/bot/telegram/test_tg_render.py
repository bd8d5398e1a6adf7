"""Reply → message text and inline keyboard."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.telegram.callback_data import Action, decode
from bot.telegram.render import (
    MAX_MESSAGE,
    PICKER_PAGE,
    answered_text,
    picker,
    render,
    split_text,
)
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


def test_choice_short_labels_share_rows_long_ones_get_their_own() -> None:
    lengths = (8, 12, 16, 20, 22, 24, 6)
    options = tuple(
        Option(o, "x" * n) for o, n in zip(by_key("strategy_goal").options, lengths, strict=True)
    )
    reply = _question("strategy_goal", options=options, notes=("A hint.",))
    out = render(reply, "en")
    assert out.chunks == (
        "Part 2 of 4 — the partner (question 6)\n\nQuestion strategy_goal?\n\nA hint.",
    )
    rows = _rows(out.markup)
    # 8 and 12 characters fit side by side, 16 and 20 do not, nor 20 and 22; 24 and 6 do.
    assert [len(row) for row in rows] == [2, 1, 1, 1, 2]
    flat = [button for row in rows for button in row]
    for (label, data), option in zip(flat, options, strict=True):
        assert label == option.label
        decoded = decode(data)
        assert decoded is not None
        assert (decoded.plan_id, decoded.version, decoded.action) == (7, 5, Action.ANSWER)
        assert (decoded.question, decoded.option) == ("strategy_goal", option.key)


def test_multi_toggles_with_ticks_and_done() -> None:
    q = by_key("aims")
    options = tuple(Option(o, f"L{o}", selected=(i == 1)) for i, o in enumerate(q.options))
    rows = _rows(render(_question("aims", options=options), "en").markup)
    labels = [label for row in rows for label, _ in row]
    assert labels[1] == f"✓ L{q.options[1]}"
    assert labels[0] == f"L{q.options[0]}"
    assert labels[-1] == t("ui.done") and len(rows[-1]) == 1
    assert decode(rows[-1][0][1]).action == Action.DONE  # type: ignore[union-attr]
    toggles = {decode(d).action for row in rows[:-1] for _, d in row}  # type: ignore[union-attr]
    assert toggles == {Action.TOGGLE}


def test_scale_is_plain_numbers_and_a_nav_row() -> None:
    key = next(q.key for q in QUESTIONS if q.kind == "scale")
    reply = _question(key, can_go_back=True, skippable=True)
    rows = _rows(render(reply, "en").markup)
    assert [label for label, _ in rows[0]] == list("12345")  # the legend is in the text
    assert [label for label, _ in rows[1]] == [t("ui.back"), t("ui.skip")]
    assert [decode(d).action for _, d in rows[1]] == [Action.BACK, Action.SKIP]  # type: ignore[union-attr]


def test_a_group_scale_with_votes_far_apart_offers_use_and_vote_again() -> None:
    key = next(q.key for q in QUESTIONS if q.kind == "scale")
    rows = _rows(render(_question(key, spread=3), "en", group=True).markup)
    assert [label for label, _ in rows[0]] == [t("ui.use_value", value="3"), t("ui.vote_again")]
    use, again = (decode(d) for _, d in rows[0])
    assert use is not None and (use.action, use.option) == (Action.USE, "3")
    assert again is not None and again.action == Action.REVOTE


def test_text_question_has_only_navigation() -> None:
    reply = _question("target_benefit", options=())
    assert render(reply, "en").markup is None
    reply = _question("strategy_detail", options=(), skippable=True)
    assert [label for label, _ in _rows(render(reply, "en").markup)[0]] == [t("ui.skip")]


def test_review_has_two_buttons_and_a_paged_picker() -> None:
    edits = [q.key for q in QUESTIONS[:12]]
    reply = Reply(
        kind=REVIEW,
        text="Your answers",
        question="review",
        options=(Option("finish", "Show result"), *(Option(f"edit:{k}", k) for k in edits)),
        can_go_back=True,
        plan_id=3,
        version=9,
    )
    rows = _rows(render(reply, "en").markup)
    assert [[label for label, _ in row] for row in rows] == [
        [t("ui.finish"), t("ui.change_answer")],
        [t("ui.back")],
    ]
    finish, pick = (decode(d) for _, d in rows[0])
    assert finish is not None and finish.action == Action.FINISH
    assert pick is not None and (pick.action, pick.page) == (Action.PICK, 0)

    first = _rows(picker(reply, "en", 0))
    shown = [decode(d) for row in first[:-2] for _, d in row]
    assert [b.question for b in shown if b] == edits[:PICKER_PAGE]
    assert all(b is not None and b.action == Action.EDIT for b in shown)
    assert [label for label, _ in first[-2]] == [t("ui.page_prev"), t("ui.page_next")]
    assert [decode(d).page for _, d in first[-2]] == [1, 1]  # type: ignore[union-attr]
    assert [label for label, _ in first[-1]] == [t("ui.back_to_review")]
    second = _rows(picker(reply, "en", 1))
    labels = [label for row in second[:-2] for label, _ in row]
    assert labels == [t(f"q.{k}.short") for k in edits[PICKER_PAGE:]]


def test_a_result_is_short_html_with_buttons_that_lead_on() -> None:
    out = render(
        Reply(kind=RESULT, text="Recommended: <X>\nWhy & how", details="More", plan_id=1), "en"
    )
    assert out.html and out.chunks == ("<b>Recommended: &lt;X&gt;</b>\nWhy &amp; how",)
    rows = [[label for label, _ in row] for row in _rows(out.markup)]
    assert rows == [[t("ui.checklist"), t("ui.tasks"), t("ui.agreement")], [t("ui.why")]]


def test_info_has_no_keyboard() -> None:
    out = render(Reply(kind=INFO, text="Done.", plan_id=1, version=1), "en")
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
