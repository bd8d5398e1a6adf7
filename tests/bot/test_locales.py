"""Babel's CLDR data is loaded for a language only once a date or number is written in it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from babel import Locale, UnknownLocaleError

from bot.locales import LANGUAGES, REGION, babel_locale, shipped

# A started bot (everything ``partnerbot run`` imports, catalogs installed) writes texts in
# every language, then one Finnish date; it reports what Babel has loaded at each step.
STARTED_BOT = textwrap.dedent(
    """
    import json, sys
    from datetime import date

    import bot.telegram.app
    from bot.locales import install_catalogs
    from flows.texts import format_day, is_rtl, language_name, languages, t

    def loaded():
        data = sys.modules.get("babel.localedata")
        return {
            "babel": sorted(m for m in sys.modules if m == "babel" or m.startswith("babel.")),
            "locales": sorted(data._cache) if data else [],
        }

    install_catalogs()
    for language in languages():
        language_name(language), is_rtl(language)
        t("ui.too_long", language, length=61, limit=60)
        t("ui.answered_by", language, name="Anna", answer="3")
    started = loaded()
    format_day(date(2026, 12, 24), "fi")
    t("ui.too_long", "fi", length=12345, limit=2000)
    print(json.dumps({"started": started, "finnish": loaded()}))
    """
)


def test_a_started_bot_loads_babel_data_only_for_the_languages_it_writes_dates_in() -> None:
    out = subprocess.run(
        [sys.executable, "-c", STARTED_BOT], capture_output=True, text=True, check=True
    ).stdout
    report = json.loads(out.splitlines()[-1])
    assert report["started"] == {"babel": [], "locales": []}
    # fi_FI inherits from fi, and fi from CLDR's root: no other language's data.
    assert report["finnish"]["locales"] == ["fi", "fi_FI", "root"]
    assert "babel.messages" not in report["finnish"]["babel"]


@pytest.mark.parametrize("language", shipped())
def test_language_names_and_directions_are_cldrs(language: str) -> None:
    locale = Locale.parse(language)
    name = locale.get_display_name(language) or language
    rtl = locale.character_order == "right-to-left"
    assert LANGUAGES.get(language) == (name[:1].upper() + name[1:], rtl), (
        f"set LANGUAGES[{language!r}] in bot/locales.py to CLDR's name and direction"
    )


@pytest.mark.parametrize("language", shipped())
def test_dates_and_numbers_use_the_finnish_variant_where_cldr_has_one(language: str) -> None:
    try:
        expected = Locale.parse(f"{language}_{REGION}")
    except UnknownLocaleError:
        expected = Locale.parse(language)
    assert babel_locale(language) == expected
