"""Shared by the language tests: a whole plan typed in one language, and script checks."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flows import events as ev
from flows import reply as kinds
from flows.model import ChatRef, MemberRef
from flows.questionnaire import MULTI, SCALE, TEXT, by_key
from flows.reply import Reply
from flows.service import PlanningService
from flows.texts import t

LANGUAGES = ("en", "fi", "uk", "ar")

# What a member of each language types into the open questions.
OWN_WORDS = {
    "en": "Our members meet their new neighbours.",
    "fi": "Jäsenemme tapaavat uusia naapureitaan.",
    "uk": "Наші члени знайомляться з новими сусідами.",
    "ar": "يتعرّف أعضاؤنا على جيرانهم الجدد.",
}
# The partner's name stays in its own script: a Latin name inside an Arabic text.
PARTNER = "Kallio Neighbourhood Association"

SCRIPTS = {"uk": "CYRILLIC", "ar": "ARABIC", "fi": "LATIN", "en": "LATIN"}
FINNISH_LETTERS = re.compile("[äöÄÖ]")


def letters_of(text: str, script: str) -> int:
    return sum(1 for c in text if c.isalpha() and script in unicodedata.name(c, ""))


def mostly_in_script(text: str, language: str) -> bool:
    """Most letters of ``text`` are in the language's script (names may be in another one)."""
    letters = sum(1 for c in text if c.isalpha())
    return letters > 0 and letters_of(text, SCRIPTS[language]) >= 0.8 * letters


def typed_answer(reply: Reply, language: str) -> str:
    """What a member reading ``language`` types for the question ``reply`` shows: option labels
    in that language, a number for a scale, their own words for an open question."""
    question = by_key(reply.question or "")
    if question.kind == TEXT:
        return PARTNER if question.key == "partner_name" else OWN_WORDS[language]
    if question.kind == SCALE:
        return "4"
    label = t(f"opt.{question.option_group}.{question.options[0]}", language)
    if question.kind == MULTI:
        second = t(f"opt.{question.option_group}.{question.options[1]}", language)
        separator = "، " if language == "ar" else ", "  # Arabic writes its own comma
        return f"{label}{separator}{second}"
    return label


async def play(service: PlanningService, chat: ChatRef, member: MemberRef) -> list[Any]:
    """Start, type every answer in the member's language, finish; every reply in order."""
    assert member.language is not None
    replies = [await service.handle(chat, member, ev.Start())]
    for _ in range(80):
        reply = replies[-1]
        if reply.kind == kinds.RESULT:
            return replies
        event: ev.Event = (
            ev.Finish()
            if reply.kind == kinds.REVIEW
            else ev.Text(typed_answer(reply, member.language))
        )
        replies.append(await service.handle(chat, member, event))
        assert replies[-1].kind not in (kinds.INVALID, kinds.STALE), replies[-1].text
    raise AssertionError("the plan did not finish")
