"""The agreement draft as a one-page PDF (fpdf2), with a bundled Unicode font.

The font ships with the package (DejaVu Sans, free licence in fonts/): it has Latin, Cyrillic
and Arabic glyphs, so names such as Äänekoski, Åsa, Łukasz, Олена or مريم render on any machine,
with nothing else installed. A right-to-left language (Arabic) is set right-aligned, with
HarfBuzz shaping (letters joined, the bidi order applied), and the task table's columns run from
the right.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from flows.export import review_day
from flows.texts import DEFAULT_LANGUAGE, is_rtl, join, t

FONT = "DejaVu"


def _font_path(name: str) -> str:
    return str(resources.files("bot").joinpath("fonts", name))


def agreement_pdf(doc: dict[str, Any], lang: str | None = None) -> bytes:
    """The PDF, in the plan's language unless ``lang`` says otherwise."""
    lang = lang or doc.get("language") or DEFAULT_LANGUAGE
    rtl = is_rtl(lang)
    align = "R" if rtl else "L"
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.set_margins(14, 12, 14)
    pdf.add_font(FONT, "", _font_path("DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", _font_path("DejaVuSans-Bold.ttf"))
    if rtl:
        pdf.set_text_shaping(use_shaping_engine=True, direction="rtl")
    pdf.set_title(doc["title"])
    pdf.add_page()
    none = t("export.none", lang)

    def heading(text: str) -> None:
        pdf.ln(2)
        pdf.set_font(FONT, "B", 11)
        pdf.cell(0, 6, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", 9)

    def line(text: str) -> None:
        pdf.multi_cell(0, 4.6, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    pdf.set_font(FONT, "B", 15)
    pdf.cell(0, 9, doc["title"], align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 9)
    line(t("export.parties", lang, association=doc["association"], partner=doc["partner"]))

    heading(t("export.form", lang))
    form = doc["form"]["name"]
    if doc["combined_with"]:
        form = t("export.combined", lang, form=form, other=doc["combined_with"]["name"])
    line(form)
    for reason in doc["why"]:
        line(f"• {reason}")

    heading(t("export.goals", lang))
    for key, value in doc["goals"].items():
        line(f"{t(f'export.goal_{key}', lang)}: {value or none}")

    heading(t("export.give_get", lang))
    line(f"{t('export.we_give', lang)}: {join(doc['we_give'], lang) or none}")
    line(f"{t('export.we_get', lang)}: {join(doc['we_get'], lang) or none}")

    heading(t("export.tasks", lang))
    # Right to left, the first column (the task) is the rightmost one.
    order = (lambda cells: cells[::-1]) if rtl else (lambda cells: cells)
    with pdf.table(
        col_widths=order((60, 18, 22)),
        text_align="RIGHT" if rtl else "LEFT",
        line_height=4.6,
        headings_style=FontFace(emphasis="BOLD"),
    ) as table:
        header = table.row()
        for title in order(("export.task", "export.phase", "export.owner")):
            header.cell(t(title, lang))
        for task in doc["tasks"]:
            row = table.row()
            owner = task["owner_name"]
            if task["claimed_by"]:
                owner = f"{owner} ({task['claimed_by']})"
            for text in order((task["task"], task["phase"], owner)):
                row.cell(text)

    heading(t("export.money", lang))
    for key in ("money", "commitment", "time_span"):
        line(f"{t(f'q.{key}.short', lang)}: {doc[key] or none}")
    line(f"{t('export.visibility', lang)}: {doc['visibility'] or none}")

    heading(t("export.contacts", lang))
    line(join(doc["contacts"], lang) or none)
    pdf.ln(2)
    line(t("export.review", lang, date=review_day(doc, lang)))
    if doc["notes"]:
        heading(t("result.notes", lang))
        for note in doc["notes"]:
            line(f"• {note}")
    return bytes(pdf.output())
