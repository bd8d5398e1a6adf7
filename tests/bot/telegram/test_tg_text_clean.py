"""Text that no database can store (U+0000, lone surrogates) is cleaned at the adapter: such a
member can still answer, such a group can still plan. On SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from test_tg_group import member
from tg_support import Bot, current_plan

from flows.questionnaire import QUESTIONS
from storage.db import default_sqlite_url
from tests.conftest import _drop_tables, run_in_thread

pytestmark = pytest.mark.usefixtures("roomy_group_limit")

NUL, LONE = "\x00", "\ud800"  # Telegram's JSON may carry "\u0000" and "\ud800"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return default_sqlite_url(tmp_path / "partnerbot.db")
    url: str = request.getfixturevalue("pg_url")
    run_in_thread(lambda: _drop_tables(url))
    return url


async def _column(store: Any, sql: str) -> list[str]:
    async with store.engine.connect() as conn:
        return [row[0] for row in (await conn.execute(text(sql))).all()]


async def test_names_titles_and_texts_are_stored_clean(bot: Bot, store: Any) -> None:
    # A member whose first name holds both, in a private chat.
    aino = bot.member
    aino.user["first_name"] = f"Ai{NUL}no{LONE}"
    await aino.say("/plan")
    await aino.say(f"1{NUL}")  # the first question's first option, typed
    plan = await current_plan(store, aino.chat_id)
    assert plan is not None and QUESTIONS[0].key in plan.answers  # accepted and stored
    assert "Aino" in await _column(store, "SELECT name FROM member")

    # A group whose title holds them; a member adds a checklist item holding them.
    ben = member(bot, 502, f"B{LONE}en")
    ben.message = _with_title(ben.message, f"Green{NUL} Club{LONE}")  # type: ignore[method-assign]
    await ben.say("/plan")
    await ben.say(f"/checklist add Bring{NUL} snacks{LONE}")
    assert "Green Club" in await _column(store, "SELECT title FROM association")
    assert "Ben" in await _column(store, "SELECT name FROM member")
    assert "Bring snacks" in await _column(
        store, "SELECT label FROM checklist_item WHERE label IS NOT NULL"
    )


def _with_title(build: Any, title: str) -> Any:
    def message(**fields: Any) -> dict[str, Any]:
        built = build(**fields)
        built["chat"] = {**built["chat"], "title": title}
        return dict(built)

    return message
