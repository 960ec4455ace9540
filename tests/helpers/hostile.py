"""Hostile values: what data can hold that must reach no terminal, log, email, chat or page raw.

Each value is used as a feature name (cut to what the config accepts, see
:func:`as_feature_name`) and as a category value (data: any length). :data:`HOSTILE_PARAMS`
parametrizes a test over the corpus with readable ids.
"""

from __future__ import annotations

from typing import Any

import pytest

from driftwatch.name_lengths import FEATURE_NAME_LENGTH

__all__ = [
    "HOSTILE",
    "HOSTILE_PARAMS",
    "RAW_MARKERS",
    "as_feature_name",
    "raw_markers_in",
]

HOSTILE: dict[str, str] = {
    "ansi-osc": "\x1b]0;PWNED\x07\x1b[2J\x1b[H\x1b[32mALL CLEAR\x1b[0m",
    "crlf": "x\r\n2026-01-01 00:00:00,000 ERROR driftwatch: forged line",
    "script": "<script>alert(1)</script>",
    "img": "<img src=x onerror=alert(1)>",
    "slack-channel": "<!channel> <!here> <@U024BE7LH>",
    "at-here": "@here `code` *bold* _it_ ~strike~",
    "rtl-override": "invoice\u202efdp.exe",
    "zero-width": "wi\u200bnd\ufeff",
    "nul": "a\x00b",
    "10kB": "q" * 10_000,
}
"""id → value: ANSI/OSC sequences, CR/LF, markup, Slack mentions and formatting, an RTL override,
zero-width marks, a NUL byte, a 10 kB string."""

HOSTILE_PARAMS = [pytest.param(value, id=name) for name, value in HOSTILE.items()]

RAW_MARKERS = ("\x1b", "\x07", "\r", "\x00", "\u202e", "\u200b", "\ufeff")
"""Characters that must never be printed raw to a terminal or a text log line."""


def as_feature_name(value: str) -> str:
    """``value`` as the config accepts a feature name: at most FEATURE_NAME_LENGTH characters."""
    return value[:FEATURE_NAME_LENGTH]


def raw_markers_in(text: str) -> list[Any]:
    """The :data:`RAW_MARKERS` found in ``text`` (empty when it is clean)."""
    return [marker for marker in RAW_MARKERS if marker in text]
