"""bot.pofile reads a catalog exactly as Babel's read_po does (Babel writes them)."""

from __future__ import annotations

import io

import pytest
from babel.messages.pofile import read_po as babel_read_po

from bot.locales_sync import ROOT, TEMPLATE, languages, po_path
from bot.pofile import PoError, PoFile, read_po


def _ours(data: bytes) -> tuple[list[tuple[object, ...]], int, str]:
    po = read_po(io.BytesIO(data))
    found = [(e.context, e.id, e.string, e.fuzzy) for e in po if e.id]
    return found, po.num_plurals, po.plural_expr


def _babels(data: bytes, language: str | None) -> tuple[list[tuple[object, ...]], int, str]:
    po = babel_read_po(io.BytesIO(data), locale=language)
    found = [
        (
            m.context,
            tuple(m.id) if m.pluralizable else m.id,
            tuple(m.string) if m.pluralizable else m.string,
            m.fuzzy,
        )
        for m in po
        if m.id
    ]
    return found, po.num_plurals, po.plural_expr


@pytest.mark.parametrize("language", [None, *languages(ROOT)])
def test_every_shipped_catalog_reads_as_babel_reads_it(language: str | None) -> None:
    path = ROOT / TEMPLATE if language is None else po_path(ROOT, language)
    data = path.read_bytes()
    ours = _ours(data)
    assert len(ours[0]) > 300
    assert ours == _babels(data, language)


EDGES = r"""# A translator's comment.
msgid ""
msgstr ""
"Language: uk\n"
"Plural-Forms: nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && "
"n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);\n"
"Content-Type: text/plain; charset=utf-8\n"

#. A button: at most 24 characters.
#, fuzzy, python-brace-format
# | msgid "Older"
msgctxt "a.fuzzy"
msgid "Skip"
msgstr "Пропустити"

msgctxt "a.multi"
msgid ""
"First line\n"
"He said \"hi\"\t{name} \\ end"
msgstr ""
"Перший\n"
"рядок"

msgctxt "a.plural"
msgid "{n} day"
msgid_plural "{n} days"
msgstr[0] "{n} день"
msgstr[2] "{n} днів"

msgctxt "a.empty"
msgid "Empty"
msgstr ""

msgid "No context"
msgstr "Без контексту"

#~ msgctxt "a.gone"
#~ msgid "Gone"
#~ msgstr "Зникло"

#, python-brace-format
msgctxt "a.after_obsolete"
msgid "Last"
msgstr "Останній"
"""


def test_edge_cases_read_as_babel_reads_them() -> None:
    data = EDGES.encode()
    ours = _ours(data)
    assert ours == _babels(data, "uk")
    entries = {context: (msgid, string, fuzzy) for context, msgid, string, fuzzy in ours[0]}
    assert entries["a.fuzzy"][2] and not entries["a.after_obsolete"][2]
    assert entries["a.multi"][0] == 'First line\nHe said "hi"\t{name} \\ end'
    assert entries["a.plural"][1] == ("{n} день", "", "{n} днів")
    assert "a.gone" not in entries and ours[1] == 3


def test_a_broken_line_is_reported_with_its_number() -> None:
    with pytest.raises(PoError, match="line 3"):
        read_po(io.BytesIO(b'msgid ""\nmsgstr ""\nmsgstr_typo "x"\n'))
    assert isinstance(read_po([]), PoFile)
