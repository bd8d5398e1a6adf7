"""The agreement PDF in each language, read back by text extraction: its own script, its own
words, right to left in Arabic."""

from __future__ import annotations

import io
from datetime import date

import pypdf
import pytest

from bot.pdf import agreement_pdf
from flows.events import Setup
from flows.model import ChatRef, MemberRef
from flows.service import PlanningService
from flows.texts import format_day, t
from storage.store import SqlStore
from tests.flows.languages import LANGUAGES, PARTNER, letters_of, mostly_in_script, play

# A one-day event: the first review falls a week later, on 24 December 2026.
TODAY = date(2026, 12, 17)


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def pdf_fonts(content: bytes) -> set[str]:
    reader = pypdf.PdfReader(io.BytesIO(content))
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    return fonts


@pytest.mark.parametrize("language", LANGUAGES)
async def test_pdf_in_the_plans_language_reads_back_in_its_script(
    store: SqlStore, language: str
) -> None:
    service = PlanningService(store)
    chat = ChatRef("telegram", f"77{LANGUAGES.index(language)}", "private", "Vihreä Kerho")
    await play(service, chat, MemberRef("7", "Mariam", language=language))
    doc = await service.agreement(chat, TODAY)
    assert isinstance(doc, dict)
    content = agreement_pdf(doc)  # the plan's language: nobody has to say it again
    text = pdf_text(content)
    lines = [line.strip() for line in text.splitlines()]
    assert t("export.title", language) in lines
    for section in ("form", "purpose", "give_get", "tasks", "data", "signatures"):
        assert t(f"agreement.section.{section}", language) in lines, section
    assert t(f"form.{doc['form']['key']}.name", language).lower() in text.lower()
    assert mostly_in_script(text.replace(PARTNER, "").replace("Vihreä Kerho", ""), language)
    assert all("DejaVu" in font for font in pdf_fonts(content))  # the bundled font, embedded
    if language == "uk":
        assert letters_of(text, "CYRILLIC") > 500
    if language == "ar":
        assert letters_of(text, "ARABIC") > 500
        # Shaped: the letters are kept (text extraction gives the words back), and the
        # Latin partner name stays readable in the right-to-left line.
        assert PARTNER in text
    if language == "fi":
        assert "24.12.2026" in text
    # The first review date, written the language's way (Arabic's has direction marks
    # that extraction drops: its digits are there).
    day = format_day(date(2026, 12, 24), language)
    assert day.replace("\u200f", "") in text.replace("\u200f", "") or (
        language == "ar" and all(part in text for part in ("24", "12", "2026"))
    )


async def test_arabic_pdf_is_set_right_to_left(store: SqlStore) -> None:
    """The task table runs from the right in Arabic: its first column (the task) is the
    rightmost, so the extracted header row lists it last."""
    service = PlanningService(store)
    chat = ChatRef("telegram", "7799", "private", "نادي الشباب")
    mariam = MemberRef("7", "مريم", language="ar")
    await play(service, chat, mariam)
    await service.handle(chat, mariam, Setup("name", "نادي الشباب"))
    doc = await service.agreement(chat, TODAY)
    assert isinstance(doc, dict)
    arabic = pdf_text(agreement_pdf(doc))
    columns = ("agreement.col.task", "agreement.col.owner", "agreement.col.status")
    headers = [t(k, "ar") for k in columns]
    header = next(line for line in arabic.splitlines() if all(h in line for h in headers))
    assert header.index(headers[0]) > header.index(headers[2])
    english = pdf_text(agreement_pdf({**doc, "language": "en"}))
    en_headers = [t(k, "en") for k in columns]
    en_header = next(line for line in english.splitlines() if all(h in line for h in en_headers))
    assert en_header.index(en_headers[0]) < en_header.index(en_headers[2])
    assert "نادي الشباب" in arabic
