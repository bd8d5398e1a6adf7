"""Database URLs, and SQLAlchemy engines for migrations, administration and tests (the
per-event path runs through ``storage.sqlite_driver`` and ``storage.pg_driver``).

How SQLite transactions are driven, and why: Python's ``sqlite3`` begins transactions on its
own only before DML; SQLAlchemy's documentation (``sqlite_transactions``) recommends switching
that off and emitting BEGIN from a ``begin`` hook, which we do, with one refinement that the
concurrency tests pin down. A plain (deferred) BEGIN is not enough: a transaction that has
read and then writes cannot wait for the write lock (SQLite refuses the upgrade at once with
"database is locked", because the reader's snapshot could be stale), so two members answering
at once would get an error rather than "someone else answered". So every transaction on an
SQLite engine starts with ``BEGIN IMMEDIATE`` (waits up to ``busy_timeout`` for the write
lock), except on a connection with the execution option ``SQLITE_BEGIN: "lazy"``: its reads
run without a transaction. The sessions do the same through ``sqlite3``: read without a
transaction, ``BEGIN IMMEDIATE`` right before the first write, and the
``UPDATE ... WHERE version = :seen`` decides the winner. Reads that straddle another writer's
commit can only have seen a plan version that has since moved on, so such a session's save
fails the check and writes nothing: the guarantee PostgreSQL gives at READ COMMITTED.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

# SQLAlchemy is imported where used: a running bot reaches its database through
# storage.sqlite_driver or storage.pg_driver, and never needs it (~30 MB).
if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Connection
    from sqlalchemy.ext.asyncio import AsyncEngine

# Execution option read by the ``begin`` hook: "IMMEDIATE" (default), "DEFERRED" or "lazy".
SQLITE_BEGIN = "partnerbot_sqlite_begin"

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
}

_SQLITE_PRAGMAS = (
    # busy_timeout first: switching a new file to WAL may itself have to wait for a lock.
    "PRAGMA busy_timeout=5000",
    "PRAGMA journal_mode=WAL",
    # WAL + NORMAL is safe against corruption; only the last commits before a power cut may go.
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
)


def default_sqlite_url(path: str | Path) -> str:
    """The ``sqlite+aiosqlite`` URL of a database file (made absolute, ``~`` expanded)."""
    return f"sqlite+aiosqlite:///{Path(path).expanduser().resolve()}"


@dataclass(frozen=True)
class DbUrl:
    """A database URL taken apart with the standard library: a running bot checks and opens
    its database without loading SQLAlchemy."""

    backend: str  # "sqlite" or "postgresql"
    database: str  # SQLite: the file's path; PostgreSQL: the database's name
    target: str  # SQLite: the file's path; PostgreSQL: asyncpg's DSN
    query: str = ""
    host: str | None = None  # PostgreSQL: a name, an address, or a socket folder (?host=)
    port: int | None = None
    user: str | None = None

    @property
    def in_memory(self) -> bool:
        return self.backend == "sqlite" and (
            self.database in ("", ":memory:") or "mode=memory" in self.query
        )


def parse_url(url: str) -> DbUrl:
    """``sqlite[+driver]:///relative``, ``sqlite:////absolute``, or
    ``postgresql[+driver]://user:password@host:port/name?host=...``; ValueError otherwise."""
    scheme, _, rest = url.partition("://")
    backend = scheme.split("+", 1)[0]
    if backend == "sqlite":
        database, _, query = rest[1:].partition("?")
        return DbUrl("sqlite", database, database, query)
    if backend not in ("postgresql", "postgres"):
        raise ValueError(
            f"unsupported database URL scheme {scheme!r}: use sqlite:// or postgresql://"
        )
    parts = urlsplit(f"postgresql://{rest}")
    query = dict(parse_qsl(parts.query))
    return DbUrl(
        "postgresql",
        unquote(parts.path.lstrip("/")),
        f"postgresql://{rest}",
        parts.query,
        host=parts.hostname or query.get("host"),
        port=parts.port,
        user=unquote(parts.username) if parts.username else None,
    )


def split_url(url: str) -> tuple[str, str]:
    """("sqlite", the file's path) or ("postgresql", a DSN for asyncpg), without SQLAlchemy.

    In-memory SQLite is refused: every connection would see a database of its own.
    """
    parsed = parse_url(url)
    if parsed.in_memory:
        raise ValueError("SqlStore needs an SQLite file or a server, not an in-memory SQLite")
    return parsed.backend, parsed.target


def async_url(url: str | URL) -> URL:
    """``url`` with an asyncio driver: plain ``sqlite://`` and ``postgresql://`` are accepted."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    return parsed.set(drivername=driver) if driver else parsed


def make_engine(url: str | URL, **kwargs: Any) -> AsyncEngine:
    """An async engine for ``url``; extra keyword arguments go to ``create_async_engine``."""
    from sqlalchemy.ext.asyncio import create_async_engine

    parsed = async_url(url)
    if parsed.get_backend_name() != "sqlite":
        # PostgreSQL: SQLAlchemy's normal queue pool.
        return create_async_engine(parsed, **kwargs)
    database = parsed.database or ""
    # A plain file (not memory, not a ``file:`` URI): make its folder, and use WAL.
    is_file = database not in ("", ":memory:") and not database.startswith("file:")
    if is_file:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(parsed, **kwargs)
    _install_sqlite_hooks(engine, wal=is_file)
    return engine


def _install_sqlite_hooks(engine: AsyncEngine, *, wal: bool) -> None:
    from sqlalchemy import event

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver must not BEGIN on its own; _on_begin below decides.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in _SQLITE_PRAGMAS:
                if wal or "journal_mode" not in pragma:
                    cursor.execute(pragma)
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(SQLITE_BEGIN, "IMMEDIATE")
        if mode == "lazy":
            return
        if mode not in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE"):
            raise ValueError(f"{SQLITE_BEGIN}={mode!r}")
        conn.exec_driver_sql(f"BEGIN {mode}")
