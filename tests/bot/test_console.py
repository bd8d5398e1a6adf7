"""The console adapter, as a person at a terminal or a piped script meets it.

The conversation runs on the real PlanningService and the real SQLite store. The scripts read
what the console printed to decide what to type next, so they do not hard-code the
questionnaire: "the first multi-select question", "the first question that may be skipped".
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Generator
from pathlib import Path

import pytest

from bot.console import console_chat, console_member, run_console
from flows.service import PlanningService
from flows.texts import t

REPO = Path(__file__).resolve().parents[2]
MAX_LINES = 200  # more than any plan needs: a script that loops is a failing test

Script = Generator[str | None, str, None]


# --- reading the screen --------------------------------------------------------------------


PROGRESS = re.compile(r"^Part (\d+) of (\d+) — .* \(question (\d+)\)$", re.M)


def progress(screen: str) -> tuple[int, int] | None:
    """(number of the question shown last, parts in all) from "Part 1 of 4 — … (question 3)"."""
    found = PROGRESS.findall(screen)
    return (int(found[-1][2]), int(found[-1][1])) if found else None


def progress_line(screen: str) -> str:
    return [m.group(0) for m in PROGRESS.finditer(screen)][-1]


def options(screen: str) -> list[tuple[str, str]]:
    """(marker, label) of the last options list shown; marker is "[x]", "[ ]" or ""."""
    block = re.split(r"\nPart \d+ of ", screen)[-1]
    return re.findall(r"^  \d+\. (\[[ x]\] |)(.*)$", block, re.M)


def labels(screen: str) -> list[str]:
    return [label for _, label in options(screen)]


def hint(screen: str) -> str:
    lines = [line for line in screen.splitlines() if line.startswith("Type ")]
    return lines[-1] if lines else ""


def is_multi(screen: str) -> bool:
    return any(marker for marker, _ in options(screen))


def is_text(screen: str) -> bool:
    return hint(screen).startswith("Type your answer")


def is_result(screen: str) -> bool:
    return hint(screen).startswith("Type /setup to name both organisations")


def is_question(screen: str) -> bool:
    return progress(screen) is not None and not is_result(screen)


def body(screen: str) -> str:
    """What a reply printed, without the echoed input line and the hint line."""
    lines = [line for line in screen.splitlines() if not line.startswith(("> ", "Type "))]
    return "\n".join(lines).strip()


def answered(screen: str) -> str | None:
    found = re.findall(r"^Your answer: (.*)$", screen, re.M)
    return found[-1] if found else None


# --- a user that reads the screen ----------------------------------------------------------


class ScriptedUser(io.TextIOBase):
    """Standard input whose next line comes from a script that has seen the new output."""

    def __init__(self, out: io.StringIO, script: Callable[[], Script]) -> None:
        self.out = out
        self.seen = 0
        self.script = script()
        next(self.script)  # run up to the first "screen = yield"
        self.typed = 0
        self.ended = False

    def readline(self, size: int = -1) -> str:
        screen = self.out.getvalue()[self.seen :]
        self.seen = len(self.out.getvalue())
        if self.ended:
            return ""
        self.typed += 1
        assert self.typed <= MAX_LINES, "the script never ended"
        try:
            line = self.script.send(screen)
        except StopIteration:
            line = None
        if line is None:
            self.ended = True
            return ""
        return line + "\n"

    def isatty(self) -> bool:
        return False


async def converse(service: PlanningService, script: Callable[[], Script], name: str = "Club"):
    """Run the console with ``script``; returns (exit status, everything printed)."""
    out = io.StringIO()
    user = ScriptedUser(out, script)
    status = await run_console(service, console_chat(name), console_member(), user, out)
    return status, out.getvalue()


def until(screen: str, wanted: Callable[[str], bool]) -> Generator[str, str, str]:
    """Answer "1" to every question until ``wanted(screen)``; returns that screen.

    "1" is a valid answer to every kind: the first option, the value 1, or the text "1".
    """
    for _ in range(MAX_LINES):
        if wanted(screen):
            return screen
        assert is_question(screen), f"ran out of questions:\n{screen}"
        screen = yield "1"
    raise AssertionError("never reached")


# --- mechanics -----------------------------------------------------------------------------


async def test_start_shows_the_first_question_with_numbered_options(service):
    seen: list[str] = []

    def script() -> Script:
        screen = yield
        seen.append(screen)

    status, out = await converse(service, script)
    assert status == 0
    first = seen[0]
    n, total = progress(first) or (0, 0)
    assert n == 1 and total > 1
    assert labels(first), first
    assert "/back" not in hint(first)  # nothing to go back to
    assert "/summary" in hint(first) and "/quit" in hint(first)
    assert out.rstrip().endswith(t("console.saved"))


async def test_comma_list_answers_a_multi_select_and_back_shows_the_ticks(service):
    def script() -> Script:
        screen = yield
        screen = yield from until(screen, lambda s: is_multi(s) and len(labels(s)) >= 3)
        names = labels(screen)
        assert all(marker == "[ ] " for marker, _ in options(screen))
        assert "1,3" in hint(screen)
        at = progress(screen)
        assert at is not None
        screen = yield "1, 3"
        assert answered(screen) == f"{names[0]}, {names[2]}"
        assert progress(screen) == (at[0] + 1, at[1])
        assert "/back" in hint(screen)
        screen = yield "/back"
        assert progress(screen) == at
        assert options(screen)[:3] == [("[x] ", names[0]), ("[ ] ", names[1]), ("[x] ", names[2])]

    status, _ = await converse(service, script)
    assert status == 0


async def test_a_label_answers_in_any_case(service):
    def script() -> Script:
        screen = yield
        screen = yield from until(screen, lambda s: len(labels(s)) >= 2 and not is_multi(s))
        second = labels(screen)[1]
        assert "number or a label" in hint(screen)
        at = progress(screen)
        assert at is not None
        screen = yield second.upper()
        assert answered(screen) == second
        assert progress(screen) == (at[0] + 1, at[1])

    status, _ = await converse(service, script)
    assert status == 0


async def test_open_question_takes_the_typed_words(service):
    def script() -> Script:
        screen = yield
        screen = yield from until(screen, is_text)
        assert not labels(screen.split("Your answer:")[-1])
        screen = yield "  More young members in the club  "
        assert answered(screen) == "More young members in the club"

    status, _ = await converse(service, script)
    assert status == 0


async def test_skip_only_where_allowed(service):
    def script() -> Script:
        screen = yield
        assert "/skip" not in hint(screen)
        at = progress(screen)
        screen = yield "/skip"  # refused by the service: nothing changes
        assert answered(screen) is None
        assert progress(screen) is None  # the question is not shown as a new one
        assert "/skip" not in hint(screen)
        screen = yield "/start"
        assert progress(screen) == at
        screen = yield from until(screen, lambda s: "/skip" in hint(s))
        at = progress(screen)
        assert at is not None
        screen = yield "/skip"
        assert answered(screen) == t("ui.skipped")
        assert progress(screen)[0] > at[0]

    status, _ = await converse(service, script)
    assert status == 0


async def test_blank_line_and_bad_number_change_nothing(service):
    def script() -> Script:
        screen = yield
        count = len(labels(screen))
        screen = yield ""
        assert answered(screen) is None and progress(screen) is None
        assert screen.strip(), "the service says what is expected"
        assert hint(screen)
        screen = yield str(count + 5)
        assert answered(screen) is None and progress(screen) is None
        assert str(count + 5) in screen
        screen = yield "1"
        assert progress(screen) == (2, progress(screen)[1])

    status, _ = await converse(service, script)
    assert status == 0


async def test_summary_shows_the_answers_and_where_we_are(service):
    given: list[str] = []

    def script() -> Script:
        screen = yield
        for _ in range(2):
            screen = yield "2"
            given.append(answered(screen) or "")
        at = progress(screen)
        assert at is not None and at[0] == 3
        line = progress_line(screen)
        screen = yield "/summary"
        for answer in given:
            assert answer in screen
        assert f"Still at {line[0].lower()}{line[1:]}" in screen
        screen = yield "/start"
        assert progress(screen) == at

    status, _ = await converse(service, script)
    assert status == 0
    assert all(given)


async def test_help_and_unknown_commands_are_answered_here(service):
    def script() -> Script:
        screen = yield
        screen = yield "/help"
        for command in ("/back", "/skip", "/summary", "/restart", "/quit", "1,3"):
            assert command in screen
        screen = yield "/frobnicate"
        assert "Unknown command /frobnicate" in screen
        screen = yield "1"
        assert progress(screen)[0] == 2

    status, _ = await converse(service, script)
    assert status == 0


async def test_restart_throws_the_answers_away(service):
    def script() -> Script:
        screen = yield
        screen = yield "1"
        screen = yield "1"
        assert progress(screen)[0] == 3
        screen = yield "/restart"
        assert progress(screen)[0] == 1
        screen = yield "/summary"
        assert t("ui.summary_empty") in screen

    status, _ = await converse(service, script)
    assert status == 0


async def test_quit_stops_and_keeps_the_answers(service):
    def script() -> Script:
        screen = yield
        screen = yield "1"
        assert progress(screen)[0] == 2
        yield "/quit"
        raise AssertionError("read on after /quit")

    status, out = await converse(service, script)
    assert status == 0
    assert out.rstrip().endswith(t("console.saved"))

    def resumed() -> Script:
        screen = yield
        assert progress(screen)[0] == 2

    status, _ = await converse(service, resumed)
    assert status == 0


async def test_whole_plan_to_the_result_and_after(service):
    result: list[str] = []

    def script() -> Script:
        screen = yield
        screen = yield from until(screen, lambda s: not is_question(s))
        if not is_result(screen):  # the review step: its first action shows the result
            assert labels(screen)
            screen = yield "1"
        assert is_result(screen), screen
        result.append(body(screen))
        screen = yield "/summary"
        assert body(screen) == result[0]
        screen = yield "anything else"  # the service says the plan is finished
        assert screen.split("> anything else")[-1].strip()
        assert progress(screen) is None and answered(screen) is None
        screen = yield None  # end of input

    status, out = await converse(service, script)
    assert status == 0
    assert out.rstrip().endswith("Goodbye.")
    assert t("console.saved") not in out

    def again() -> Script:
        screen = yield  # a finished plan shows its result
        assert is_result(screen)
        screen = yield "/restart"
        assert progress(screen)[0] == 1

    status, out = await converse(service, again)
    assert status == 0
    assert out.rstrip().endswith(t("console.saved"))


async def test_associations_have_their_own_plans(service):
    def club() -> Script:
        screen = yield
        screen = yield "1"
        screen = yield "1"
        assert progress(screen)[0] == 3

    await converse(service, club, "Club")

    def other() -> Script:
        screen = yield
        assert progress(screen)[0] == 1

    status, _ = await converse(service, other, "Other")
    assert status == 0


# --- the command, through a pipe -----------------------------------------------------------


def chat_command(tmp_path: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "bot", "chat", "--db", str(tmp_path / "x.db"), *args]


def clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARTNERBOT_")}
    env.update(HOME=str(tmp_path / "home"), XDG_DATA_HOME=str(tmp_path / "data"))
    return env


def chat(tmp_path: Path, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        chat_command(tmp_path, *args),
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        env=clean_env(tmp_path),
        timeout=120,
    )


def test_piped_script_plays_a_whole_plan(tmp_path):
    # "1" answers every question (first option, value 1, or the text "1"), and the review's
    # first action gets the result; lines after the result change nothing.
    done = chat(tmp_path, "1\n" * 60, "--association", "Club")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "Part 1 of 4 — your association (question 1)" in done.stdout
    assert "> 1" in done.stdout  # piped input is echoed, so the output reads as a dialogue
    assert is_result(done.stdout)
    assert done.stdout.rstrip().endswith("Goodbye.")


def test_interrupted_run_resumes_in_a_new_process(tmp_path):
    first = chat(tmp_path, "2\n1\n", "--association", "Club")
    assert first.returncode == 0, first.stderr
    assert first.stdout.rstrip().endswith(t("console.saved"))
    answers = re.findall(r"^Your answer: (.*)$", first.stdout, re.M)
    assert len(answers) == 2
    at = progress(first.stdout)
    assert at is not None and at[0] == 3
    line = progress_line(first.stdout)
    question = first.stdout.split(f"{line}\n")[-1].splitlines()[0]

    second = chat(tmp_path, "/summary\n", "--association", "Club")
    assert second.returncode == 0, second.stderr
    shown = second.stdout.split("> /summary")
    assert progress(shown[0]) == at
    assert f"{line}\n{question}\n" in shown[0]
    for answer in answers:
        assert answer in shown[1]

    other = chat(tmp_path, "", "--association", "Other")
    assert progress(other.stdout) == (1, at[1])


def test_quit_in_a_script_ignores_the_rest(tmp_path):
    done = chat(tmp_path, "1\n/quit\n1\n1\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("Your answer:") == 1
    assert done.stdout.rstrip().endswith(t("console.saved"))


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_while_waiting_for_input_stops_cleanly(tmp_path):
    process = subprocess.Popen(
        chat_command(tmp_path),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=clean_env(tmp_path),
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait for the first question's hint line
            line = process.stdout.readline()
            if line.startswith("Type ") or not line:
                break
        time.sleep(0.2)  # let it reach the blocking read
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130
    assert "Traceback" not in err
    assert out.rstrip().endswith(t("console.saved"))


def test_undecodable_input_and_a_closed_reader_end_without_a_traceback(tmp_path):
    done = subprocess.run(
        chat_command(tmp_path),
        input=b"\xff\xfe\n1\n",
        capture_output=True,
        cwd=REPO,
        env=clean_env(tmp_path),
        timeout=120,
    )
    assert done.returncode == 0
    assert b"Traceback" not in done.stderr
    assert done.stdout.count(b"Your answer:") == 1

    # partnerbot chat | head -1: the reader goes away early.
    process = subprocess.Popen(
        chat_command(tmp_path),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
        env=clean_env(tmp_path),
    )
    assert process.stdout is not None and process.stdin is not None
    process.stdout.readline()
    process.stdout.close()
    try:
        process.stdin.write(b"1\n" * 200)
        process.stdin.close()
    except BrokenPipeError:
        pass
    err = process.stderr.read() if process.stderr else b""
    assert process.wait(timeout=60) == 1
    assert b"Traceback" not in err


async def test_tasks_and_due_dates_in_the_console(service):
    screens: dict[str, str] = {}

    def script() -> Script:
        screen = yield
        screen = yield from until(screen, lambda s: not is_question(s))
        if not is_result(screen):  # the review step: its first action shows the result
            screen = yield "1"
        assert is_result(screen)
        screens["board"] = yield "/tasks"
        screens["set"] = yield "/due 1 2099-12-24"
        screens["past"] = yield "/due 1 1.1.2020"
        screens["usage"] = yield "/due"
        return

    status, _ = await converse(service, script)
    assert status == 0
    assert "\nTask board — 0 of " in screens["board"]
    assert t("console.board_hint") in screens["board"] and "📅" not in screens["board"]
    first = next(line for line in screens["set"].splitlines() if line.startswith("1. "))
    assert first.endswith(" — due 24 Dec 2099")
    assert "1 Jan 2020 has already passed. Choose today or a later day." in screens["past"]
    assert t("invalid.due_usage") in screens["usage"]
