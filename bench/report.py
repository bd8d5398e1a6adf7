"""The report as Markdown: the machine, the walk, one table row per variant and K."""

from __future__ import annotations

import re
from pathlib import Path

from bench.runner import Report, Row
from bench.walk import describe

START = "<!-- bench:results:start -->"
END = "<!-- bench:results:end -->"


def _num(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def table(rows: list[Row]) -> str:
    lines = [
        "| variant | K | plans | updates/s | × baseline | p50 µs | p99 µs | CPU µs/update "
        "| peak RSS MB | RSS growth MB / 10k plans | checks |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for row in sorted(rows, key=lambda r: (r.k, _order(r.key))):
        growth = "—" if row.growth_mb_per_10k is None else _num(row.growth_mb_per_10k, 1)
        ratio = "—" if row.ratio is None else f"{row.ratio:.2f}"
        checks = "ok" if row.ok else "; ".join(row.checks[:3])
        lines.append(
            f"| {row.variant} | {_num(row.k)} | {_num(row.plans)} | {_num(row.per_second)} "
            f"| {ratio} | {_num(row.p50_us)} | {_num(row.p99_us)} | {_num(row.cpu_us)} "
            f"| {_num(row.peak_mb, 1)} "
            f"| {growth} | {checks} |"
        )
    return "\n".join(lines)


def _order(key: str) -> int:
    from bench.runner import ALL_VARIANTS

    return ALL_VARIANTS.index(key) if key in ALL_VARIANTS else len(ALL_VARIANTS)


def markdown(report: Report, command: str) -> str:
    m = report.machine
    machine = (
        f"{m.get('cpus')} CPUs ({m.get('cpu')}), {m.get('os')}; Python {m.get('python')}, "
        f"SQLite {m.get('sqlite')}, python-telegram-bot {m.get('python-telegram-bot')}, "
        f"SQLAlchemy {m.get('sqlalchemy')}"
    )
    if "postgresql" in m:
        machine += f", PostgreSQL {m['postgresql']}"
    parts = [
        f"Command: `{command}` — {report.seconds / 60:.1f} minutes.",
        "",
        f"Machine: {machine}.",
        "",
        f"Walk: {describe(report.script)}.",
        "",
        table(report.rows),
    ]
    if report.notes:
        parts += ["", *(f"- {note}" for note in report.notes)]
    return "\n".join(parts)


def update_readme(path: Path, text: str) -> None:
    """Replace the results between the markers of ``path`` with ``text``."""
    readme = path.read_text(encoding="utf-8")
    block = f"{START}\n{text}\n{END}"
    if START in readme and END in readme:
        pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
        readme = pattern.sub(lambda _m: block, readme)
    else:
        readme = readme.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(readme, encoding="utf-8")
