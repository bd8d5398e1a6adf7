"""The README's terminal examples run as written: taken from README.md itself, run one after
the other in an empty folder, in a shell where the virtualenv is active (as the README says
to do first), with a fresh home folder so the default database starts empty."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
ACTIVATE = ". .venv/bin/activate"
# Lines that use the console and the export: no Telegram, no server needed.
EXAMPLE = re.compile(r"(^|\|\s*)partnerbot (chat|export)\b")


def shell_blocks(text: str) -> list[list[str]]:
    return [block.strip().splitlines() for block in re.findall(r"```sh\n(.*?)```", text, re.S)]


def console_examples(text: str) -> list[str]:
    lines = [line.strip() for block in shell_blocks(text) for line in block]
    return [line for line in lines if EXAMPLE.search(line)]


def test_the_readme_says_how_to_get_partnerbot_on_the_path() -> None:
    blocks = shell_blocks(README.read_text(encoding="utf-8"))
    lines = [line.strip() for block in blocks for line in block]
    assert ACTIVATE in lines
    first_use = next(i for i, line in enumerate(lines) if re.search(r"(^|\| *)partnerbot ", line))
    assert lines.index(ACTIVATE) < first_use


def test_the_console_examples_run_as_written(tmp_path: Path) -> None:
    examples = console_examples(README.read_text(encoding="utf-8"))
    # The README's examples of playing a script, making a plan and exporting it.
    assert any(line.startswith("printf") for line in examples), examples
    assert sum("partnerbot export" in line for line in examples) >= 3, examples
    bin_dir = Path(sys.executable).parent  # what ". .venv/bin/activate" puts first on PATH
    assert (bin_dir / "partnerbot").exists(), "install the package: pip install -e '.[test]'"
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARTNERBOT_")}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(bin_dir.parent),
        HOME=str(tmp_path / "home"),
        XDG_DATA_HOME=str(tmp_path / "data"),
    )
    outputs = []
    for line in examples:
        done = subprocess.run(
            ["bash", "-c", line],  # a pipeline's status is partnerbot's, the last command
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 0, (line, done.stderr)
        assert "Traceback" not in done.stderr, (line, done.stderr)
        outputs.append(done.stdout)
    # What the examples promise: the files, and the agreement on standard output.
    assert (work / "plan.pdf").read_bytes().startswith(b"%PDF")
    assert json.loads((work / "plan.json").read_text(encoding="utf-8"))
    markdown = [out for out, line in zip(outputs, examples, strict=True) if "--format md" in line]
    assert markdown and all(out.startswith("# ") for out in markdown)
