"""Text helpers for error messages: "did you mean", shortening user text, one-line reasons.

Low layer: stdlib only, so config, sources, the store and the CLI can all word their messages
the same way.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["did_you_mean", "one_line", "shorten"]


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices``, or ``""`` when none is close."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def shorten(text: str, width: int = 60) -> str:
    """``text`` itself when it fits in ``width`` characters, else its start and ``...``."""
    return text if len(text) <= width else text[: width - 3] + "..."


def one_line(text: object) -> str:
    """``str(text)`` with every run of whitespace (newlines too) collapsed to one space."""
    return " ".join(str(text).split())
