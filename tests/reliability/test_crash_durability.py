"""A console killed with SIGKILL mid-conversation resumes at the same question with every
answer it had acknowledged."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ANSWERS = ["1,5", "Being better known", "Free music for families", "3,4"]


class Console:
    """A `partnerbot chat` process whose output is read line by line, with a deadline."""

    def __init__(self, db: Path) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "chat", "--db", str(db), "--association", "Choir"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.seen: list[str] = []

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, prefix: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            self.seen.append(line)
            if line.startswith(prefix):
                return line
        raise AssertionError(f"no line starting {prefix!r}; saw: {self.seen[-20:]}")

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()


def test_sigkill_mid_conversation_resumes_at_the_same_question(tmp_path: Path) -> None:
    db = tmp_path / "plans.db"
    first = Console(db)
    assert first.wait_for("Part ").endswith("(question 1)")
    for number, answer in enumerate(ANSWERS, start=2):
        first.send(answer)
        first.wait_for("Your answer:")  # acknowledged: stored before this was printed
        assert first.wait_for("Part ").endswith(f"(question {number})")
    first.proc.send_signal(signal.SIGKILL)
    assert first.proc.wait(timeout=10) == -signal.SIGKILL

    second = Console(db)
    resumed = second.wait_for("Part ")
    assert resumed.endswith(f"(question {len(ANSWERS) + 1})")
    question = second.wait_for("What kind of partner do you have in mind?")
    assert question
    second.send("/summary")
    second.wait_for("Your answers so far:")
    summary = [second.wait_for("• ") for _ in ANSWERS]
    assert "A joint event, Money or sponsorship" in summary[0]
    assert "Being better known" in summary[1]
    assert "Free music for families" in summary[2]
    assert "Special skills, Volunteers" in summary[3]
    second.send("/quit")
    assert second.proc.wait(timeout=20) == 0
