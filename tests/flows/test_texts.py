"""Every text the bot can show exists in every shipped locale (see also test_catalogs.py)."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from bot.locales import load_catalogs, locales_dir
from flows.forms import FORMS
from flows.questionnaire import PARTS, QUESTIONS, RESOURCES
from flows.recommend import NOTES
from flows.tasks import FINDING, PHASES, REASONS, SESSIONS, TEMPLATES, VALUES_CHECK
from flows.texts import FSI, PDI, format_day, keys, language_name, languages, supported, t


def required_keys() -> set[str]:
    needed = set()
    for q in QUESTIONS:
        needed |= {
            f"q.{q.key}.text",
            f"q.{q.key}.short",
            f"expect.{q.kind}",
            f"expect_typed.{q.kind}",
        }
        needed |= {f"opt.{q.option_group}.{o}" for o in q.options}
    for form in FORMS:
        needed |= {f"form.{form}.{part}" for part in ("name", "about", "combine", "benefits")}
    needed |= {f"note.{n}" for n in NOTES}
    groups = (*TEMPLATES.values(), SESSIONS, FINDING, (VALUES_CHECK,))
    needed |= {f"task.{t.key}" for tasks in groups for t in tasks}
    needed |= {f"phase.{p}" for p in PHASES}
    needed |= {"party.us", "party.partner", "party.together", "party.lead_us", "party.lead_partner"}
    needed |= {f"reason.{r}" for r in REASONS}
    needed |= {f"resource.{r}" for r in RESOURCES}
    needed |= {f"part.{p}" for p in PARTS}
    needed |= {f"expect_typed.{q.kind}" for q in QUESTIONS}
    return needed


@pytest.mark.parametrize("language", languages())
def test_every_key_has_a_text(language: str) -> None:
    missing = sorted(required_keys() - keys(language))
    assert not missing, f"{language} lacks {missing}"


@pytest.mark.parametrize(
    ("language", "count", "word"),
    [
        ("en", 1, "character;"),
        ("en", 5, "characters;"),
        ("fi", 1, "merkki;"),
        ("fi", 2, "merkkiä;"),
        ("uk", 1, "символ;"),
        ("uk", 21, "символ;"),
        ("uk", 3, "символи;"),
        ("uk", 24, "символи;"),
        ("uk", 5, "символів;"),
        ("uk", 11, "символів;"),
        ("uk", 12, "символів;"),
        ("ar", 1, "حرف واحد"),
        ("ar", 2, "حرفان"),
        ("ar", 3, "أحرف"),
        ("ar", 11, "حرفًا"),
        ("ar", 100, "حرف؛"),
    ],
)
def test_plural_forms_follow_each_languages_rules(language: str, count: int, word: str) -> None:
    text = t("invalid.too_long", language, length=count, limit=60)
    assert word in text


def test_arabic_isolates_inserted_names_and_numbers_other_languages_do_not() -> None:
    arabic = t("ui.answered_by", "ar", name="Anna", answer="3")
    assert f"{FSI}Anna{PDI}" in arabic and f"{FSI}3{PDI}" in arabic
    progress = t("ui.progress", "ar", n=2, total=4, part="الخطة", number=7)
    assert progress == f"الجزء {FSI}2{PDI} من {FSI}4{PDI} – {FSI}الخطة{PDI} (السؤال {FSI}7{PDI})"
    for language in ("en", "fi", "uk"):
        text = t("ui.answered_by", language, name="Anna", answer="3")
        assert FSI not in text and PDI not in text and "Anna" in text


def test_dates_are_written_the_local_way() -> None:
    day = date(2026, 12, 24)
    assert format_day(day, "fi") == "24.12.2026"
    assert format_day(day, "en") == "24 Dec 2026"
    assert format_day(day, "uk").startswith("24 груд. 2026")
    assert "24" in format_day(day, "ar") and "2026" in format_day(day, "ar")


def test_a_stale_or_fuzzy_translation_falls_back_to_the_current_english(tmp_path: Path) -> None:
    """A translation made from an older English text is not shown: the English one is."""
    shutil.copytree(Path(str(locales_dir())), tmp_path, dirs_exist_ok=True)
    finnish_po = tmp_path / "fi" / "LC_MESSAGES" / "messages.po"
    text = finnish_po.read_text("utf-8")
    text = text.replace('\nmsgctxt "ui.skip"\n', '\n#, fuzzy\nmsgctxt "ui.skip"\n', 1)
    text, stale = re.subn(
        r'(msgctxt "ui\.cancelled"\n)msgid (?:".*"\n)+', r'\1msgid "An older English text"\n', text
    )
    assert stale == 1 and "#, fuzzy" in text
    finnish_po.write_text(text, "utf-8")
    catalog = load_catalogs(tmp_path)["fi"]
    assert "ui.skip" not in catalog.texts and "ui.cancelled" not in catalog.texts
    assert catalog.texts["ui.back"] == t("ui.back", "fi") != t("ui.back", "en")
    assert t("ui.skip", "fi") != t("ui.skip", "en")  # the shipped catalog is unchanged


def test_languages_are_named_in_their_own_language() -> None:
    names = {language: language_name(language) for language in languages()}
    assert names == {"en": "English", "fi": "Suomi", "uk": "Українська", "ar": "العربية"}
    assert supported("fi-FI") == "fi" and supported("uk") == "uk" and supported("ar-EG") == "ar"
    assert supported("sv") is None and supported(None) is None and supported("") is None


def test_large_numbers_are_grouped_the_local_way() -> None:
    assert "12\xa0345 merkkiä" in t("ui.too_long", "fi", length=12345, limit=2000)
    assert "12\xa0345 символів" in t("ui.too_long", "uk", length=12345, limit=2000)
    assert f"{FSI}12,345{PDI}" in t("ui.too_long", "ar", length=12345, limit=2000)
    assert "at most 2000." in t("ui.too_long", "en", length=12345, limit=2000)
    assert "61 characters" in t("invalid.too_long", "en", length=61, limit=60)


def test_texts_dates_and_numbers_read_no_file_once_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    """flows does no I/O per update: the catalogs are loaded at start, and Babel's data for a
    language when its first date or large number is written (see tests/bot/test_locales.py)."""
    import builtins

    import babel.localedata

    def no_io(*args: object, **kwargs: object) -> None:
        raise AssertionError("a file was read while formatting")

    for language in languages():  # the first date in each language loads its data
        assert format_day(date(2026, 12, 24), language)
    monkeypatch.setattr(babel.localedata, "load", no_io)
    monkeypatch.setattr(builtins, "open", no_io)
    for language in languages():
        assert format_day(date(2026, 12, 24), language)
        assert t("ui.too_long", language, length=12345, limit=2000)
        assert t("ui.answered_by", language, name="Anna", answer="3")
