"""Checks at start that the configured database can be used, each failure one line.

Run before anything opens the database, so that a wrong path, a damaged or read-only file, an
unreachable server or a schema from a newer release stops the command with a sentence saying
what is wrong and what to do, instead of a traceback (or, worse, a bot that starts and then
fails every answer, or a damaged file that looks like an empty one).

``write=True`` (the bot, the console, migrations) also needs the file and its folder to be
writable; ``write=False`` (export) reads an existing file only.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
from pathlib import Path

from storage.db import DbUrl, parse_url
from storage.migrate import head_revision, is_known_revision

FIX = "check --db, database.url or PARTNERBOT_DATABASE_URL"
CONNECT_TIMEOUT = 10.0  # seconds for PostgreSQL to answer


class DatabaseProblem(Exception):
    """The database cannot be used; ``str(problem)`` is one line for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


def check_database(url: str, *, write: bool = True) -> None:
    """Raise DatabaseProblem unless the database at ``url`` is usable (see the module)."""
    parsed = parse_url(url)
    if parsed.backend == "sqlite":
        check_sqlite(parsed, write=write)
    else:
        asyncio.run(check_postgres(parsed))


# --- SQLite ----------------------------------------------------------------------------------


def check_sqlite(url: DbUrl, *, write: bool = True) -> None:
    if url.in_memory or url.database.startswith("file:"):
        raise DatabaseProblem(
            "the database must be a SQLite file or PostgreSQL: an in-memory database keeps "
            f"nothing; {FIX}"
        )
    path = Path(url.database).expanduser()
    if path.is_dir():
        raise DatabaseProblem(f"database {path} is a folder, not a file; {FIX}")
    if not path.exists():
        if not write:
            raise DatabaseProblem(f"no database at {path}: nothing was planned there yet; {FIX}")
        _create(path)
        return
    if write:
        for place, what in ((path, "file"), (path.parent, "folder")):
            if _read_only(place):
                raise DatabaseProblem(
                    f"database {what} {place} is read-only, so no answer could be saved; make "
                    f"it writable or {FIX}"
                )
    _check_file(path, write=write)


def sqlite_writable(url: str) -> bool:
    """Whether ``url`` is a SQLite file that may be written (and so migrated) here."""
    parsed = parse_url(url)
    if parsed.backend != "sqlite" or parsed.in_memory:
        return False
    path = Path(parsed.database).expanduser()
    return path.is_file() and not _read_only(path) and not _read_only(path.parent)


def _read_only(place: Path) -> bool:
    """Not writable for us, or marked read-only for everybody (no write bit at all), which
    counts even for root: whoever did that meant the data to stay as it is."""
    return not os.access(place, os.W_OK) or not place.stat().st_mode & 0o222


def _create(path: Path) -> None:
    """Make the folder and an empty file (SQLite takes an empty file as an empty database)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseProblem(
            f"database folder {path.parent} cannot be created ({_reason(exc)}); choose another "
            f"place: {FIX}"
        ) from None
    try:
        with path.open("ab"):
            pass
    except OSError as exc:
        raise DatabaseProblem(
            f"database file {path} cannot be created ({_reason(exc)}); choose another place: {FIX}"
        ) from None


def _check_file(path: Path, *, write: bool) -> None:
    mode = "rw" if write else "ro"
    damaged = (
        f"database {path} is damaged or is not a Partnerbot database; restore it from a "
        f"backup, or {FIX}"
    )
    try:
        conn = sqlite3.connect(f"file:{path}?mode={mode}", uri=True)
    except sqlite3.Error as exc:
        raise DatabaseProblem(f"database {path} cannot be opened ({exc}); {FIX}") from None
    try:
        result = [row[0] for row in conn.execute("PRAGMA quick_check").fetchall()]
        if result != ["ok"]:
            raise DatabaseProblem(f"{damaged} (PRAGMA quick_check: {result[0]})")
        has_version = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchall()
        revisions = (
            [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")]
            if has_version
            else []
        )
    except sqlite3.DatabaseError as exc:  # "file is not a database", "disk image is malformed"
        if "unable to open" in str(exc):
            raise DatabaseProblem(f"database {path} cannot be opened ({exc}); {FIX}") from None
        raise DatabaseProblem(f"{damaged} ({exc})") from None
    finally:
        conn.close()
    _check_revisions(str(path), revisions)


# --- PostgreSQL ------------------------------------------------------------------------------


async def check_postgres(url: DbUrl) -> None:
    import asyncpg

    where = f"PostgreSQL at {url.host}:{url.port or 5432}"
    try:
        conn = await asyncpg.connect(url.target, timeout=CONNECT_TIMEOUT)
    except asyncpg.InvalidCatalogNameError:
        raise DatabaseProblem(
            f"database {url.database!r} does not exist on {where}; create it (createdb "
            f"{url.database}) or {FIX}"
        ) from None
    except (
        asyncpg.InvalidAuthorizationSpecificationError,
        asyncpg.InvalidPasswordError,
    ) as exc:
        raise DatabaseProblem(
            f"{where} refused user {url.user!r} ({_oneline(exc)}); check the user and "
            f"password: {FIX}"
        ) from None
    except (OSError, TimeoutError, socket.gaierror) as exc:
        raise DatabaseProblem(
            f"{where} cannot be reached ({_reason(exc)}); check that the server runs, or {FIX}"
        ) from None
    except asyncpg.PostgresError as exc:
        raise DatabaseProblem(f"{where} refused the connection ({_oneline(exc)}); {FIX}") from None
    try:
        exists = await conn.fetchval("SELECT to_regclass('alembic_version') IS NOT NULL")
        rows = await conn.fetch("SELECT version_num FROM alembic_version") if exists else []
    finally:
        await conn.close()
    _check_revisions(f"{url.database!r} on {where}", [row[0] for row in rows])


# --- both ------------------------------------------------------------------------------------


def _check_revisions(where: str, revisions: list[str]) -> None:
    for revision in revisions:
        if not is_known_revision(revision):
            raise DatabaseProblem(
                f"database {where} has schema revision {revision}, which this version of "
                f"Partnerbot does not know (its newest is {head_revision()}): it was made by a "
                f"newer version; install that version, or {FIX}"
            )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return _oneline(exc)


def _oneline(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
