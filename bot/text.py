"""Incoming text made storable: what members type, their names and chat titles.

PostgreSQL's text type cannot hold U+0000 (asyncpg raises CharacterNotInRepertoireError) and
neither database driver can encode a lone surrogate (U+D800-U+DFFF, which no valid UTF-8
holds): one such character would make a member unable to answer, or a group unable to plan.
The adapters pass every incoming text, name and title through ``clean`` once, at the boundary.
"""

from __future__ import annotations

import re

# NUL, and surrogates (a valid str from UTF-8 never holds one; escapes in JSON can).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def clean(text: str) -> str:
    """``text`` without the characters no database can store; unchanged when it has none."""
    return _UNSTORABLE.sub("", text) if _UNSTORABLE.search(text) else text


def clean_optional(text: str | None) -> str | None:
    return None if text is None else clean(text)
