"""Reads the gettext catalogs once at start and hands them to ``flows.texts``.

The catalogs are ordinary ``.po`` files (``flows/locales/<lang>/LC_MESSAGES/messages.po``), so a
volunteer translator can edit them in Poedit or Weblate. They are parsed when the process
starts (no compile step, no stale ``.mo``), by ``bot.pofile``. An entry that is empty, fuzzy,
or was translated from an older English text is left out, so the member reads the current
English text instead of a wrong one.

Babel is not imported at start: its CLDR data for a language (about 1-2 MB resident each, and
5 MB more for ``Locale.parse``'s global data) is loaded when a date or large number is first
written in that language. Each language's own name and writing direction, which the bot needs
from the start, are kept in ``LANGUAGES``; a test checks them against CLDR.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable, Iterator
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING

from bot.pofile import PoFile, read_po
from flows.texts import DEFAULT_LANGUAGE, Catalog, Text, install, installed, placeholders

if TYPE_CHECKING:
    from babel import Locale

DOMAIN = "messages"
# Date and number formats as used in Finland, where CLDR has them (fi_FI, en_FI, sv_FI).
REGION = "FI"
# Each shipped language's name in itself (CLDR's, capitalised, for the language menu) and
# whether it is written right to left (CLDR's character order). A language missing here is
# still shown: its name and direction are then read from Babel at start.
LANGUAGES: dict[str, tuple[str, bool]] = {
    "en": ("English", False),
    "fi": ("Suomi", False),
    "uk": ("Українська", False),
    "ar": ("العربية", True),
}


def locales_dir() -> Traversable:
    return resources.files("flows").joinpath("locales")


def po_file(root: Traversable, language: str) -> Traversable:
    return root.joinpath(language, "LC_MESSAGES", f"{DOMAIN}.po")


def shipped(root: Traversable | None = None) -> list[str]:
    """The languages with a catalog, English first."""
    root = root or locales_dir()
    found = sorted(d.name for d in root.iterdir() if d.is_dir() and po_file(root, d.name).is_file())
    return sorted(found, key=lambda lang: lang != DEFAULT_LANGUAGE)


def read(root: Traversable, language: str) -> PoFile:
    with po_file(root, language).open("rb") as fh:
        return read_po(fh)


def entries(po: PoFile) -> Iterator[tuple[str, Text, Text]]:
    """(key, English text, translation) of every keyed entry; plurals as tuples."""
    for message in po:
        if message.id and message.context:
            english = tuple(message.id) if message.pluralizable else message.id
            string = tuple(message.string) if message.pluralizable else message.string
            yield message.context, english, string


def complete(text: Text) -> bool:
    return all(text) if isinstance(text, tuple) else bool(text)


@cache
def babel_locale(language: str) -> Locale:
    """Babel's locale for dates and numbers in ``language``, its data loaded (once)."""
    from babel import Locale, UnknownLocaleError

    # The constructor, not Locale.parse: parse loads CLDR's global data (5 MB) to resolve
    # aliases, which codes like "fi_FI" and "ar" do not need.
    try:
        locale = Locale(language, REGION)
    except UnknownLocaleError:
        try:
            locale = Locale(language)
        except UnknownLocaleError:
            locale = Locale.parse(language)
    locale.date_formats  # noqa: B018  (loads the data now: later formatting reads no file)
    return locale


def described(language: str) -> tuple[str, bool]:
    """``language``'s own name (capitalised) and whether it is written right to left."""
    if language in LANGUAGES:
        return LANGUAGES[language]
    from babel import Locale

    locale = Locale.parse(language)
    name = locale.get_display_name(language) or language
    return name[:1].upper() + name[1:], locale.character_order == "right-to-left"


def build(language: str, po: PoFile, english: dict[str, Text]) -> Catalog:
    fuzzy = {m.context for m in po if m.fuzzy and m.context}
    texts: dict[str, Text] = {}
    for key, source, string in entries(po):
        if language == DEFAULT_LANGUAGE:
            texts[key] = string if complete(string) else source
        elif key not in fuzzy and source == english.get(key) and complete(string):
            texts[key] = string
    count_param = {
        key: placeholders(text[-1])[0]
        for key, text in english.items()
        if isinstance(text, tuple) and placeholders(text[-1])
    }
    name, rtl = described(language)
    plural: Callable[[int], int] = gettext.c2py(po.plural_expr)
    return Catalog(
        language=language,
        name=name,
        texts=texts,
        plural=plural,
        locale=lambda: babel_locale(language),
        rtl=rtl,
        count_param=count_param,
    )


def load_catalogs(root: Traversable | None = None) -> dict[str, Catalog]:
    root = root or locales_dir()
    catalogs: dict[str, PoFile] = {lang: read(root, lang) for lang in shipped(root)}
    english = {key: source for key, source, _ in entries(catalogs[DEFAULT_LANGUAGE])}
    return {lang: build(lang, po, english) for lang, po in catalogs.items()}


def install_catalogs() -> None:
    """Load the shipped catalogs into ``flows.texts`` (once per process)."""
    if not installed():
        install(load_catalogs())
