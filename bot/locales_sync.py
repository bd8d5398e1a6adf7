"""Keeps the gettext catalogs in step with the English texts: ``python -m bot.locales_sync``.

The English texts are written in ``flows/locales/en.toml`` (keys are dotted paths; a table with
``one``/``other`` is a text with plural forms). This tool

1. writes the template ``flows/locales/messages.pot``: one entry per key, ``msgctxt`` = the key,
   ``msgid`` = the English text;
2. writes ``en/LC_MESSAGES/messages.po`` from it (English is its own translation);
3. merges the template into every other ``<lang>/LC_MESSAGES/messages.po`` by key: a new key
   comes in untranslated, a key whose English text changed keeps its old translation marked
   fuzzy (with the old English as ``#| msgid``), a removed key goes away.

Untranslated and fuzzy entries are what ``tests/flows/test_catalogs.py`` lists as to do; until
they are done, members see the English text there.

    python -m bot.locales_sync            # update the files
    python -m bot.locales_sync --check    # exit 1 if a file is out of date (CI)
    python -m bot.locales_sync --add sv   # start a new language
    python -m bot.locales_sync --fill fi texts.toml   # take translations from a key = text file
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import tomllib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog as PoCatalog
from babel.messages.catalog import Message
from babel.messages.pofile import read_po, write_po

from bot.locales import DOMAIN
from flows.texts import DEFAULT_LANGUAGE, Text

ROOT = Path(__file__).resolve().parent.parent / "flows" / "locales"
SOURCE = "en.toml"
TEMPLATE = f"{DOMAIN}.pot"
PROJECT = "Partnerbot"
LETTER = re.compile(r"[^\W\d_]")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
PLURAL_CATEGORIES = frozenset({"zero", "one", "two", "few", "many", "other"})
# Button labels (these and every opt.*): a phone cuts a button off past about 24 characters.
BUTTON_KEYS = frozenset(
    {
        *("ui.skip", "ui.back", "ui.done", "ui.finish", "ui.change_answer", "ui.back_to_review"),
        *("ui.forget_yes", "ui.forget_no", "ui.restart_yes", "ui.restart_no"),
        *("ui.use_value", "ui.vote_again", "ui.why", "ui.checklist", "ui.tasks", "ui.agreement"),
    }
)
# A task's button on the board carries its number and a tick ("12. ☑ "): shorter still.
SHORT_NOTE = "A button after its number: at most 16 characters."
BUTTON_NOTE = "A button: at most 24 characters."
HEADER = """\
# Partnerbot's texts. Translate the msgstr; keep every {placeholder} as it is.
# The msgctxt is the text's stable key: never change it.
# This file is distributed under the same license as the Partnerbot project.
#"""


def english_texts(root: Path = ROOT) -> Iterator[tuple[str, Text]]:
    """(key, English text) in the order of en.toml; plural forms as (one, other)."""

    def walk(prefix: str, node: dict[str, Any]) -> Iterator[tuple[str, Text]]:
        for name, value in node.items():
            key = f"{prefix}.{name}" if prefix else name
            if isinstance(value, dict) and set(value) <= PLURAL_CATEGORIES and "other" in value:
                yield key, (str(value.get("one", value["other"])), str(value["other"]))
            elif isinstance(value, dict):
                yield from walk(key, value)
            else:
                yield key, str(value)

    yield from walk("", tomllib.loads((root / SOURCE).read_text("utf-8")))


def has_words(text: Any) -> bool:
    """Whether a text has words to translate (placeholders like {name} do not count)."""
    return any(LETTER.search(PLACEHOLDER.sub("", form)) for form in _forms(text))


def _forms(text: Any) -> tuple[str, ...]:
    return tuple(text) if isinstance(text, tuple | list) else (text,)


def _flags(text: Text) -> list[str]:
    return ["python-brace-format"] if "{" in "".join(text) else []


def _notes(key: str) -> list[str]:
    if key.startswith("task_short."):
        return [SHORT_NOTE]
    # A question's short name labels it in the review's "change an answer" picker.
    picker = key.startswith("q.") and key.endswith(".short")
    return [BUTTON_NOTE] if key.startswith("opt.") or key in BUTTON_KEYS or picker else []


def _old(path: Path) -> PoCatalog | None:
    if not path.is_file():
        return None
    with path.open("rb") as fh:
        return read_po(fh, domain=DOMAIN)


def _catalog(language: str | None, old: PoCatalog | None) -> PoCatalog:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return PoCatalog(
        locale=language,
        domain=DOMAIN,
        header_comment=HEADER,
        project=PROJECT,
        version="1",
        creation_date=old.creation_date if old else now,
        revision_date=old.revision_date if old and language else now,
        last_translator=old.last_translator if old else "",
        language_team=old.language_team if old else "",
        fuzzy=False,
    )


def template(texts: Iterable[tuple[str, Text]], old: PoCatalog | None) -> PoCatalog:
    pot = _catalog(None, old)
    for key, text in texts:
        pot.add(text, context=key, flags=_flags(text), auto_comments=_notes(key))
    return pot


def english(pot: PoCatalog, old: PoCatalog | None) -> PoCatalog:
    po = _catalog(DEFAULT_LANGUAGE, old)
    for m in pot:
        if m.id:
            po.add(m.id, m.id, context=m.context, flags=m.flags, auto_comments=m.auto_comments)
    return po


def merge(pot: PoCatalog, old: PoCatalog, language: str) -> PoCatalog:
    """The template with ``old``'s translations, matched by key (msgctxt)."""
    po = _catalog(language, old)
    before = {m.context: m for m in old if m.id and m.context}
    for m in pot:
        if not m.id:
            continue
        was: Message | None = before.get(m.context)
        flags = set(m.flags)
        previous: Any = ()
        empty: Any = ("",) * po.num_plurals if m.pluralizable else ""
        string: Any = empty
        comments: list[str] = []
        if not has_words(m.id) and (was is None or not _done(was.string)):
            string = m.id  # only numbers, symbols, placeholders ("2", "◀", "{name}: {label}")
        elif was is not None:
            comments = list(was.user_comments)
            string = was.string
            if was.pluralizable != m.pluralizable:
                string = empty
            elif was.id != m.id:  # the English text changed: check the translation
                flags.add("fuzzy")
                previous = was.id
            elif was.fuzzy:
                flags.add("fuzzy")
                previous = was.previous_id
        po.add(
            m.id,
            string,
            context=m.context,
            flags=sorted(flags),
            auto_comments=m.auto_comments,
            user_comments=comments,
            previous_id=previous,
        )
    return po


def fill(po: PoCatalog, path: Path) -> int:
    """Take translations from a ``key = "text"`` TOML file (plural forms as a list)."""
    given = dict(english_texts_from(path))
    done = 0
    for m in po:
        if m.context in given:
            value = given[m.context]
            m.string = tuple(value) if m.pluralizable else value
            m.flags.discard("fuzzy")
            m.previous_id = []
            done += 1
    return done


def english_texts_from(path: Path) -> Iterator[tuple[str, Any]]:
    def walk(prefix: str, node: dict[str, Any]) -> Iterator[tuple[str, Any]]:
        for name, value in node.items():
            key = f"{prefix}.{name}" if prefix else name
            if isinstance(value, dict):
                yield from walk(key, value)
            else:
                yield key, value

    yield from walk("", tomllib.loads(path.read_text("utf-8")))


def render(po: PoCatalog) -> bytes:
    out = io.BytesIO()
    write_po(out, po, width=0, include_previous=True, omit_header=False)
    return out.getvalue()


def po_path(root: Path, language: str) -> Path:
    return root / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def languages(root: Path) -> list[str]:
    return sorted(d.name for d in root.iterdir() if po_path(root, d.name).is_file())


def synced(root: Path = ROOT, add: Iterable[str] = ()) -> dict[Path, bytes]:
    """Every catalog file as it should be, by path."""
    pot = template(english_texts(root), _old(root / TEMPLATE))
    files = {root / TEMPLATE: render(pot)}
    path = po_path(root, DEFAULT_LANGUAGE)
    files[path] = render(english(pot, _old(path)))
    for language in sorted({*languages(root), *add} - {DEFAULT_LANGUAGE}):
        path = po_path(root, language)
        old = _old(path) or PoCatalog(locale=language, domain=DOMAIN)
        files[path] = render(merge(pot, old, language))
    return files


def status(data: bytes, language: str) -> str:
    po = read_po(io.BytesIO(data), locale=language, domain=DOMAIN)
    entries = [m for m in po if m.id]
    fuzzy = sum(1 for m in entries if m.fuzzy)
    empty = sum(1 for m in entries if not m.fuzzy and not _complete(m))
    done = len(entries) - fuzzy - empty
    return f"{language}: {done} translated, {fuzzy} fuzzy, {empty} untranslated"


def _complete(m: Message) -> bool:
    return _done(m.string)


def _done(string: Any) -> bool:
    return all(_forms(string)) and bool(string)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.locales_sync", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--check", action="store_true", help="only report out-of-date files")
    parser.add_argument(
        "--add", metavar="LANG", action="append", default=[], help="start a language"
    )
    parser.add_argument("--fill", nargs=2, metavar=("LANG", "TOML"), help="import translations")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    files = synced(args.root, args.add)
    if args.fill:
        language, source = args.fill
        path = po_path(args.root, language)
        po = read_po(io.BytesIO(files[path]), locale=language, domain=DOMAIN)
        print(f"{language}: {fill(po, Path(source))} texts taken from {source}")
        files[path] = render(po)
    stale = [
        path for path, data in files.items() if not path.is_file() or path.read_bytes() != data
    ]
    if args.check:
        for path in stale:
            print(f"out of date: {path.relative_to(args.root)} (run python -m bot.locales_sync)")
        return 1 if stale else 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[path])
    for path, data in files.items():
        if path.suffix == ".po":
            print(status(data, path.parent.parent.name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
