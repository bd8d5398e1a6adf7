"""``python -m bench --profile VARIANT``: where one variant spends its time, per pyinstrument.

One warm-up round of 10 chats, then one profiled round of K chats, in this process. Needs
pyinstrument (``pip install -e '.[bench]'``); py-spy works from outside as well:
``py-spy record -o profile.svg -- python -m bench --quick --in-process``.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from bench import pg
from bench.driver import run_round
from bench.runner import NAMES, PG_VARIANTS, Config, _specs
from bench.variants import make, quiet_logs
from bench.walk import calibrate


def profile(key: str, k: int = 100, pg_url: str | None = pg.DEFAULT_URL) -> int:
    try:
        from pyinstrument import Profiler
    except ImportError:
        print("--profile needs pyinstrument: pip install -e '.[bench]'", file=sys.stderr)
        return 2
    if key not in NAMES:
        print(f"unknown variant {key!r}; known: {', '.join(NAMES)}", file=sys.stderr)
        return 2
    return asyncio.run(_profile(key, k, pg_url, Profiler))


async def _profile(key: str, k: int, pg_url: str | None, profiler_class: type) -> int:
    quiet_logs()
    script = await calibrate()
    scratch = None
    with tempfile.TemporaryDirectory(prefix="partnerbot-bench-") as workdir:
        if key in PG_VARIANTS:
            made = await pg.create(pg_url or pg.DEFAULT_URL)
            if isinstance(made, str):
                print(made, file=sys.stderr)
                return 2
            scratch = made
        try:
            scratches = {key: scratch} if scratch is not None else {}
            spec = _specs(Config(variants=(key,)), Path(workdir), scratches)[key]
            variant = make(spec.kind, script, spec.url, spec.name)
            await variant.start()
            try:
                await run_round(variant, script, 10, 0)
                profiler = profiler_class(interval=0.0005)
                profiler.start()
                result = await run_round(variant, script, k, 1)
                profiler.stop()
            finally:
                await variant.close()
        finally:
            if scratch is not None:
                await pg.drop(scratch)
    print(profiler.output_text(unicode=True, color=False))
    print(
        f"{spec.name}, K={k}: {result.updates} updates, {result.per_second:,.0f}/s "
        f"(under the profiler)"
    )
    return 0
