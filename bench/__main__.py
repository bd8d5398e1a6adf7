"""``python -m bench``: see ``bench/README.md``."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from bench import pg
from bench.runner import (
    ALL_VARIANTS,
    DEFAULT_VARIANTS,
    FULL_KS,
    FULL_ONLY_AT,
    FULL_ROUNDS,
    QUICK_KS,
    QUICK_ROUNDS,
    WAVE,
    Config,
    as_json,
    main_async,
)

README = Path(__file__).resolve().parent / "README.md"


def _ks(text: str) -> tuple[int, ...]:
    return tuple(int(k.replace("_", "")) for k in text.split(",") if k)


def _rounds(text: str) -> dict[int, int]:
    pairs = (item.split(":") for item in text.split(",") if item)
    return {int(k.replace("_", "")): int(n) for k, n in pairs}


def _only_at(items: list[str]) -> dict[int, tuple[str, ...]]:
    chosen = {}
    for item in items:
        k, _, names = item.partition("=")
        chosen[int(k.replace("_", ""))] = tuple(n for n in names.split(",") if n)
    return chosen


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Partnerbot against python-telegram-bot's ConversationHandler and an echo "
        "bot: K chats each walk a whole plan through the real Application, offline.",
    )
    p.add_argument("--quick", action="store_true", help="K=1 and 100, fewer rounds (< 1 min)")
    p.add_argument("--ks", type=_ks, help=f"chat counts, default {','.join(map(str, FULL_KS))}")
    p.add_argument(
        "--rounds",
        type=_rounds,
        help="rounds per K, e.g. 1:10,100:3,10000:1 (default "
        + ",".join(f"{k}:{n}" for k, n in FULL_ROUNDS.items())
        + ")",
    )
    p.add_argument(
        "--variants",
        default=",".join(DEFAULT_VARIANTS),
        help=f"comma-separated, of: {', '.join(ALL_VARIANTS)} (default: %(default)s)",
    )
    p.add_argument(
        "--only-at",
        action="append",
        default=[],
        metavar="K=VARIANTS",
        help="run only these variants at K (default 10000=sqlite,conversation,echo)",
    )
    p.add_argument(
        "--wave", type=int, default=WAVE, help="chats with plans open at once (%(default)s)"
    )
    p.add_argument(
        "--sequential",
        action="store_true",
        help="never run Partnerbot and the baselines side by side (large K takes twice as long)",
    )
    p.add_argument("--pg-url", default=pg.DEFAULT_URL, help="PostgreSQL server (%(default)s)")
    p.add_argument("--no-pg", action="store_true", help="leave PostgreSQL out")
    p.add_argument("--in-process", action="store_true", help="no worker processes")
    p.add_argument("--workdir", type=Path, help="keep the SQLite files here")
    p.add_argument("--json", type=Path, help="also write the results as JSON")
    p.add_argument("--readme", action="store_true", help=f"write the table into {README.name}")
    p.add_argument(
        "--profile",
        metavar="VARIANT",
        help="profile one variant (pyinstrument, from the 'bench' extra) at K=100 and exit",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.profile:
        from bench.profile import profile

        return profile(args.profile, k=(args.ks or (100,))[-1], pg_url=args.pg_url)
    config = Config(
        ks=args.ks or (QUICK_KS if args.quick else FULL_KS),
        rounds={**(QUICK_ROUNDS if args.quick else FULL_ROUNDS), **(args.rounds or {})},
        variants=tuple(v for v in args.variants.split(",") if v),
        only_at={**({} if args.quick else FULL_ONLY_AT), **_only_at(args.only_at)},
        wave=args.wave,
        parallel_from=None if args.sequential else Config().parallel_from,
        pg_url=None if args.no_pg else args.pg_url,
        in_process=args.in_process,
        workdir=args.workdir,
    )
    for key in config.variants:
        if key not in ALL_VARIANTS:
            print(f"unknown variant {key!r}; known: {', '.join(ALL_VARIANTS)}", file=sys.stderr)
            return 2
    report = main_async(config, lambda line: print(line, file=sys.stderr, flush=True))
    from bench.report import markdown, update_readme

    argv_shown = sys.argv[1:] if argv is None else argv
    command = " ".join(["python -m bench", *map(shlex.quote, argv_shown)])
    text = markdown(report, command)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(as_json(report), indent=2) + "\n", encoding="utf-8")
    if args.readme:
        update_readme(README, text)
    return 0 if all(row.ok for row in report.rows) else 1


if __name__ == "__main__":
    sys.exit(main())
