"""Fixtures of the storage tests (backend fixtures: ``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import Executable, Row

from storage.store import SqlStore

Query = Callable[[Executable], Awaitable[list[Row[Any]]]]


@pytest.fixture
def query(store: SqlStore) -> Query:
    """Run one statement on the store's database and return its rows (to check what is stored)."""

    async def run(stmt: Executable) -> list[Row[Any]]:
        async with store.engine.connect() as conn:
            return list((await conn.execute(stmt)).all())

    return run
