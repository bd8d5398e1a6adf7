"""A whole plan in each language through the service, on the real store.

The member's language (Telegram's language_code, carried by MemberRef) picks the language of a
new plan; the plan keeps it, its exports use it, and /language changes it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from flows import events as ev
from flows import reply as kinds
from flows.agreement_text import markdown
from flows.model import ChatRef, MemberRef
from flows.service import PlanningService
from flows.texts import FSI, PDI, format_day, t
from storage.store import SqlStore
from tests.flows.languages import LANGUAGES, PARTNER, mostly_in_script, play, typed_answer

# The plan is a one-day event: its first review falls a week later, on 24 December 2026.
TODAY = date(2026, 12, 17)
REVIEW = date(2026, 12, 24)


def chat_for(language: str) -> ChatRef:
    return ChatRef("telegram", f"900{LANGUAGES.index(language)}", "private", "Vihreä Kerho")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_whole_plan_in_the_members_language(store: SqlStore, language: str) -> None:
    service = PlanningService(store)  # the default stays English
    member = MemberRef("7", "Mariam", language=language)
    chat = chat_for(language)
    replies = await play(service, chat, member)
    assert all(r.language == language for r in replies)
    for reply in replies:
        assert mostly_in_script(reply.text, language), reply.text
    result, details = replies[-1].text, replies[-1].details or ""
    assert t("result.why", language) in details and t("result.tasks", language) in details
    assert mostly_in_script(details, language)
    if language != "en":
        assert t("result.why", "en") not in details and t("result.tasks", "en") not in details
    async with store.session(chat) as session:
        plan = await session.current_plan()
    assert plan is not None and plan.language == language
    form = plan.meta["result"]["form"]
    assert result.startswith(t("result.title", language, form=t(f"form.{form}.name", language)))


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_export_is_in_the_plans_language_with_its_dates(
    store: SqlStore, language: str
) -> None:
    service = PlanningService(store)
    chat = chat_for(language)
    await play(service, chat, MemberRef("7", "Mariam", language=language))
    # Someone else with another Telegram language exports: still the plan's language.
    doc = await service.agreement(chat, TODAY, member=MemberRef("8", "Ben", language="en"))
    assert isinstance(doc, dict)
    assert doc["language"] == language and doc["period"]["review_dates"] == ["2026-12-24"]
    text = markdown(doc)
    assert text.startswith(f"# {t('export.title', language)}\n")
    assert format_day(REVIEW, language) in text
    assert {"fi": "24.12.2026", "en": "24 Dec 2026", "uk": "24 груд. 2026"}.get(
        language, "2026"
    ) in text
    assert mostly_in_script(text.replace(PARTNER, ""), language)
    # In Arabic the Latin partner name is isolated, so it cannot flip the line.
    isolated = f"{FSI}{PARTNER}{PDI}"
    assert (isolated in text) == (language == "ar")


async def test_the_same_answers_give_the_same_plan_in_every_language(store: SqlStore) -> None:
    """Options typed in four languages store the same keys; the agreement has the same keys and
    the same recommendation, only the words differ."""
    service = PlanningService(store)
    docs, answers = {}, {}
    for language in LANGUAGES:
        chat = chat_for(language)
        await play(service, chat, MemberRef("7", "Mariam", language=language))
        async with store.session(chat) as session:
            plan = await session.current_plan()
        assert plan is not None
        answers[language] = {k: v for k, v in plan.answers.items() if k != "partner_name"}
        docs[language] = await service.agreement(chat, TODAY)
    keys = {language: _keys(doc) for language, doc in docs.items()}
    assert all(k == keys["en"] for k in keys.values())
    assert len({d["form"]["key"] for d in docs.values()}) == 1
    assert len({tuple(x["key"] for x in d["tasks"]) for d in docs.values()}) == 1
    # Free text is each member's own; every option answer is the same key.
    typed = {k for k, v in answers["en"].items() if isinstance(v, str) and " " in v}
    for language in LANGUAGES:
        assert {k: v for k, v in answers[language].items() if k not in typed} == {
            k: v for k, v in answers["en"].items() if k not in typed
        }


def _keys(value: Any, path: str = "") -> set[str]:
    if isinstance(value, dict):
        return {f"{path}.{k}" for k in value} | {
            p for k, v in value.items() for p in _keys(v, f"{path}.{k}")
        }
    if isinstance(value, list):
        return {p for item in value for p in _keys(item, f"{path}[]")}
    return set()


async def test_language_choice_is_stored_with_the_plan_and_kept_on_restart(
    store: SqlStore,
) -> None:
    service = PlanningService(store)
    chat = ChatRef("telegram", "9100", "private", "Club")
    anna = MemberRef("1", "Anna", language="en")
    chosen = await service.handle(chat, anna, ev.SetLanguage("uk"))
    assert (chosen.kind, chosen.language) == (kinds.INFO, "uk")
    assert chosen.text == t("ui.language_set", "uk")
    question = await service.handle(chat, anna, ev.Start())  # her Telegram is still English
    assert question.language == "uk" and question.text.startswith(t("q.aims.text", "uk"))
    restarted = await service.handle(chat, anna, ev.Restart())
    assert restarted.language == "uk" and restarted.plan_id != question.plan_id
    switched = await service.handle(chat, anna, ev.SetLanguage("fi"))
    assert switched.text == t("ui.language_set", "fi")
    again = await service.handle(chat, anna, ev.Start())
    assert again.language == "fi" and again.text.startswith(t("q.aims.text", "fi"))


async def test_an_unknown_language_changes_nothing(store: SqlStore) -> None:
    service = PlanningService(store)
    chat = ChatRef("telegram", "9101", "private", "Club")
    anna = MemberRef("1", "Anna", language="fi")
    first = await service.handle(chat, anna, ev.Start())
    refused = await service.handle(chat, anna, ev.SetLanguage("xx"))
    assert refused.kind == kinds.INVALID and refused.text == t("ui.language_unknown", "fi")
    async with store.session(chat) as session:
        plan = await session.current_plan()
    assert plan is not None and plan.language == "fi" and plan.version == first.version
    nothing = await service.handle(ChatRef("telegram", "9102"), anna, ev.SetLanguage("xx"))
    assert nothing.kind == kinds.INVALID
    async with store.session(ChatRef("telegram", "9102")) as session:
        assert await session.current_plan() is None


async def test_a_group_reads_its_chosen_language_whatever_each_member_speaks(
    store: SqlStore,
) -> None:
    service = PlanningService(store)
    group = ChatRef("telegram", "-9200", "group", "Kerho")
    admin = MemberRef("1", "Aino", is_admin=True, language="fi")
    olena = MemberRef("2", "Олена", language="uk")
    await service.handle(group, admin, ev.SetLanguage("fi"))
    shown = await service.handle(group, olena, ev.Start())
    assert shown.language == "fi" and shown.text.startswith(t("q.aims.text", "fi"))
    answered = await service.handle(group, olena, ev.Text(typed_answer(shown, "fi")))
    assert answered.language == "fi" and answered.answered_by == "Олена"
