"""The page: one self-contained HTML file from a :class:`~driftwatch.report.model.Page`.

Self-contained means nothing is fetched when the file is opened: plotly.js is inlined once (one
``<script>``, ~4.7 MB), every figure is a JSON island (``<script type="application/json">``) that
a few lines of page script hand to ``Plotly.newPlot``, and no attribute points at a URL. The first
``eager`` features of each monitor (most severe first) get their section open and their plot drawn
on load; the rest are listed in a table of links, and each of their sections draws its plot when
it is opened — so a report of hundreds of features opens as fast as one of fifty, and the file
grows by only the figures' JSON (a few kB each).

The markup is ``templates/report.html.j2`` (autoescaped: no name from the data is ever HTML);
the style and the page script are ``static/report.css`` and ``static/report.js``, inlined when
the page is rendered. This module gives the template the numbers in words.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from driftwatch import templating
from driftwatch.report.figures import STATUS_COLORS, bin_label, feature_spec
from driftwatch.report.model import FeatureView, MetricView, MonitorView, Page

__all__ = ["DEFAULT_EAGER", "render_page"]

DEFAULT_EAGER = 50
"""Features per monitor whose sections are open and drawn on load; the rest draw when opened."""

_PACKAGE = "driftwatch.report"


def _number(value: float | None, digits: int = 4) -> str:
    return "–" if value is None else f"{value:.{digits}g}"


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _thousands(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def _color(status: str) -> str:
    return STATUS_COLORS.get(status, "#444444")


def _decision_reason(feature: FeatureView) -> str | None:
    """The reason of the feature's decision: its own, else that of the metric that decided it."""
    deciding = next((m for m in feature.metrics if m.status == feature.status), feature.primary)
    return feature.reason or (deciding.reason if deciding is not None else None)


def _overview_reason(feature: FeatureView) -> str:
    primary = feature.primary
    return feature.reason or (primary.reason if primary is not None else None) or ""


def _status_summary(monitor: MonitorView) -> str:
    """``"2 critical, 5 ok"``: how many features have each status, most severe first."""
    counts = {s: sum(1 for f in monitor.features if f.status == s) for s in STATUS_COLORS}
    return ", ".join(f"{n} {s}" for s, n in counts.items() if n)


def _metric_names(monitor: MonitorView) -> list[str]:
    """The overview's metric columns: every metric of the monitor's features, first seen first."""
    return list(dict.fromkeys(m.metric for f in monitor.features for m in f.metrics))


def _metrics_by_name(feature: FeatureView) -> dict[str, MetricView]:
    return {m.metric: m for m in feature.metrics}


@cache
def _template() -> jinja2.Template:
    env = templating.environment(_PACKAGE)
    env.filters.update(
        number=_number, share=_share, thousands=_thousands, color=_color, bin_label=bin_label
    )
    env.globals.update(
        figure=feature_spec,
        decision_reason=_decision_reason,
        overview_reason=_overview_reason,
        status_summary=_status_summary,
        metric_names=_metric_names,
        metrics_by_name=_metrics_by_name,
    )
    return env.get_template("report.html.j2")


def render_page(page: Page, *, eager: int = DEFAULT_EAGER) -> str:
    """The whole HTML document (plotly.js inlined once)."""
    context: dict[str, Any] = {
        "page": page,
        "eager": eager,
        "css": templating.static(_PACKAGE, "report.css"),
        "script": templating.static(_PACKAGE, "report.js"),
        "plotly_js": Markup(get_plotlyjs()),  # plotly's own bundle, trusted as our static files
    }
    return _template().render(context)
