"""Fixtures shared by the console tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.service import PlanningService
from storage.db import default_sqlite_url
from storage.store import SqlStore


@pytest.fixture
async def service(tmp_path: Path):
    store = await SqlStore.open(default_sqlite_url(tmp_path / "console.db"))
    try:
        yield PlanningService(store)
    finally:
        await store.close()
