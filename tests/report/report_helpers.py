"""Helpers of the report tests: the example config, data named like markup, a file's anatomy."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd

from driftwatch import load_config

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = REPO_ROOT / "config" / "example.yaml"


IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"
BOLD = "<b>bold</b>"
"""Names that are markup: a page that let them through would load ``x``, run ``alert`` or bolden."""


def hostile_frames(rows: int = 1_000) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reference and live frames whose features and categories are named like markup.

    ``IMG`` is a numeric feature (shifted), ``SCRIPT`` a categorical one whose categories are
    ``IMG``, ``SCRIPT``, ``BOLD`` and ``"plain"``, every one of them moving between the two.
    """
    rng = np.random.default_rng(7)
    categories = ["plain", IMG, SCRIPT, BOLD]

    def frame(loc: float, shares: list[float]) -> pd.DataFrame:
        return pd.DataFrame(
            {
                IMG: rng.normal(loc=loc, size=rows),
                SCRIPT: rng.choice(categories, size=rows, p=shares),
            }
        )

    return frame(0.0, [0.4, 0.3, 0.2, 0.1]), frame(0.5, [0.1, 0.2, 0.3, 0.4])


def example_features() -> dict[str, list[str]]:
    """Each example monitor's configured features (numeric, then categorical)."""
    config = load_config(EXAMPLE)
    return {m.name: [*m.features.numeric, *m.features.categorical] for m in config.monitors}


@dataclass
class Anatomy(HTMLParser):
    """What a report file holds: its URL attributes, sections, plot divs and figure islands,
    every tag by name and every event-handler attribute (``on…``)."""

    urls: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    plots: list[str] = field(default_factory=list)
    islands: int = 0
    open_sections: int = 0
    scripts_with_src: int = 0
    tags: Counter[str] = field(default_factory=Counter)
    handlers: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.tags[tag] += 1
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        for name, value in attrs:
            if name in ("src", "href", "action", "data", "poster", "srcset", "formaction"):
                self.urls.append(value or "")
        if tag == "section" and "feature" in (values.get("class") or ""):
            self.sections.append(values.get("data-feature") or "")
        if tag == "div" and values.get("class") == "plot":
            self.plots.append(values.get("data-feature") or "")
        if tag == "script" and values.get("type") == "application/json":
            self.islands += 1
        if tag == "script" and "src" in values:
            self.scripts_with_src += 1
        if tag == "details" and "open" in values:
            self.open_sections += 1


def anatomy(html: str) -> Anatomy:
    parsed = Anatomy()
    parsed.feed(html)
    parsed.close()
    return parsed


def remote(urls: list[str]) -> list[str]:
    """The URLs that would be fetched from the network (http, https, protocol-relative)."""
    return [u for u in urls if u.strip().lower().startswith(("http://", "https://", "//"))]
