"""The ``partnerbot`` command as a user runs it: exit status, stdout and stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

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
