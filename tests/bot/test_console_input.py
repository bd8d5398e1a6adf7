"""Typing in the console: parts of labels, numbers with spaces or commas, any case; and error
texts that speak of typing, never of tapping (the console has nothing to tap)."""

from __future__ import annotations

import io
import re

from bot.console import console_chat, console_member, run_console
from flows.service import PlanningService
from flows.texts import t


async def typed(service: PlanningService, lines: list[str]) -> str:
    out = io.StringIO()
    stdin = io.StringIO("".join(f"{line}\n" for line in lines))
    status = await run_console(service, console_chat("Club"), console_member(), stdin, out)
    assert status == 0
    return out.getvalue()


def answers(out: str) -> list[str]:
    return re.findall(r"^Your answer: (.*)$", out, re.M)


async def test_parts_of_labels_spaces_and_any_case_are_understood(service) -> None:
    out = await typed(
        service,
        ["joint EVENT", "better", "Children learn to swim.", "1 3", "ANOTHER"],
    )
    assert answers(out) == [
        "A joint event",
        "Better activities",
        "Children learn to swim.",
        "Factual knowledge, Special skills",
        "Another association",
    ]


async def test_numbers_with_commas_and_spaces_mixed(service) -> None:
    out = await typed(service, ["1, 3 7"])
    assert answers(out) == ["A joint event, Sharing information, A new regular activity"]


async def test_errors_speak_of_typing_never_of_tapping(service) -> None:
    out = await typed(
        service,
        [
            "",  # an empty list
            "1, 99",  # no option 99
            "1",
            "1 3",  # two numbers for one choice
            "more",  # fits several options
            "world peace",  # no such option
            "1",
            "",  # an empty text
            "Kids swim",
            "1",
            "1",
            "/skip",  # the partner's name may be skipped
            "9",  # not on the scale
        ],
    )
    refused = [
        t("invalid.empty_multi"),
        "There is no option 99",
        t("invalid.one_only"),
        "fits more than one option",
        '"world peace" is not one of the options.',
        t("invalid.empty_text"),
        t("invalid.scale"),
    ]
    for text in refused:
        assert text in out, text
    for kind in ("multi", "choice", "text", "scale"):
        assert t(f"expect_typed.{kind}") in out
    assert "tap" not in out.lower()
