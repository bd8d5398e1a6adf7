"""Each realistic scenario, typed into `partnerbot chat` as a piped script, ends with its form
named, the reasons and the task split."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flows.texts import t
from tests.flows import scenarios as s

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("answers", "form"),
    [
        (s.EVENT, "event"),
        (s.ADVOCACY, "advocacy"),
        (s.INFORMATION, "information"),
        (s.NETWORK, "network"),
        (s.CORPORATE, "corporate"),
        (s.STRATEGIC, "strategic"),
        (s.EVENT_WITH_SPONSOR, "event"),
    ],
    ids=["event", "advocacy", "information", "network", "corporate", "strategic", "combined"],
)
def test_console_plays_a_scenario_to_its_form(
    answers: dict[str, str], form: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "chat",
            "--db",
            str(tmp_path / "p.db"),
            "--association",
            "Demo",
        ],
        input="\n".join(s.console_lines(answers)) + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert f"Recommended: {t(f'form.{form}.name')}" in out
    assert t("result.why") in out and t("result.tasks") in out
    assert "Traceback" not in done.stderr
