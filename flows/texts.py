"""Texts per language, from gettext catalogs (``flows/locales/<lang>/LC_MESSAGES/messages.po``).

Each catalog entry is addressed by a stable key (its ``msgctxt``: "ui.skip", "q.aims.text",
"opt.resource.money"); its ``msgid`` is the English text. The composition root (``bot.locales``)
reads the catalogs once at start and hands them here with ``install``; after that every lookup
is a dict access, so ``flows`` does no I/O at import or per update, except once per language:
Babel's CLDR data for dates and numbers is read when the first one is written in it.

A text with plural forms is chosen by the value of its first placeholder in the English text
("That is {length} characters" is counted by ``length``), with the language's CLDR rule.
In a right-to-left language every inserted value (a name, an organisation, a number) is wrapped
in Unicode isolates (FSI…PDI), so a Latin name at the start cannot flip the line.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from babel import Locale

DEFAULT_LANGUAGE = "en"

# First strong isolate … pop directional isolate (Unicode bidi isolates).
FSI = "\u2068"
PDI = "\u2069"

Text = str | tuple[str, ...]  # one text, or its plural forms in the language's order


@dataclass(frozen=True)
class Catalog:
    """One language's texts, ready for lookup (built by ``bot.locales`` from a .po file)."""

    language: str
    name: str  # the language's own name ("suomi"), for the language menu
    texts: Mapping[str, Text]
    plural: Callable[[int], int]  # count -> index into a plural entry (gettext's Plural-Forms)
    # Babel's locale for dates and numbers: called when one is first written in the language,
    # so that a process loads CLDR data only for the languages its members use.
    locale: Callable[[], Locale]
    rtl: bool = False
    count_param: Mapping[str, str] = field(default_factory=dict)  # plural key -> placeholder


_catalogs: dict[str, Catalog] = {}


class CatalogsNotLoaded(RuntimeError):
    pass


def install(catalogs: Mapping[str, Catalog]) -> None:
    """Make ``catalogs`` the texts of the process (called once by the composition root)."""
    if DEFAULT_LANGUAGE not in catalogs:
        raise ValueError("the English catalog is required: it is every other one's fallback")
    _catalogs.clear()
    _catalogs.update(catalogs)
    for forget in _on_install:
        forget()


# Caches of texts made from the catalogs (each a callable that empties it): emptied whenever
# other catalogs are installed.
_on_install: list[Callable[[], None]] = []


class _Cached(Protocol):
    def cache_clear(self) -> None: ...


CachedT = TypeVar("CachedT", bound=_Cached)


def cached_per_install(function: CachedT) -> CachedT:
    """``function`` (an ``lru_cache``d one), whose cache is emptied whenever other catalogs
    are installed."""
    _on_install.append(function.cache_clear)
    return function


def installed() -> bool:
    return bool(_catalogs)


def _catalog(language: str) -> Catalog:
    found = _catalogs.get(language) or _catalogs.get(DEFAULT_LANGUAGE)
    if found is None:
        raise CatalogsNotLoaded("texts are not loaded: call bot.locales.install_catalogs() first")
    return found


def languages() -> tuple[str, ...]:
    """The shipped languages, English first."""
    if not _catalogs:
        _catalog(DEFAULT_LANGUAGE)  # raises the clear error
    return (DEFAULT_LANGUAGE, *sorted(lang for lang in _catalogs if lang != DEFAULT_LANGUAGE))


def language_name(language: str) -> str:
    return _catalog(language).name


def is_rtl(language: str) -> bool:
    return _catalog(language).rtl


def supported(code: str | None) -> str | None:
    """The shipped language for a code such as Telegram's ``language_code`` ("fi", "en-GB",
    "uk", "ar-EG"), or None when we don't have it."""
    if not code:
        return None
    base = code.replace("_", "-").split("-", 1)[0].lower()
    return base if base in _catalogs else None


def has(key: str, language: str = DEFAULT_LANGUAGE) -> bool:
    return key in _catalog(language).texts


def keys(language: str = DEFAULT_LANGUAGE) -> frozenset[str]:
    return frozenset(_catalog(language).texts)


def isolate(value: object, language: str) -> str:
    """``value`` as text, wrapped in bidi isolates when ``language`` is right-to-left."""
    text = str(value)
    return f"{FSI}{text}{PDI}" if text and _catalog(language).rtl else text


def placeholders(text: str) -> list[str]:
    """The ``{name}`` fields of a text, in order."""
    return [f for _, f, _, _ in string.Formatter().parse(text) if f]


def t(key: str, language: str = DEFAULT_LANGUAGE, /, **params: Any) -> str:
    """The text for ``key`` in ``language`` (falling back to English), formatted with params."""
    catalog = _catalog(language)
    text = catalog.texts.get(key)
    if text is None:  # not translated yet (or stale): the English text
        catalog = _catalog(DEFAULT_LANGUAGE)
        text = catalog.texts[key]  # a missing key is a bug: tests check every key
    if isinstance(text, tuple):
        count = params.get(catalog.count_param.get(key, ""), 0)
        index = catalog.plural(abs(int(count))) if isinstance(count, int) else len(text) - 1
        text = text[min(index, len(text) - 1)]
    if not params:
        return text
    # Numbers as the language writes them (12 345 in Finnish, 12,345 in Arabic).
    params = {
        name: _number(value, catalog) if type(value) is int else value
        for name, value in params.items()
    }
    if catalog.rtl:
        params = {name: isolate(value, language) for name, value in params.items()}
    return text.format(**params)


def _number(value: int, catalog: Catalog) -> str:
    # Four digits stay together (2000), as style guides allow and as members type them.
    if abs(value) < 10_000:
        return str(value)
    from babel.numbers import format_decimal  # imported on first use: Babel is not small

    return format_decimal(value, locale=catalog.locale())


def join(items: Iterable[str], language: str = DEFAULT_LANGUAGE) -> str:
    """Items as a list in running text ("a, b" in English, "a، b" in Arabic)."""
    return t("ui.list_separator", language).join(items)


def format_day(day: date, language: str = DEFAULT_LANGUAGE) -> str:
    """A date as people write it in ``language`` (24.12.2026 in Finnish)."""
    from babel.dates import format_date  # imported on first use: Babel is not small

    return format_date(day, "medium", locale=_catalog(language).locale())
