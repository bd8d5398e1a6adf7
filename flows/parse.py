"""Typed input to answer values: a number, an option label, a comma list, a 1-5 value, text.

Shared by every transport, so "2", "A joint event" and "joint EVENT" mean the same in a
terminal and in a Telegram message. Lists may be "1,3", "1 3" or "event, network".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from flows.questionnaire import CHOICE, MULTI, SCALE, TEXT, Question

# No message may be longer than this, whatever the question (Telegram allows 4096).
MAX_MESSAGE_LENGTH = 2000


@dataclass(frozen=True)
class Invalid:
    """Why input was refused: a locale key under ``invalid.`` and its parameters."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def pick(text: str, options: list[tuple[str, str]]) -> str | Invalid:
    """One option from (key, label) pairs by number, key, label, or a unique part of a label.

    Any case. A part that fits several labels is refused, naming them, rather than guessed.
    """
    wanted = _norm(text)
    if not wanted:
        return Invalid("empty_choice", {"count": len(options)})
    if wanted.isdigit():
        number = int(wanted)
        if 1 <= number <= len(options):
            return options[number - 1][0]
        return Invalid("out_of_range", {"number": number, "count": len(options)})
    if _NUMBERS.fullmatch(wanted):
        return Invalid("one_only")
    for key, label in options:
        if wanted in (_norm(key), _norm(label)):
            return key
    # A label that starts with the text wins over one that merely contains it.
    for fits in (_starts, _contains):
        found = [(key, label) for key, label in options if fits(_norm(label), wanted)]
        if len(found) == 1:
            return found[0][0]
        if len(found) > 1:
            labels = ", ".join(label for _key, label in found)
            return Invalid("ambiguous", {"text": text.strip()[:40], "labels": labels})
    return Invalid("unknown_option", {"text": text.strip()[:40], "count": len(options)})


# Several numbers in one piece ("1 3"): a list, where one option was expected.
_NUMBERS = re.compile(r"\d+(?:\s+\d+)+")


def _starts(label: str, wanted: str) -> bool:
    return label.startswith(wanted)


def _contains(label: str, wanted: str) -> bool:
    # Whole words only, so "art" does not pick "Partner".
    return re.search(rf"(?:^|\W){re.escape(wanted)}(?:\W|$)", label) is not None


def _pieces(text: str) -> list[str]:
    """The items of a typed list: split at commas and semicolons (the Arabic ones, ، and ؛,
    too), and numbers at spaces."""
    pieces: list[str] = []
    for part in re.split(r"[,;\u060c\u061b]", text):
        part = part.strip()
        if _NUMBERS.fullmatch(_norm(part)):
            pieces += part.split()
        elif part:
            pieces.append(part)
    return pieces


def parse(question: Question, text: str, labels: dict[str, str]) -> Any:
    """The value ``text`` gives ``question``, or an :class:`Invalid`."""
    if len(text) > MAX_MESSAGE_LENGTH:
        return Invalid("too_long", {"length": len(text), "limit": MAX_MESSAGE_LENGTH})
    options = [(key, labels[key]) for key in question.options]
    if question.kind == TEXT:
        value = text.strip()
        if not value:
            return Invalid("empty_text")
        if len(value) > question.max_length:
            return Invalid("too_long", {"length": len(value), "limit": question.max_length})
        return value
    if question.kind == CHOICE:
        return pick(text, options)
    if question.kind == SCALE:
        found = pick(text, options)
        return int(found) if isinstance(found, str) else Invalid("scale")
    if question.kind == MULTI:
        parts = _pieces(text)
        if not parts:
            return Invalid("empty_multi", {"count": len(options)})
        chosen: list[str] = []
        for part in parts:
            found = pick(part, options)
            if isinstance(found, Invalid):
                return found
            if found not in chosen:
                chosen.append(found)
        # Keep the questionnaire's order, so the same choice is always stored the same way.
        return [key for key in question.options if key in chosen]
    raise ValueError(f"unknown question kind {question.kind!r}")


def valid_value(question: Question, value: Any) -> bool:
    """Whether a value from a button (not typed) fits ``question``."""
    if question.kind == CHOICE:
        return isinstance(value, str) and value in question.options
    if question.kind == SCALE:
        return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5
    if question.kind == MULTI:
        return (
            isinstance(value, list)
            and bool(value)
            and all(isinstance(v, str) and v in question.options for v in value)
            and len(set(value)) == len(value)
        )
    if question.kind == TEXT:
        return isinstance(value, str) and 0 < len(value.strip()) <= question.max_length
    return False
