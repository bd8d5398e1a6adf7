"""The gettext catalogs: complete, current and consistent in every shipped language.

A failure lists exactly what a translator still has to do: the entries that are missing, empty,
fuzzy (the English text changed since they were translated), or left in English.
"""

from __future__ import annotations

import io

import pytest
from babel.messages.catalog import Catalog as PoCatalog
from babel.messages.catalog import Message
from babel.messages.pofile import read_po

from bot.locales_sync import (
    BUTTON_NOTE,
    ROOT,
    TEMPLATE,
    english_texts,
    has_words,
    languages,
    po_path,
    synced,
)
from flows.texts import DEFAULT_LANGUAGE, Text, placeholders

TRANSLATED = [lang for lang in languages(ROOT) if lang != DEFAULT_LANGUAGE]


def _read(path: str | object, language: str | None = None) -> PoCatalog:
    with open(path, "rb") as fh:  # type: ignore[call-overload]
        return read_po(fh, locale=language)


def _by_key(po: PoCatalog) -> dict[str, Message]:
    return {m.context: m for m in po if m.id and m.context}


def _forms(text: Text) -> tuple[str, ...]:
    return tuple(text) if isinstance(text, tuple | list) else (text,)


def test_the_four_languages_are_shipped() -> None:
    assert set(languages(ROOT)) >= {"en", "fi", "uk", "ar"}


def test_template_and_catalogs_are_up_to_date_with_the_english_texts() -> None:
    """The .pot and every .po are what ``python -m bot.locales_sync`` would write now."""
    stale = [
        str(path.relative_to(ROOT))
        for path, data in synced(ROOT).items()
        if not path.is_file() or path.read_bytes() != data
    ]
    assert not stale, f"run python -m bot.locales_sync: out of date {stale}"


def test_template_holds_every_english_text_once_by_key() -> None:
    template = _by_key(_read(ROOT / TEMPLATE))
    source = dict(english_texts(ROOT))
    assert list(template) == list(source)
    for key, text in source.items():
        assert _forms(template[key].id) == _forms(text), key


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_entry_is_translated_from_the_current_english_text(language: str) -> None:
    template = _by_key(_read(ROOT / TEMPLATE))
    po = _read(po_path(ROOT, language), language)
    mine = _by_key(po)
    missing = sorted(set(template) - set(mine))
    stale = sorted(k for k, m in mine.items() if k in template and m.id != template[k].id)
    fuzzy = sorted(k for k, m in mine.items() if m.fuzzy)
    empty = sorted(k for k, m in mine.items() if not all(_forms(m.string)))
    assert not (missing or stale or fuzzy or empty), (
        f"{language}: missing {missing}; English changed {stale}; fuzzy {fuzzy}; empty {empty}"
    )


@pytest.mark.parametrize("language", TRANSLATED)
def test_placeholders_and_plural_forms_match_english(language: str) -> None:
    template = _by_key(_read(ROOT / TEMPLATE))
    po = _read(po_path(ROOT, language), language)
    problems = []
    for key, m in _by_key(po).items():
        if not all(_forms(m.string)):
            continue  # untranslated: reported by the test above
        english = _forms(template[key].id)
        wanted = set(placeholders(english[-1]))
        forms = _forms(m.string)
        if m.pluralizable:
            if len(forms) != po.num_plurals:
                problems.append(f"{key}: {len(forms)} plural forms, {po.num_plurals} needed")
            # A form for exactly one (or two) may say the number in words; the general form
            # must carry every placeholder, and no form may invent one.
            if forms and set(placeholders(forms[-1])) != wanted:
                problems.append(f"{key}: placeholders {placeholders(forms[-1])} != {wanted}")
            problems += [
                f"{key}: unknown placeholder in {f!r}"
                for f in forms
                if not set(placeholders(f)) <= wanted
            ]
        elif set(placeholders(forms[0])) != wanted:
            problems.append(f"{key}: placeholders {placeholders(forms[0])} != {sorted(wanted)}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_entry_is_left_in_english(language: str) -> None:
    """Only texts without words (numbers, arrows, placeholders) may stay as in English."""
    po = _read(po_path(ROOT, language), language)
    same = sorted(
        m.context
        for m in po
        if m.id and m.string and _forms(m.string) == _forms(m.id) and has_words(m.id)
    )
    assert not same, f"{language}: still English {same}"


def test_plural_rules_come_from_cldr() -> None:
    counts = {lang: _read(po_path(ROOT, lang), lang).num_plurals for lang in languages(ROOT)}
    assert (counts["en"], counts["fi"], counts["uk"], counts["ar"]) == (2, 2, 3, 6)


def test_catalog_files_parse_as_utf8_gettext() -> None:
    for language in languages(ROOT):
        data = po_path(ROOT, language).read_bytes()
        po = read_po(io.BytesIO(data), locale=language)
        assert po.locale is not None and str(po.locale) == language
        assert b"charset=utf-8" in data


# The phone rule: a button label of at most 24 characters is never cut off.
MAX_BUTTON = 24
PHONE_CHECKED = languages(ROOT)  # English too


@pytest.mark.parametrize("language", PHONE_CHECKED)
def test_button_labels_fit_a_phone(language: str) -> None:
    template = _by_key(_read(ROOT / TEMPLATE))
    po = _by_key(_read(po_path(ROOT, language), language))
    buttons = [k for k, m in template.items() if BUTTON_NOTE in m.auto_comments]
    assert len(buttons) > 50
    long = {k: po[k].string for k in buttons if len(po[k].string) > MAX_BUTTON}
    assert not long, f"{language}: longer than {MAX_BUTTON}: {long}"


@pytest.mark.parametrize("language", languages(ROOT))
def test_multi_select_labels_have_no_separator_in_them(language: str) -> None:
    """A member types several options separated by commas: a label may not hold one."""
    from flows.questionnaire import MULTI, QUESTIONS

    po = _by_key(_read(po_path(ROOT, language), language))
    for question in QUESTIONS:
        if question.kind == MULTI:
            for option in question.options:
                label = po[f"opt.{question.option_group}.{option}"].string
                assert not set(label) & set(",;\u060c\u061b"), label
                # A ticked option shows "✓ " before its label: two characters fewer.
                assert len(label) <= MAX_BUTTON - 2, label


@pytest.mark.parametrize("language", languages(ROOT))
def test_command_descriptions_fit_telegrams_menu(language: str) -> None:
    po = _by_key(_read(po_path(ROOT, language), language))
    for key, m in po.items():
        if key.startswith("ui.cmd_"):
            assert 3 <= len(m.string) <= 256, key
