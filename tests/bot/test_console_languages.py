"""The console in other languages: --language, PARTNERBOT_LANGUAGE and /language."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from flows.texts import t

REPO = Path(__file__).resolve().parents[2]


def run(tmp_path: Path, stdin: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PARTNERBOT_")}
    clean.update(HOME=str(tmp_path / "home"), XDG_DATA_HOME=str(tmp_path / "data"), **env)
    command = [sys.executable, "-m", "bot", "chat", "--db", str(tmp_path / "x.db"), *args]
    return subprocess.run(
        command, input=stdin, capture_output=True, text=True, cwd=REPO, env=clean, timeout=120
    )


def test_a_whole_plan_in_finnish_with_the_language_option(tmp_path: Path) -> None:
    done = run(tmp_path, "1\n" * 60, "--language", "fi")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert t("q.aims.text", "fi") in out and t("q.aims.text", "en") not in out
    assert t("result.why", "fi") in out
    assert t("console.result_hint", "fi") in out
    assert out.rstrip().endswith(t("console.goodbye", "fi"))


def test_the_environment_switches_an_existing_plan_and_keeps_its_answers(tmp_path: Path) -> None:
    first = run(tmp_path, "1\n")  # English: the first question answered
    assert t("q.aims.text", "en") in first.stdout
    again = run(tmp_path, "/summary\n", PARTNERBOT_LANGUAGE="uk")
    assert again.returncode == 0, again.stderr
    assert t("q.strategy_goal.text", "uk") in again.stdout  # where it stood, now in Ukrainian
    assert t("ui.summary", "uk") in again.stdout
    assert t("opt.aims.joint_event", "uk") in again.stdout  # the answer given in English
    assert again.stdout.rstrip().endswith(t("console.saved", "uk"))
    # Without the variable the plan stays in the language it was switched to.
    third = run(tmp_path, "")
    assert t("q.strategy_goal.text", "uk") in third.stdout


def test_language_command_mid_way_and_a_bad_choice(tmp_path: Path) -> None:
    done = run(tmp_path, "/language ar\n/language xx\n")
    out = done.stdout
    assert t("ui.language_set", "ar") in out
    assert t("q.aims.text", "ar") in out  # the question again, in Arabic
    assert t("console.language_usage", "ar", languages="en (English)").split("⁨")[0] in out
    assert done.returncode == 0 and done.stderr == ""


def test_an_unknown_language_option_is_refused_in_one_line(tmp_path: Path) -> None:
    done = run(tmp_path, "", "--language", "xx")
    assert done.returncode == 2
    assert "invalid choice: 'xx'" in done.stderr
    assert "Traceback" not in done.stderr
