"""Every text the bot can show exists in every shipped locale."""

from __future__ import annotations

import string

import pytest

from flows.forms import FORMS
from flows.questionnaire import PARTS, QUESTIONS, RESOURCES
from flows.recommend import NOTES
from flows.tasks import FINDING, PHASES, REASONS, SESSIONS, TEMPLATES, VALUES_CHECK
from flows.texts import keys, languages


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


@pytest.mark.parametrize("language", languages())
def test_locales_have_the_same_keys_and_placeholders(language: str) -> None:
    from flows.texts import t

    english = keys("en")
    assert keys(language) == english
    for key in english:
        fields = {f for _, f, _, _ in string.Formatter().parse(t(key, "en")) if f}
        theirs = {f for _, f, _, _ in string.Formatter().parse(t(key, language)) if f}
        assert fields == theirs, key
