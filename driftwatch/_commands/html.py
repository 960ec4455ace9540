"""``driftwatch report --html PATH``: the self-contained HTML report of the results database.

Read-only like ``report``: the database must exist at this driftwatch's schema; nothing is
created or migrated. plotly is imported when a report is made, not with ``driftwatch.api``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from driftwatch._commands.stores import ConfigLike, database_of, open_readonly_store

__all__ = ["HtmlReport", "report_html"]


@dataclass(frozen=True)
class HtmlReport:
    """The file written, from which database (password redacted), and what it shows."""

    path: Path
    database: str
    monitors: tuple[str, ...]
    """The monitors with a finished run on the page."""
    features: int
    size_bytes: int


def report_html(
    config: ConfigLike | None = None,
    database: str | None = None,
    monitors: Sequence[str] | None = None,
    *,
    path: str | os.PathLike[str],
) -> HtmlReport:
    """Write the HTML report of each monitor's latest finished run (or of ``monitors``) to ``path``.

    Per monitor a traffic-light overview, per feature the two histograms as shares, the decision
    and the metric over the stored runs. Raises StoreError when the database is missing or
    behind, DriftwatchError when ``path`` cannot be written.
    """
    from driftwatch.report import render_store, write_html

    with open_readonly_store(database_of(config, database)) as store:
        page, html = render_store(store, list(monitors) if monitors else None)
        shown = store.url
    written = write_html(html, path)
    return HtmlReport(
        path=written,
        database=shown,
        monitors=tuple(m.name for m in page.monitors if m.features),
        features=sum(len(m.features) for m in page.monitors),
        size_bytes=written.stat().st_size,
    )
