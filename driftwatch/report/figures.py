"""One plotly figure per feature: the two histograms on the frozen bins, and the metric over time.

Left: reference and live shares overlaid, bin by bin, in the bins' own order (the reference's
edges or vocabulary). The bins the reference has no room for — the out-of-range tails,
``__unseen__`` — and the pooled ``__other__`` and ``__missing__`` bins are hatched and named in
words, so a new category, a rising missing rate or values past the reference's range are seen at
a glance. Right (when the store has history): the metric per window, coloured by its status, with
the warn and critical thresholds and, when stored, the decision threshold (the value at which the
rule fires at that window's n) as lines.

Plotly reads a few HTML tags (``<b>``, ``<br>``, ``<a href>``…) and entities in the text it draws,
so every name from the data — bin and category labels, metric names and units — goes in through
:func:`plot_text`: a category called ``<b>x</b>`` is drawn as those seven characters.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from driftwatch.report.model import FeatureView, Series

__all__ = [
    "STATUS_COLORS",
    "bin_label",
    "feature_figure",
    "feature_spec",
    "is_special",
    "plot_text",
]

STATUS_COLORS = {
    "critical": "#d62728",
    "warn": "#ff9f1c",
    "ok": "#2ca02c",
    "no_data": "#8c8c8c",
    "error": "#7b2cbf",
}
REFERENCE_COLOR = "#9aa5b1"
LIVE_COLOR = "#1f77b4"

_SPECIAL = {
    "__missing__": "missing",
    "__other__": "other (pooled)",
    "__unseen__": "unseen (new)",
}


def bin_label(label: str) -> str:
    """The words a bin is shown with: tails and the special bins say what they are."""
    if label in _SPECIAL:
        return _SPECIAL[label]
    if label.startswith("(-inf,"):
        return f"below range {label}"
    if label.endswith("+inf)"):
        return f"above range {label}"
    return label


def is_special(label: str) -> bool:
    """A bin outside the reference's range or vocabulary (hatched in the plot)."""
    return label in _SPECIAL or label.startswith("(-inf,") or label.endswith("+inf)")


def plot_text(text: str) -> str:
    """``text`` for plotly to show literally: ``&``, ``<`` and ``>`` as the entities it decodes."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


Spec = dict[str, Any]


def _histogram_traces(feature: FeatureView) -> list[Spec]:
    x = [plot_text(bin_label(label)) for label in feature.labels]
    pattern = ["/" if is_special(label) else "" for label in feature.labels]
    hover = "%{x}<br>%{fullData.name}: %{y:.2%}<extra></extra>"
    return [
        {
            "type": "bar",
            "name": f"reference (n={feature.n_reference or 0:,})",
            "x": x,
            "y": list(feature.reference_shares),
            "marker": {"color": REFERENCE_COLOR, "pattern": {"shape": pattern}},
            "opacity": 0.75,
            "width": 0.8,
            "hovertemplate": hover,
        },
        {
            "type": "bar",
            "name": f"live (n={feature.n_live or 0:,})",
            "x": x,
            "y": list(feature.live_shares),
            "marker": {"color": LIVE_COLOR, "pattern": {"shape": pattern}},
            "opacity": 0.8,
            "width": 0.45,
            "hovertemplate": hover,
        },
    ]


_THRESHOLD_STYLE = {
    "warn": (STATUS_COLORS["warn"], "dot"),
    "critical": (STATUS_COLORS["critical"], "dash"),
    "decision threshold": ("#444444", "dashdot"),
}


def _threshold(spec: Spec, name: str, xs: list[str], ys: tuple[float | None, ...]) -> None:
    """A threshold as a horizontal line when it held still, as a step line when it moved.

    A constant line is a shape across the whole axis, so even a single window shows it.
    """
    present = {y for y in ys if y is not None}
    if not present:
        return
    color, dash = _THRESHOLD_STYLE[name]
    if len(present) == 1:
        value = present.pop()
        spec["layout"]["shapes"].append(
            {
                "type": "line",
                "xref": "x2 domain",
                "x0": 0,
                "x1": 1,
                "yref": "y2",
                "y0": value,
                "y1": value,
                "line": {"color": color, "dash": dash, "width": 1.5},
            }
        )
        spec["layout"]["annotations"].append(
            {
                "text": name,
                "xref": "x2 domain",
                "x": 0,
                "yref": "y2",
                "y": value,
                "xanchor": "left",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"color": color, "size": 11},
            }
        )
        return
    spec["data"].append(
        {
            "type": "scatter",
            "name": name,
            "x": xs,
            "y": list(ys),
            "xaxis": "x2",
            "yaxis": "y2",
            "mode": "lines",
            "line": {"color": color, "dash": dash, "width": 1.5, "shape": "hv"},
            "hovertemplate": f"{name}: %{{y:.4g}}<extra></extra>",
        }
    )


def _history(spec: Spec, series: Series) -> None:
    xs = [end[:16].replace("T", " ") for end in series.window_end]
    metric, unit = plot_text(series.metric), plot_text(series.unit)
    spec["data"].append(
        {
            "type": "scatter",
            "name": f"{metric} per window",
            "x": xs,
            "y": list(series.value),
            "xaxis": "x2",
            "yaxis": "y2",
            "mode": "lines+markers",
            "line": {"color": LIVE_COLOR, "width": 2},
            "marker": {
                "size": 9,
                "color": [STATUS_COLORS.get(s, "#444444") for s in series.status],
                "line": {"width": 1, "color": "#ffffff"},
            },
            "customdata": list(series.status),
            "hovertemplate": "%{x}<br>%{y:.4g} — %{customdata}<extra></extra>",
        }
    )
    _threshold(spec, "warn", xs, series.warn)
    _threshold(spec, "critical", xs, series.critical)
    _threshold(spec, "decision threshold", xs, series.decision_threshold)
    layout = spec["layout"]
    layout["xaxis"]["domain"] = [0, 0.56]
    layout["xaxis2"] = {
        **_AXIS,
        "domain": [0.66, 1],
        "anchor": "y2",
        # Few windows read better as evenly spaced categories; many as a time axis.
        "type": "category" if len(set(xs)) < 3 else "date",
        "title": {"text": "window end (UTC)"},
    }
    layout["yaxis2"] = {
        **_GRID,
        "anchor": "x2",
        "rangemode": "tozero",
        "title": {"text": f"{metric} ({unit})"},
    }


_AXIS: Spec = {"showgrid": False, "showline": True, "linecolor": "#c5ccd6", "automargin": True}
_GRID: Spec = {"gridcolor": "#e8ecf1", "zeroline": False, "automargin": True}


def feature_spec(feature: FeatureView) -> Spec:
    """The feature's plot as plotly's figure dict (data + layout), built without validation.

    Histograms, and its history beside them when there is one. Plain dicts keep a 100-feature
    report fast to build (plotly's validated objects cost ~0.1 s a figure); :func:`feature_figure`
    wraps the same dict in a validated :class:`plotly.graph_objects.Figure`.
    """
    spec: Spec = {
        "data": _histogram_traces(feature),
        "layout": {
            "barmode": "overlay",
            "height": 440,
            "margin": {"l": 60, "r": 20, "t": 30, "b": 40},
            "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
            "paper_bgcolor": "#ffffff",
            "plot_bgcolor": "#ffffff",
            "font": {"size": 12, "family": "system-ui, sans-serif"},
            "xaxis": {
                **_AXIS,
                "type": "category",
                "tickangle": -35,
                "title": {"text": "bins fixed by the reference"},
            },
            "yaxis": {
                **_GRID,
                "tickformat": ".0%",
                "rangemode": "tozero",
                "title": {"text": "share of rows"},
            },
            "shapes": [],
            "annotations": [],
        },
    }
    if feature.history is not None:
        _history(spec, feature.history)
    return spec


def feature_figure(feature: FeatureView) -> go.Figure:
    """:func:`feature_spec` as a validated plotly Figure (for notebooks: ``fig.show()``)."""
    return go.Figure(feature_spec(feature))
