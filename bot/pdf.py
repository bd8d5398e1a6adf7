"""The agreement draft as an A4 PDF (fpdf2), with a bundled Unicode font.

The font ships with the package (DejaVu Sans, free licence in fonts/): it has Latin, Cyrillic
and Arabic glyphs, so names such as Äänekoski, Åsa, Łukasz, Олена or مريم render on any machine,
with nothing else installed. A right-to-left language (Arabic) is set right-aligned, with
HarfBuzz shaping (letters joined, the bidi order applied); the task table's columns and the
signature columns run from the right. A character the font has no glyph for (most emoji) is
replaced by a visible mark, and a line at the end says what the mark means: nothing
disappears silently.
"""

from __future__ import annotations

import re
import unicodedata
from importlib import resources
from typing import Any

from fpdf import FPDF
from fpdf.enums import TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace

from flows.agreement_text import ITEM, SIGN, TABLE, TEXT, TODO, Block, document
from flows.texts import DEFAULT_LANGUAGE, is_rtl, t

FONT = "DejaVu"
MISSING = "□"  # U+25A1, in the bundled font
BODY = 10.5  # pt
SMALL = 10
LINE = 5.2  # mm, for the body size
MARGIN = 16  # mm, left and right
TOP = 16
# Parts of emoji sequences that have no look of their own: variation selectors, the zero
# width joiner, skin tones. Dropped before the glyph check, so "👩‍💻" becomes one mark.
_INVISIBLE = re.compile("[\ufe0e\ufe0f\u200d\U0001f3fb-\U0001f3ff]")
# Task, lead, person, due, status: in mm, summing to the text width (210 - 2 * MARGIN).
COLUMNS = (66, 36, 24, 24, 28)


def _font_path(name: str) -> str:
    return str(resources.files("bot").joinpath("fonts", name))


class _AgreementPDF(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(format="A4")
        self.footer_text = footer_text

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.set_text_color(100)
        self.cell(0, 5, f"{self.footer_text} · {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0)


class _Glyphs:
    """Replaces characters the font cannot draw, and remembers that it did."""

    def __init__(self, cmap: dict[int, Any]) -> None:
        self.cmap = cmap
        self.replaced = False

    def __call__(self, text: str) -> str:
        text = _INVISIBLE.sub("", text)
        out = []
        for char in text:
            # Bidi isolates and marks (format characters) steer the shaping; they draw nothing.
            if ord(char) in self.cmap or char in "\n\t" or unicodedata.category(char) == "Cf":
                out.append(char)
            elif not out or out[-1] != MISSING:
                out.append(MISSING)
                self.replaced = True
        return "".join(out)


def agreement_pdf(doc: dict[str, Any]) -> bytes:
    """The PDF, in the plan's language."""
    lang = doc.get("language") or DEFAULT_LANGUAGE
    align = "R" if is_rtl(lang) else "L"
    text = document(doc)
    pdf = _AgreementPDF(text.title)
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_margins(MARGIN, TOP, MARGIN)
    pdf.add_font(FONT, "", _font_path("DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", _font_path("DejaVuSans-Bold.ttf"))
    pdf.set_title(text.title)
    pdf.set_lang(lang)
    if is_rtl(lang):
        pdf.set_text_shaping(use_shaping_engine=True, direction="rtl")
    pdf.add_page()
    pdf.set_font(FONT, "", BODY)
    clean = _Glyphs(pdf.current_font.cmap)

    pdf.set_font(FONT, "B", 16)
    pdf.multi_cell(0, 8, clean(text.title), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 11)
    pdf.multi_cell(0, 6, clean(text.parties_line), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for section in text.sections:
        pdf.ln(1.5)
        pdf.set_font(FONT, "B", 11.5)
        pdf.multi_cell(0, 6, clean(section.title), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", BODY)
        for block in section.blocks:
            _block(pdf, block, clean, lang, align)
    if clean.replaced:
        pdf.ln(3)
        pdf.set_font(FONT, "", SMALL)
        pdf.multi_cell(
            0,
            LINE,
            t("agreement.missing_glyph", lang, mark=MISSING),
            align=align,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    return bytes(pdf.output())


def _block(pdf: FPDF, block: Block, clean: _Glyphs, lang: str, align: str) -> None:
    rtl = align == "R"
    # Right to left, the first column (the task, our side) is the rightmost one.
    order = (lambda cells: cells[::-1]) if rtl else (lambda cells: cells)
    if block.kind == TEXT:
        pdf.multi_cell(0, LINE, clean(block.text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(0.8)
    elif block.kind == ITEM:
        _indented(pdf, f"• {clean(block.text)}", align)
    elif block.kind == TODO and rtl:
        _indented(pdf, f"{t('agreement.to_decide', lang)}: {clean(block.text)}", align)
    elif block.kind == TODO:
        pdf.set_x(pdf.l_margin + 2)
        pdf.set_font(FONT, "B", BODY)
        pdf.write(LINE, f"{t('agreement.to_decide', lang)}: ")
        pdf.set_font(FONT, "", BODY)
        pdf.write(LINE, clean(block.text))
        pdf.ln(LINE)
    elif block.kind == TABLE:
        pdf.ln(1)
        pdf.set_font(FONT, "", SMALL)
        with pdf.table(
            col_widths=order(COLUMNS),
            width=sum(COLUMNS),
            text_align="RIGHT" if rtl else "LEFT",
            line_height=4.5,
            padding=(1.2, 1.6),
            headings_style=FontFace(emphasis="BOLD", fill_color=(232, 236, 240)),
            borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        ) as table:
            for cells in block.rows:
                row = table.row()
                for cell in order(cells):
                    row.cell(clean(cell))
        pdf.set_font(FONT, "", BODY)
    elif block.kind == SIGN:
        _signatures(pdf, order(block.rows), clean, align)


def _indented(pdf: FPDF, text: str, align: str) -> None:
    """A list line, set in a little from the side the text starts on."""
    width = pdf.w - pdf.l_margin - pdf.r_margin - 2
    pdf.set_x(pdf.l_margin + (0 if align == "R" else 2))
    pdf.multi_cell(width, LINE, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _signatures(
    pdf: FPDF, parties: tuple[tuple[str, ...], ...], clean: _Glyphs, align: str
) -> None:
    """Both parties side by side: a bold name, then lines to write on."""
    width = (pdf.w - pdf.l_margin - pdf.r_margin - 8) / 2
    pdf.ln(1)
    if pdf.will_page_break(6 + 9 * (len(parties[0]) - 1)):
        pdf.add_page()  # the block stays whole: a signature page of its own beats a cut
    top = pdf.get_y()
    xs = [pdf.l_margin + column * (width + 8) for column in range(len(parties))]
    bottoms = []
    pdf.set_font(FONT, "B", BODY)
    for x, lines in zip(xs, parties, strict=True):
        pdf.set_xy(x, top)
        pdf.multi_cell(width, LINE, clean(lines[0]), align=align, new_x=XPos.LEFT, new_y=YPos.NEXT)
        bottoms.append(pdf.get_y())
    pdf.set_font(FONT, "", BODY)
    # The fields start level in both columns, below the longer of the two names.
    for x, lines in zip(xs, parties, strict=True):
        pdf.set_xy(x, max(bottoms))
        for label in lines[1:]:
            pdf.set_xy(x, pdf.get_y() + 3.5)
            pdf.cell(width, LINE, clean(label), align=align, new_x=XPos.LEFT, new_y=YPos.NEXT)
            pdf.line(x, pdf.get_y(), x + width, pdf.get_y())
