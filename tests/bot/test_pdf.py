"""The agreement PDF as a reader sees it: its text, its pages and where the ink is."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

import pypdf
import pypdfium2
import pytest

from bot.pdf import MARGIN, MISSING, agreement_pdf
from flows import events as ev
from flows.agreement_text import document, markdown
from flows.export import agreement
from flows.model import US, MemberRef
from flows.setup import apply_setup
from flows.texts import format_day, t
from tests.flows.scenarios import EVENT, EVENT_WITH_SPONSOR, SCENARIOS, play

ANNA = MemberRef("101", "Anna")
ORG = "Kallion Nuoret ry"
PARTNER = "Kahvila 🌻 Oy"
CONTACT = "Anna Virtanen, chair, anna@kallio.example"
SECTIONS = ("parties", "purpose", "form", "give_get", "tasks", "money", "visibility", "period",
            "values", "data", "ending", "status", "signatures")  # fmt: skip


def doc_for(answers: dict[str, str], *setup: ev.Setup) -> dict[str, Any]:
    plan, outcomes = play(answers, ANNA)
    for event in setup:
        changed, _reply = apply_setup(plan, ANNA, event)
        assert changed is not None
        plan = changed
    tasks = list(outcomes[-1].tasks or [])
    return agreement(plan, tasks, [], date(2026, 3, 1), datetime(2026, 3, 1, tzinfo=UTC))


def text_of(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@pytest.fixture(scope="module")
def signed() -> dict[str, Any]:
    doc = doc_for(
        {**EVENT, "partner_name": PARTNER},
        ev.Setup("name", ORG),
        ev.Setup("contact", CONTACT),
    )
    doc["tasks"][0] = {**doc["tasks"][0], "due": "2026-04-15"}  # as issue 17 will store it
    return doc


def test_the_text_names_both_parties_every_section_the_signatures_and_due_dates(
    signed: dict[str, Any],
) -> None:
    text = text_of(agreement_pdf(signed))
    shown_partner = PARTNER.replace("🌻", MISSING)
    assert t("export.parties", association=ORG, partner=shown_partner) in text
    assert CONTACT in text
    for key in SECTIONS:
        assert t(f"agreement.section.{key}") in text, key
    for name in (ORG, shown_partner):
        assert t("agreement.sign_for", name=name) in text
    for label in ("sign_place_date", "sign_name", "sign_role", "sign_signature"):
        assert text.count(t(f"agreement.{label}")) == 2, label
    assert t("agreement.col.due") in text
    assert format_day(date(2026, 4, 15)) in text  # a set due date, as people write dates
    assert text.count(t("agreement.not_set")) >= len(signed["tasks"]) - 1  # the others
    assert t("agreement.not_binding") in text


def test_a_symbol_without_a_glyph_is_replaced_visibly_and_explained(
    signed: dict[str, Any],
) -> None:
    text = text_of(agreement_pdf(signed))
    assert "Kahvila □ Oy" in text
    assert t("agreement.missing_glyph", mark=MISSING) in text
    plain = {**signed, "parties": {**signed["parties"], "partner": {
        **signed["parties"]["partner"], "name": "Kahvila Oy"}}}  # fmt: skip
    assert t("agreement.missing_glyph", mark=MISSING) not in text_of(agreement_pdf(plain))


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s.combined_with is None],
                         ids=lambda s: s.name)  # fmt: skip
def test_a_typical_plan_fits_on_two_a4_pages(scenario: Any) -> None:
    pdf = agreement_pdf(doc_for(scenario.answers, ev.Setup("name", ORG)))
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) <= 2
    width, height = (float(x) for x in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4 in points


def test_the_text_stays_inside_the_margins(signed: dict[str, Any]) -> None:
    long_words = {**signed, "purpose": {**signed["purpose"],
                  "target_benefit": "Lasten-ja-nuorten-liikuntamahdollisuuksien " * 6}}  # fmt: skip
    pdf = pypdfium2.PdfDocument(agreement_pdf(long_words))
    scale = 2  # 144 dpi
    margin_px = MARGIN / 25.4 * 72 * scale
    for index in range(len(pdf)):
        image = pdf[index].render(scale=scale).to_pil().convert("L")
        width, height = image.size
        dark = image.point(lambda v: 255 if v < 200 else 0)
        left, top, right, bottom = dark.getbbox() or (0, 0, 0, 0)
        assert left >= margin_px - 2, (index, left)
        assert right <= width - margin_px + 2, (index, right, width)
        assert top > 0 and bottom < height, index
        assert dark.getbbox() is not None  # the page has ink at all


def test_the_pdf_is_in_the_plans_language(signed: dict[str, Any]) -> None:
    reader = pypdf.PdfReader(io.BytesIO(agreement_pdf(signed)))
    assert reader.trailer["/Root"].get("/Lang") == signed["language"]


def test_done_tasks_show_who_finished_them_and_when() -> None:
    doc = doc_for(EVENT_WITH_SPONSOR, ev.Setup("name", ORG))
    index = next(i for i, x in enumerate(doc["tasks"]) if x["owner"] == US)
    doc["tasks"][index] = replace_task(doc["tasks"][index])
    text = text_of(agreement_pdf(doc))
    assert t("agreement.done_by", name="Łukasz", date=format_day(date(2026, 3, 2))) in text


def replace_task(task: dict[str, Any]) -> dict[str, Any]:
    return {**task, "status": "done", "done_by": "Łukasz", "done_at": "2026-03-02T10:00:00+00:00"}


def test_markdown_and_pdf_hold_the_same_facts(signed: dict[str, Any]) -> None:
    pdf = " ".join(text_of(agreement_pdf(signed)).split())
    md = " ".join(markdown(signed).split())
    for section in document(signed).sections:
        for block in section.blocks:
            pieces = [block.text] if block.text else [c for row in block.rows for c in row]
            for piece in pieces:
                flat = " ".join(piece.split())
                assert flat in md, flat
                assert flat.replace("🌻", MISSING) in pdf, flat
