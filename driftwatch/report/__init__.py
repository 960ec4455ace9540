"""The HTML report and the notebook view: see the two distributions and the feature's history.

Two sources, one page (:mod:`driftwatch.report.model`): a :class:`~driftwatch.results.RunOutcome`
in memory (what ``driftwatch.compare()`` returns) or the results database, read-only. The file
is self-contained (:mod:`driftwatch.report.page`): plotly.js inlined once, no CDN, nothing
fetched when it is opened.

    >>> from driftwatch.report import render_store_html, write_html
    >>> write_html(render_store_html("sqlite:///driftwatch.db"), "drift.html")  # doctest: +SKIP
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import plotly.graph_objects as go

from driftwatch.errors import DriftwatchError
from driftwatch.report import figures
from driftwatch.report.model import (
    Page,
    feature_from_outcome,
    page_from_outcome,
    page_from_store,
)
from driftwatch.report.page import DEFAULT_EAGER, render_page
from driftwatch.results import RunOutcome
from driftwatch.store.queries import open_readonly
from driftwatch.store.repository import Store

__all__ = [
    "DEFAULT_EAGER",
    "Page",
    "feature_figure",
    "render_run_html",
    "render_store",
    "render_store_html",
    "write_html",
]


def render_run_html(
    outcome: RunOutcome, *, title: str | None = None, eager: int = DEFAULT_EAGER
) -> str:
    """The report of one computed run (``compare()``'s), as one self-contained HTML document."""
    return render_page(page_from_outcome(outcome, title), eager=eager)


def feature_figure(outcome: RunOutcome, feature: str) -> go.Figure:
    """The plotly figure of one feature of ``outcome``: reference and live shares per bin.

    Raises DriftwatchError naming the run's features when ``feature`` is not one of them.
    """
    for computed in outcome.features:
        if computed.name == feature:
            return figures.feature_figure(feature_from_outcome(computed))
    names = ", ".join(f.name for f in outcome.features) or "none"
    raise DriftwatchError(
        f"no feature {feature!r} in the run of monitor {outcome.monitor!r}; its features: {names}"
    )


def render_store(
    store: Store, monitors: Sequence[str] | None = None, *, eager: int = DEFAULT_EAGER
) -> tuple[Page, str]:
    """The page model and the HTML of each monitor's latest finished run in ``store``."""
    page = page_from_store(store, monitors)
    return page, render_page(page, eager=eager)


def render_store_html(
    database_url: str, monitors: Sequence[str] | None = None, *, eager: int = DEFAULT_EAGER
) -> str:
    """The report of the results database at ``database_url`` (every monitor, or ``monitors``).

    Read-only: the database must exist at this driftwatch's schema (StoreError otherwise).
    """
    store = open_readonly(database_url)
    try:
        return render_store(store, monitors, eager=eager)[1]
    finally:
        store.close()


def write_html(html: str, path: str | os.PathLike[str]) -> Path:
    """Write ``html`` to ``path`` atomically (a temporary file renamed over it); the path back.

    Raises DriftwatchError with the path and the system's reason when it cannot be written.
    """
    target = Path(path)
    temporary: str | None = None
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(html)
        os.replace(temporary, target)
    except OSError as exc:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise DriftwatchError(
            f"cannot write the report to {str(target)!r}: {exc.strerror or exc}; "
            "choose a path in a directory that exists and is writable"
        ) from exc
    return target
