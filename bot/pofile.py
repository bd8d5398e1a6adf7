"""Reads a gettext ``.po`` catalog with the standard library only.

The bot reads its catalogs at every start. Babel's ``read_po`` would import Babel's message,
date and number modules and build a Catalog of Message objects per file: several MB that stay
resident after they are garbage. This reader keeps only what ``bot.locales`` needs: each
entry's key (msgctxt), English text (msgid, with msgid_plural), translation and fuzzy flag,
and the Plural-Forms header. It follows Babel's parser line by line (Babel still writes the
files, ``bot.locales_sync``); ``tests/bot/test_pofile.py`` checks that both read every shipped
catalog alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

Text = str | tuple[str, ...]

_ESCAPE = re.compile(r'\\([\\abfnrtv"])')
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


class PoError(ValueError):
    pass


@dataclass(frozen=True)
class Entry:
    context: str | None
    id: Text  # the English text; (singular, plural) for a plural entry
    string: Text  # the translation; one form per plural for a plural entry
    fuzzy: bool = False

    @property
    def pluralizable(self) -> bool:
        return isinstance(self.id, tuple)


@dataclass
class PoFile:
    entries: list[Entry] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def _plural_forms(self) -> dict[str, str]:
        pairs = (p.partition("=") for p in self.headers.get("plural-forms", "").split(";"))
        return {k.strip(): v.strip() for k, _, v in pairs if k.strip()}

    @property
    def num_plurals(self) -> int:
        return int(self._plural_forms().get("nplurals", 2))

    @property
    def plural_expr(self) -> str:
        return self._plural_forms().get("plural", "(n != 1)")


def _unescape(quoted: str) -> str:
    if not (len(quoted) >= 2 and quoted[0] == quoted[-1] == '"'):
        raise PoError(f"not a quoted string: {quoted!r}")
    inner = quoted[1:-1]
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m[1], m[1]), inner) if "\\" in inner else inner


class _Parser:
    def __init__(self) -> None:
        self.po = PoFile()
        self._reset()

    def _reset(self) -> None:
        self.context: list[str] | None = None
        self.ids: list[list[str]] = []
        self.strings: list[tuple[int, list[str]]] = []
        self.flags: set[str] = set()
        self.obsolete = False
        self.current: list[str] | None = None  # where a continuation line "..." goes

    def finish(self) -> None:
        if not self.ids:
            return
        if not self.strings:
            raise PoError(f"no msgstr for msgid {''.join(self.ids[0])!r}")
        msgid: Text
        string: Text
        if len(self.ids) > 1:
            msgid = tuple("".join(parts) for parts in self.ids)
            forms = [""] * self.po.num_plurals
            for index, parts in sorted(self.strings):
                if index >= len(forms):
                    raise PoError(f"more translations than nplurals for {msgid[0]!r}")
                forms[index] = "".join(parts)
            string = tuple(forms)
        else:
            msgid, string = "".join(self.ids[0]), "".join(self.strings[0][1])
        context = "".join(self.context) if self.context is not None else None
        if not self.obsolete:
            if msgid == "" and context is None:
                self._headers(str(string))
            self.po.entries.append(Entry(context, msgid, string, "fuzzy" in self.flags))
        self._reset()

    def _headers(self, text: str) -> None:
        for line in text.splitlines():
            name, colon, value = line.partition(":")
            if colon:
                self.po.headers[name.strip().lower()] = value.strip()

    def keyword(self, line: str, obsolete: bool) -> None:
        word, _, arg = line.partition(" ")
        if word in ("msgid", "msgctxt"):
            self.finish()
        self.obsolete = obsolete
        text = [_unescape(arg.strip())]
        if word in ("msgid", "msgid_plural"):
            self.ids.append(text)
        elif word == "msgctxt":
            self.context = text
        elif word == "msgstr" or (word.startswith("msgstr[") and word.endswith("]")):
            index = int(word[7:-1]) if word != "msgstr" else 0
            self.strings.append((index, text))
        else:
            raise PoError(f"unknown keyword in {line!r}")
        self.current = text

    def line(self, line: str) -> None:
        if line.startswith("#~"):
            line, obsolete = line[2:].lstrip(), True
        elif line.startswith("#"):
            self.finish()
            if line.startswith("#,"):
                self.flags.update(flag.strip() for flag in line[2:].split(","))
            return
        else:
            obsolete = False
        if not line:
            return
        if line.startswith('"'):
            if self.current is None:
                raise PoError(f"a string outside an entry: {line!r}")
            self.current.append(_unescape(line))
        else:
            self.keyword(line, obsolete)


def read_po(lines: Iterable[bytes | str]) -> PoFile:
    """The entries of a UTF-8 ``.po`` file (header first), obsolete (``#~``) ones left out."""
    parser = _Parser()
    for number, raw in enumerate(lines, 1):
        line = (raw.decode("utf-8") if isinstance(raw, bytes) else raw).strip()
        if line:
            try:
                parser.line(line)
            except PoError as error:
                raise PoError(f"line {number}: {error}") from None
    parser.finish()
    return parser.po
