"""The ``partnerbot`` command as a user runs it: exit status, stdout and stderr."""

from __future__ import annotations

import os
import pty
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from bot.cli import main
from storage.migrate import HEAD_REVISION

REPO = Path(__file__).resolve().parents[2]


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARTNERBOT_")}
    env.update(HOME=str(tmp_path / "home"), XDG_DATA_HOME=str(tmp_path / "data"))
    env.update(extra)
    return env


def partnerbot(tmp_path: Path, *args: str, stdin: str = "", **env: str):
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        env=clean_env(tmp_path, **env),
        timeout=120,
    )


def test_help_lists_the_commands(tmp_path):
    done = partnerbot(tmp_path, "--help")
    assert done.returncode == 0
    for command in ("chat", "run", "db"):
        assert command in done.stdout
    assert "--config" in done.stdout
    assert "PARTNERBOT_TOKEN" in done.stdout


@pytest.mark.parametrize(
    ("command", "words"),
    [
        (["chat"], ["--db", "--association", "/back", "printf"]),
        (["run"], ["@BotFather", "/newbot", "PARTNERBOT_TOKEN", "webhook"]),
        (["db"], ["upgrade", "downgrade"]),
        (["db", "downgrade"], ["REV", "base"]),
    ],
)
def test_each_command_has_help(capsys, command, words):
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for word in words:
        assert word in out


def test_run_without_token_says_so_in_one_line(tmp_path):
    done = partnerbot(tmp_path, "run")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "partnerbot: No Telegram bot token: set PARTNERBOT_TOKEN or telegram.token in the "
        "config file (get one from @BotFather)"
    ]
    assert done.stdout == ""


def test_bad_setting_stops_any_command_with_one_line(tmp_path):
    for command in (["run"], ["chat"], ["db", "upgrade"]):
        done = partnerbot(tmp_path, *command, PARTNERBOT_MODE="pull")
        assert done.returncode == 2, command
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert "telegram.mode" in lines[0]
        assert "PARTNERBOT_MODE" in lines[0]
        assert "Traceback" not in done.stderr


def test_bad_config_file_is_named(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("[telegram]\ntoken = \n", encoding="utf-8")
    done = partnerbot(tmp_path, "--config", str(config), "run")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert str(config) in done.stderr
    assert "line 2" in done.stderr


def test_version(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("partnerbot ")


def test_no_command_shows_help_and_fails(capsys):
    assert main([]) == 2
    assert "chat" in capsys.readouterr().err


def test_unwritable_database_folder_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    done = partnerbot(tmp_path, "chat", "--db", str(blocker / "sub" / "x.db"))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "--db" in done.stderr


def test_db_upgrade_creates_the_database(tmp_path):
    db = tmp_path / "new" / "p.db"
    done = partnerbot(tmp_path, "db", "upgrade", "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert db.exists()
    assert "up to date" in done.stdout
    again = partnerbot(tmp_path, "db", "upgrade", "--db", str(db))
    assert again.returncode == 0, again.stderr


def _plans(db: Path) -> int:
    with closing(sqlite3.connect(db)) as conn:
        return int(conn.execute("SELECT count(*) FROM plan").fetchone()[0])


def _tables(db: Path) -> set[str]:
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows if not name.startswith("sqlite_")}


@pytest.fixture(scope="module")
def two_plans(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database where two associations have begun a plan in ``partnerbot chat``."""
    folder = tmp_path_factory.mktemp("plans")
    db = folder / "p.db"
    for association in ("Club", "Choir"):
        done = partnerbot(folder, "chat", "--db", str(db), "--association", association,
                          stdin="1\n")  # fmt: skip
        assert done.returncode == 0, done.stderr
    assert _plans(db) == 2
    return db


@pytest.fixture
def planned_db(two_plans: Path, tmp_path: Path) -> Path:
    """A copy of ``two_plans`` for one test to change."""
    db = tmp_path / "p.db"
    with closing(sqlite3.connect(two_plans)) as source, closing(sqlite3.connect(db)) as copy:
        source.backup(copy)
    return db


def test_db_downgrade_without_yes_refuses_and_keeps_the_plans(
    tmp_path: Path, planned_db: Path
) -> None:
    tables = _tables(planned_db)
    done = partnerbot(tmp_path, "db", "downgrade", "base", "--db", str(planned_db))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    line = lines[0]
    # Where it would go, what it would delete, how many plans, and how to go ahead.
    assert f"from revision {HEAD_REVISION} to base" in line
    for table in ("answer", "association", "checklist_item", "member", "plan", "task"):
        assert table in line
    assert "(2 plans lost)" in line
    assert "nothing was changed" in line and "--yes" in line
    assert _plans(planned_db) == 2
    assert _tables(planned_db) == tables


def test_db_downgrade_asks_at_a_terminal(tmp_path: Path, planned_db: Path) -> None:
    for answer, status in (("no\n", 2), ("yes\n", 0)):
        primary, secondary = pty.openpty()
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "db", "downgrade", "base", "--db", str(planned_db)],
                stdin=secondary,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=REPO,
                env=clean_env(tmp_path),
            )
            os.write(primary, answer.encode())  # typed ahead; read once the question is asked
            out, err = proc.communicate(timeout=120)
        finally:
            os.close(primary)
            os.close(secondary)
        assert proc.returncode == status, err
        assert "(2 plans lost)" in err and "Type yes to go ahead" in err
        if answer == "no\n":
            assert "nothing was changed" in err
            assert _plans(planned_db) == 2
    assert "was downgraded to base" in out
    assert "plan" not in _tables(planned_db)


def test_db_downgrade_with_yes_goes_ahead(tmp_path: Path, planned_db: Path) -> None:
    done = partnerbot(tmp_path, "db", "downgrade", "base", "--yes", "--db", str(planned_db))
    assert done.returncode == 0, done.stderr
    assert "was downgraded to base" in done.stdout
    assert _tables(planned_db) <= {"alembic_version"}
    # Nothing left to undo: one line, status 2.
    again = partnerbot(tmp_path, "db", "downgrade", "--yes", "--db", str(planned_db))
    assert again.returncode == 2
    assert len(again.stderr.strip().splitlines()) == 1
    assert "cannot be downgraded" in again.stderr
    up = partnerbot(tmp_path, "db", "upgrade", "--db", str(planned_db))
    assert up.returncode == 0, up.stderr
    assert "plan" in _tables(planned_db)
