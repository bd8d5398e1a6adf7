"""Every failure at start is one line and exit status 2, in ``run``, ``chat``, ``export`` and
``db``: unusable SQLite files and paths, damaged files, a schema from a newer release, an
unreachable or refusing PostgreSQL, a webhook address that cannot be listened on.

Most cases run ``partnerbot`` in this process (``bot.cli.main``: the same code as the
command, quick); the cases that need an unprivileged user run the real command as one.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.cli import main
from storage import migrate
from storage.db import default_sqlite_url
from tests.conftest import PG_URL

TOKEN = "123456789:AAE-partnerbot_START-token_7q"
COMMANDS = {
    "run": ["run"],
    "chat": ["chat"],
    "export": ["export"],
    "db": ["db", "upgrade"],
}

Partnerbot = Callable[..., tuple[int, str, str]]


@pytest.fixture
def partnerbot(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> Iterator[Partnerbot]:
    """``partnerbot ARGS`` with ``PARTNERBOT_*`` from ``env``: (status, stdout, stderr)."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    for var in [v for v in os.environ if v.startswith("PARTNERBOT_")]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))

    def run(*args: str, **env: str) -> tuple[int, str, str]:
        with monkeypatch.context() as m:
            for name, value in env.items():
                m.setenv(name, value)
            status = main(list(args))
        out = capsys.readouterr()
        return status, out.out, out.err

    yield run
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def one_line(status: int, err: str) -> str:
    assert status == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("partnerbot: ")
    assert TOKEN not in err
    return lines[0]


def sqlite(path: Path | str) -> str:
    return f"sqlite+aiosqlite:///{path}"


def a_database(tmp_path: Path) -> Path:
    """A real Partnerbot database with one association's answers in it."""
    path = tmp_path / "real.db"
    migrate.upgrade(default_sqlite_url(path))
    with closing(sqlite3.connect(path)) as conn:
        conn.execute(
            "INSERT INTO association (transport, external_id, title, created_at) "
            "VALUES ('console', 'Club', 'Club', '2026-01-01 00:00:00')"
        )
        for n in range(200):  # a few pages of plans
            conn.execute(
                "INSERT INTO plan (association_id, status, state, version, language, answers, "
                "meta, created_at, updated_at) VALUES (1, 'closed', 'aims', 1, 'en', ?, '{}', "
                "'2026-01-01 00:00:00', '2026-01-01 00:00:00')",
                ('{"aims": "' + "x" * 300 + f'{n}"}}',),
            )
        conn.commit()
    return path


# --- SQLite: each case, each command ---------------------------------------------------------


def memory(tmp_path: Path) -> str:
    return "sqlite+aiosqlite:///:memory:"


def under_proc(tmp_path: Path) -> str:
    return sqlite("/proc/partnerbot-test.db")


def a_directory(tmp_path: Path) -> str:
    (tmp_path / "folder").mkdir()
    return sqlite(tmp_path / "folder")


def parent_is_a_file(tmp_path: Path) -> str:
    (tmp_path / "file").write_text("", encoding="utf-8")
    return sqlite(tmp_path / "file" / "p.db")


def garbage(tmp_path: Path) -> str:
    path = tmp_path / "garbage.db"
    path.write_bytes(bytes(range(256)) * 64)
    return sqlite(path)


def text_file(tmp_path: Path) -> str:
    path = tmp_path / "notes.db"
    path.write_text("These are my notes, not a database.\n" * 50, encoding="utf-8")
    return sqlite(path)


def truncated(tmp_path: Path) -> str:
    path = a_database(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return sqlite(path)


def corrupt_page(tmp_path: Path) -> str:
    """The header is fine, a page of the plan table is not (PRAGMA integrity_check fails)."""
    path = a_database(tmp_path)
    with closing(sqlite3.connect(path)) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'plan'").fetchone()[0]
    data = bytearray(path.read_bytes())
    start = (root - 1) * page_size
    data[start : start + 64] = b"\xa5" * 64
    path.write_bytes(bytes(data))
    return sqlite(path)


def newer_schema(tmp_path: Path) -> str:
    path = a_database(tmp_path)
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
        conn.commit()
    return sqlite(path)


SQLITE_CASES = {
    # case: (make the URL, words the line must hold for commands that write, for export)
    "memory": (memory, ["in-memory"], ["in-memory"]),
    "under /proc": (under_proc, ["/proc/partnerbot-test.db"], ["no database"]),
    "a directory": (a_directory, ["is a folder"], ["is a folder"]),
    "parent is a file": (parent_is_a_file, ["cannot be created"], ["no database"]),
    "garbage": (garbage, ["damaged", "backup"], ["damaged", "backup"]),
    "text": (text_file, ["damaged", "backup"], ["damaged", "backup"]),
    "truncated": (truncated, ["damaged", "backup"], ["damaged", "backup"]),
    "corrupt page": (corrupt_page, ["damaged", "backup"], ["damaged", "backup"]),
    "newer schema": (newer_schema, ["9999_from_the_future", "newer"], ["newer"]),
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", SQLITE_CASES)
def test_an_unusable_sqlite_database_is_one_line(
    partnerbot: Partnerbot, tmp_path: Path, case: str, command: str
) -> None:
    make, words, export_words = SQLITE_CASES[case]
    url = make(tmp_path)
    before = _databases(tmp_path)
    status, out, err = partnerbot(
        *COMMANDS[command], PARTNERBOT_DATABASE_URL=url, PARTNERBOT_TOKEN=TOKEN
    )
    line = one_line(status, err)
    for word in export_words if command == "export" else words:
        assert word in line
    assert out == ""
    if case in ("garbage", "text", "truncated", "corrupt page", "newer schema"):
        assert _databases(tmp_path) == before  # the damaged file is left as it was for a rescue


def _databases(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(folder.glob("*.db")) if p.is_file()}


def test_chat_on_a_corrupt_file_does_not_start_a_new_plan(
    partnerbot: Partnerbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = corrupt_page(tmp_path)
    monkeypatch.setattr("sys.stdin", open(os.devnull))  # noqa: SIM115 - closed by pytest
    status, out, err = partnerbot("chat", "--association", "Club", PARTNERBOT_DATABASE_URL=url)
    assert "restore it from a backup" in one_line(status, err)
    assert "Question 1" not in out


# --- PostgreSQL ------------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


PG_CASES = {
    "unreachable": (lambda u: u.set(port=_closed_port()), ["cannot be reached"]),
    "missing database": (
        lambda u: u.set(database="partnerbot_no_such_database"),
        ["does not exist", "createdb"],
    ),
    "wrong role": (lambda u: u.set(username="partnerbot_no_such_role"), ["refused user"]),
}


@pytest.mark.postgres
@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", PG_CASES)
def test_a_postgres_that_refuses_is_one_line(
    partnerbot: Partnerbot, pg_url: str, case: str, command: str
) -> None:
    change, words = PG_CASES[case]
    url = change(make_url(PG_URL)).render_as_string(hide_password=False)
    status, _, err = partnerbot(
        *COMMANDS[command], PARTNERBOT_DATABASE_URL=url, PARTNERBOT_TOKEN=TOKEN
    )
    line = one_line(status, err)
    for word in words:
        assert word in line


@pytest.mark.postgres
def test_a_postgres_schema_from_a_newer_release_is_one_line(
    partnerbot: Partnerbot, pg_url: str
) -> None:
    from tests.conftest import _drop_tables, run_in_thread

    run_in_thread(lambda: _drop_tables(pg_url))
    migrate.upgrade(pg_url)
    import asyncpg

    async def bump() -> None:
        u = make_url(pg_url)
        conn = await asyncpg.connect(
            host=u.host, port=u.port, user=u.username, password=u.password, database=u.database
        )
        try:
            await conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
        finally:
            await conn.close()

    run_in_thread(bump)
    try:
        for command in COMMANDS.values():
            status, _, err = partnerbot(
                *command, PARTNERBOT_DATABASE_URL=pg_url, PARTNERBOT_TOKEN=TOKEN
            )
            assert "9999_from_the_future" in one_line(status, err)
    finally:
        run_in_thread(lambda: _drop_tables(pg_url))


# --- the webhook's address -------------------------------------------------------------------


def webhook_env(tmp_path: Path, listen: str, port: int) -> dict[str, str]:
    return {
        "PARTNERBOT_TOKEN": TOKEN,
        "PARTNERBOT_DATABASE_URL": sqlite(tmp_path / "bot.db"),
        "PARTNERBOT_MODE": "webhook",
        "PARTNERBOT_WEBHOOK_URL": "https://bot.example.org",
        "PARTNERBOT_WEBHOOK_SECRET": "a-long-enough-webhook-secret",
        "PARTNERBOT_WEBHOOK_LISTEN": listen,
        "PARTNERBOT_WEBHOOK_PORT": str(port),
    }


def test_a_webhook_port_in_use_is_one_line(partnerbot: Partnerbot, tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        status, _, err = partnerbot("run", **webhook_env(tmp_path, "127.0.0.1", port))
    assert "another program uses that port" in one_line(status, err)


@pytest.mark.parametrize("listen", ["192.0.2.1", "not an address"])
def test_a_bad_listen_address_is_one_line(
    partnerbot: Partnerbot, tmp_path: Path, listen: str
) -> None:
    status, _, err = partnerbot("run", **webhook_env(tmp_path, listen, 8443))
    line = one_line(status, err)
    assert "telegram.webhook.listen" in line


# --- read-only files, privileged ports --------------------------------------------------------


@pytest.mark.parametrize("where", ["file", "folder"])
def test_a_read_only_database_is_refused_except_for_export(
    partnerbot: Partnerbot, tmp_path: Path, where: str
) -> None:
    path = a_database(tmp_path)
    (path if where == "file" else path.parent).chmod(0o555 if where == "folder" else 0o444)
    try:
        before = path.read_bytes()
        for command in (["run"], ["chat"], ["db", "upgrade"]):
            status, _, err = partnerbot(
                *command, PARTNERBOT_DATABASE_URL=sqlite(path), PARTNERBOT_TOKEN=TOKEN
            )
            line = one_line(status, err)
            assert "read-only" in line and where in line
        # export only reads: it gets past the checks (and finds no plan of "default")
        status, _, err = partnerbot("export", "--db", str(path))
        assert "has no plan" in one_line(status, err)
        assert path.read_bytes() == before
    finally:
        path.parent.chmod(0o755)


def test_a_privileged_port_is_one_line(partnerbot: Partnerbot, tmp_path: Path) -> None:
    """Ports below 1024 need rights an ordinary user lacks; root has them, so when the tests
    run as root the command runs in a child process that gave them up."""
    if Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").read_text().strip() == "0":
        pytest.skip("this system lets everybody listen on ports below 1024")
    shared = Path(tempfile.mkdtemp(prefix="partnerbot-test-"))
    shared.chmod(0o777)
    try:
        env = webhook_env(shared, "127.0.0.1", 443)
        if os.geteuid() != 0:
            status, _, err = partnerbot("run", **env)
        else:
            status, err = _as_nobody(partnerbot, ["run"], env)
        assert "administrator rights" in one_line(status, err)
    finally:
        shutil.rmtree(shared, ignore_errors=True)


def _as_nobody(partnerbot: Partnerbot, args: list[str], env: dict[str, str]) -> tuple[int, str]:
    # Everything the child runs is imported here: it may not be able to read the interpreter's
    # own files once it is nobody.
    import bot.telegram.runner  # noqa: F401

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: give up root, run the command, report, leave at once
        code = 99
        try:
            os.close(read)
            os.setgid(65534)
            os.setuid(65534)
            status, _, err = partnerbot(*args, **env)
            os.write(write, json.dumps([status, err]).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        data = pipe.read()
    _, code = os.waitpid(pid, 0)
    assert code == 0 and data, "the unprivileged child failed"
    status, err = json.loads(data)
    return int(status), str(err)
