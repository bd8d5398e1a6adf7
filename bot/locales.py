"""Reads the gettext catalogs once at start and hands them to ``flows.texts``.

The catalogs are ordinary ``.po`` files (``flows/locales/<lang>/LC_MESSAGES/messages.po``), so a
volunteer translator can edit them in Poedit or Weblate. They are parsed with Babel when the
process starts (no compile step, no stale ``.mo``). An entry that is empty, fuzzy, or was
translated from an older English text is left out, so the member reads the current English
text instead of a wrong one.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable, Iterator
from importlib import resources
from importlib.resources.abc import Traversable

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog as PoCatalog
from babel.messages.pofile import read_po

from flows.texts import DEFAULT_LANGUAGE, Catalog, Text, install, installed, placeholders

DOMAIN = "messages"
# Date and number formats as used in Finland, where CLDR has them (fi_FI, en_FI, sv_FI).
REGION = "FI"


def locales_dir() -> Traversable:
    return resources.files("flows").joinpath("locales")


def po_file(root: Traversable, language: str) -> Traversable:
    return root.joinpath(language, "LC_MESSAGES", f"{DOMAIN}.po")


def shipped(root: Traversable | None = None) -> list[str]:
    """The languages with a catalog, English first."""
    root = root or locales_dir()
    found = sorted(d.name for d in root.iterdir() if d.is_dir() and po_file(root, d.name).is_file())
    return sorted(found, key=lambda lang: lang != DEFAULT_LANGUAGE)


def read(root: Traversable, language: str) -> PoCatalog:
    with po_file(root, language).open("rb") as fh:
        return read_po(fh, locale=language, domain=DOMAIN)


def entries(po: PoCatalog) -> Iterator[tuple[str, Text, Text]]:
    """(key, English text, translation) of every keyed entry; plurals as tuples."""
    for message in po:
        if message.id and message.context:
            english = tuple(message.id) if message.pluralizable else message.id
            string = tuple(message.string) if message.pluralizable else message.string
            yield message.context, english, string


def complete(text: Text) -> bool:
    return all(text) if isinstance(text, tuple) else bool(text)


def babel_locale(language: str) -> Locale:
    try:
        locale = Locale.parse(f"{language}_{REGION}")
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse(language)
    # Load the locale data now, so that formatting a date later reads no file.
    locale.date_formats  # noqa: B018
    return locale


def build(language: str, po: PoCatalog, english: dict[str, Text]) -> Catalog:
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
    locale = babel_locale(language)
    name = Locale.parse(language).get_display_name(language) or language
    plural: Callable[[int], int] = gettext.c2py(po.plural_expr)
    return Catalog(
        language=language,
        name=name[:1].upper() + name[1:],
        texts=texts,
        plural=plural,
        locale=locale,
        rtl=locale.character_order == "right-to-left",
        count_param=count_param,
    )


def load_catalogs(root: Traversable | None = None) -> dict[str, Catalog]:
    root = root or locales_dir()
    catalogs: dict[str, PoCatalog] = {lang: read(root, lang) for lang in shipped(root)}
    english = {key: source for key, source, _ in entries(catalogs[DEFAULT_LANGUAGE])}
    return {lang: build(lang, po, english) for lang, po in catalogs.items()}


def install_catalogs() -> None:
    """Load the shipped catalogs into ``flows.texts`` (once per process)."""
    if not installed():
        install(load_catalogs())
