"""Texts per language, from ``flows/locales/<lang>.toml``.

The locale files ship inside the package and are parsed once, on first use; after that every
lookup is a dict access. Keys are dotted paths ("ui.skip", "q.aims.text", "opt.resource.money").
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

DEFAULT_LANGUAGE = "en"


@cache
def _flat(language: str) -> dict[str, str]:
    raw = resources.files("flows").joinpath("locales", f"{language}.toml").read_text("utf-8")
    flat: dict[str, str] = {}

    def walk(prefix: str, node: dict[str, Any]) -> None:
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else key
            if isinstance(value, dict):
                walk(path, value)
            else:
                flat[path] = str(value)

    walk("", tomllib.loads(raw))
    return flat


def languages() -> tuple[str, ...]:
    """The shipped locales."""
    names = resources.files("flows").joinpath("locales").iterdir()
    return tuple(sorted(p.name.removesuffix(".toml") for p in names if p.name.endswith(".toml")))


def has(key: str, language: str = DEFAULT_LANGUAGE) -> bool:
    return key in _flat(language)


def keys(language: str = DEFAULT_LANGUAGE) -> frozenset[str]:
    return frozenset(_flat(language))


def t(key: str, language: str = DEFAULT_LANGUAGE, /, **params: Any) -> str:
    """The text for ``key`` in ``language`` (falling back to English), formatted with params."""
    text = _flat(language).get(key)
    if text is None:
        text = _flat(DEFAULT_LANGUAGE)[key]  # a missing key is a bug: tests check every key
    return text.format(**params) if params else text
