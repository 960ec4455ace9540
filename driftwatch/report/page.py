"""The page: one self-contained HTML file from a :class:`~driftwatch.report.model.Page`.

Self-contained means nothing is fetched when the file is opened: plotly.js is inlined once (one
``<script>``, ~4.7 MB), every figure is a JSON island (``<script type="application/json">``) that
a few lines of page script hand to ``Plotly.newPlot``, and no attribute points at a URL. The first
``eager`` features of each monitor (most severe first) get their section open and their plot drawn
on load; the rest are listed in a table of links, and each of their sections draws its plot when
it is opened — so a report of hundreds of features opens as fast as one of fifty, and the file
grows by only the figures' JSON (a few kB each).
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable

from plotly.offline import get_plotlyjs

from driftwatch.report.figures import STATUS_COLORS, bin_label, feature_spec
from driftwatch.report.model import FeatureView, MetricView, MonitorView, Page

__all__ = ["DEFAULT_EAGER", "render_page"]

DEFAULT_EAGER = 50
"""Features per monitor whose sections are open and drawn on load; the rest draw when opened."""

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2530;
background:#f5f7fa}
main{max-width:1200px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:22px;margin:8px 0 2px}h2{font-size:19px;margin:28px 0 6px;border-bottom:2px solid
#d5dbe3;padding-bottom:4px}h3{font-size:16px;margin:0}
.muted{color:#5f6b7a;font-size:13px}
table{border-collapse:collapse;font-size:13px;background:#fff;margin:8px 0}
th,td{padding:4px 10px;border-bottom:1px solid #e3e8ee;text-align:left;vertical-align:top}
th{background:#eef2f6;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums;
white-space:nowrap}table.overview td:first-child{white-space:nowrap}
.light{display:inline-block;width:12px;height:12px;border-radius:50%;vertical-align:-1px;
margin-right:6px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;
font-weight:600}
section.feature{background:#fff;border:1px solid #dde3ea;border-radius:6px;margin:14px 0;
padding:0}
section.feature>details>summary{cursor:pointer;padding:10px 14px;list-style-position:inside}
section.feature .body{padding:0 14px 12px}
.facts{display:flex;flex-wrap:wrap;gap:6px 22px;font-size:13px;margin:4px 0 8px}
.facts b{font-weight:600}
.reason{font-size:14px;margin:6px 0}
.cols{display:flex;flex-wrap:wrap;gap:18px}
.plot{width:100%;height:440px;margin-bottom:8px}
a{color:#1f5fa8;text-decoration:none}a:hover{text-decoration:underline}
"""

_SCRIPT = """
function dwPlot(id){
  var el=document.getElementById(id);
  if(!el||el.getAttribute('data-drawn'))return;
  var spec=JSON.parse(document.getElementById(id+'-spec').textContent);
  el.setAttribute('data-drawn','1');
  Plotly.newPlot(el,spec.data,spec.layout,{displaylogo:false,responsive:true});
}
function dwOpen(hash){
  var target=hash&&document.getElementById(hash.slice(1));
  if(!target)return;
  var details=target.querySelector('details');
  if(details&&!details.open){details.open=true;}
}
document.addEventListener('DOMContentLoaded',function(){
  document.querySelectorAll('details[data-plot]').forEach(function(d){
    d.addEventListener('toggle',function(){if(d.open)dwPlot(d.getAttribute('data-plot'));});
    if(d.open)dwPlot(d.getAttribute('data-plot'));
  });
  dwOpen(location.hash);
  window.addEventListener('hashchange',function(){dwOpen(location.hash);});
});
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _number(value: float | None, digits: int = 4) -> str:
    return "–" if value is None else f"{value:.{digits}g}"


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _count(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def _light(status: str) -> str:
    color = STATUS_COLORS.get(status, "#444444")
    return f'<span class="light" style="background:{color}" title="{_e(status)}"></span>'


def _badge(status: str) -> str:
    color = STATUS_COLORS.get(status, "#444444")
    return f'<span class="badge" style="background:{color}">{_e(status)}</span>'


def _json_island(figure_json: str) -> str:
    return figure_json.replace("</", "<\\/")  # a "</script>" inside a label cannot end the island


def _decision(feature: FeatureView) -> str:
    """The decision in words: the status and the reason of the metric that decided it."""
    deciding = next((m for m in feature.metrics if m.status == feature.status), feature.primary)
    reason = feature.reason or (deciding.reason if deciding is not None else None)
    if reason:
        return f"{_badge(feature.status)} {_e(reason)}"
    return _badge(feature.status)


def _metric_table(metrics: Iterable[MetricView]) -> str:
    rows = []
    for m in metrics:
        rows.append(
            "<tr>"
            f"<td>{_e(m.metric)}</td><td class=num>{_number(m.value)} {_e(m.unit)}</td>"
            f"<td>{_light(m.status)}{_e(m.status)}</td>"
            f"<td class=num>{_number(m.warn, 3)} / {_number(m.critical, 3)}</td>"
            f"<td class=num>{_number(m.decision_threshold, 3)}</td>"
            f"<td class=num>{_number(m.p_value, 3)}</td>"
            f"<td>{_e(m.reason or '')}</td></tr>"
        )
    return (
        "<table><tr><th>metric</th><th>effect size (value)</th><th>status</th>"
        "<th>warn / critical</th><th>decision threshold</th><th>p-value</th><th>reason</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _moved_table(feature: FeatureView) -> str:
    if not feature.moved:
        return ""
    rows = "".join(
        "<tr>"
        f"<td>{_e(bin_label(str(b['label'])))}</td>"
        f"<td class=num>{_share(b['reference_share'])}</td>"
        f"<td class=num>{_share(b['live_share'])}</td>"
        f"<td class=num>{_number(b['contribution'], 3)}</td></tr>"
        for b in feature.moved
    )
    return (
        "<div><div class=muted>bins that moved most</div><table><tr><th>bin</th>"
        "<th>reference</th><th>live</th><th>js contribution (bits)</th></tr>"
        f"{rows}</table></div>"
    )


def _facts(feature: FeatureView) -> str:
    primary = feature.primary
    parts = [f"<span><b>kind</b> {_e(feature.kind)}</span>"]
    if primary is not None:
        parts.append(f"<span><b>p-value</b> {_number(primary.p_value, 3)}</span>")
        parts.append(
            f"<span><b>effect size</b> {_e(primary.metric)} = {_number(primary.value)} "
            f"{_e(primary.unit)}</span>"
        )
    parts += [
        f"<span><b>n_live</b> {_count(feature.n_live)}</span>",
        f"<span><b>n_reference</b> {_count(feature.n_reference)}</span>",
        f"<span><b>missing (live)</b> {_share(feature.missing_share)}</span>",
        f"<span><b>outside reference (live)</b> {_share(feature.unseen_share)}</span>",
    ]
    return f'<div class="facts">{"".join(parts)}</div>'


def _feature_section(feature: FeatureView, anchor: str, *, eager: bool) -> str:
    plot_id = f"{anchor}-plot"
    if feature.labels:
        figure_json = _json_island(json.dumps(feature_spec(feature), separators=(",", ":")))
        plot = (
            f'<div class="plot" id="{plot_id}" data-feature="{_e(feature.name)}"></div>'
            f'<script type="application/json" id="{plot_id}-spec">{figure_json}</script>'
        )
        data_plot = f' data-plot="{plot_id}"'
    else:
        plot = '<p class="muted">no histograms: nothing was counted for this feature</p>'
        data_plot = ""
    return (
        f'<section class="feature" id="{anchor}" data-feature="{_e(feature.name)}">'
        f"<details{' open' if eager else ''}{data_plot}><summary>"
        f"<h3 style='display:inline'>{_light(feature.status)}{_e(feature.name)}</h3> "
        f"{_badge(feature.status)}</summary><div class=body>"
        f'<div class="reason">{_decision(feature)}</div>{_facts(feature)}{plot}'
        f'<div class="cols"><div>{_metric_table(feature.metrics)}</div>{_moved_table(feature)}'
        "</div></div></details></section>"
    )


def _overview(monitor: MonitorView, anchors: list[str], metric_names: list[str]) -> str:
    head = "".join(f"<th>{_e(name)}</th>" for name in metric_names)
    rows = []
    for feature, anchor in zip(monitor.features, anchors, strict=True):
        by_name = {m.metric: m for m in feature.metrics}
        cells = "".join(
            f"<td class=num>{_light(by_name[name].status)}{_number(by_name[name].value, 3)}</td>"
            if name in by_name
            else "<td></td>"
            for name in metric_names
        )
        primary = feature.primary
        reason = feature.reason or (primary.reason if primary is not None else None) or ""
        rows.append(
            f"<tr><td>{_light(feature.status)}<a href='#{anchor}'>{_e(feature.name)}</a></td>"
            f"<td>{_e(feature.status)}</td>{cells}"
            f"<td class=num>{_count(feature.n_live)}</td><td class=num>"
            f"{_share(feature.missing_share)}</td><td>{_e(reason)}</td></tr>"
        )
    return (
        f"<table class=overview><tr><th>feature</th><th>status</th>{head}<th>n_live</th>"
        f"<th>missing</th><th>reason</th></tr>{''.join(rows)}</table>"
    )


def _monitor_section(monitor: MonitorView, index: int, eager: int) -> str:
    parts = [f'<h2 id="m{index}">{_e(monitor.name)}</h2>']
    if not monitor.features:
        why = f": the latest run failed: {monitor.error}" if monitor.error else ""
        parts.append(f"<p>no finished run of monitor {_e(monitor.name)} yet{_e(why)}</p>")
        return "".join(parts)
    counts = {s: sum(1 for f in monitor.features if f.status == s) for s in STATUS_COLORS}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    drift = " · dataset drift" if monitor.dataset_drift else ""
    parts.append(
        f'<p class="muted">{_e(monitor.window or "–")} · run {_e(monitor.run_id or "–")}'
        f" · {_e(monitor.run_status or '')} · n_live {_count(monitor.n_live)} · n_reference "
        f"{_count(monitor.n_reference)} · {len(monitor.features)} features: {_e(summary)}"
        f"{_e(drift)}</p>"
    )
    anchors = [f"m{index}-f{i}" for i in range(len(monitor.features))]
    metric_names = list(dict.fromkeys(m.metric for f in monitor.features for m in f.metrics))
    parts.append(_overview(monitor, anchors, metric_names))
    for position, (feature, anchor) in enumerate(zip(monitor.features, anchors, strict=True)):
        if position == eager:
            rest = len(monitor.features) - eager
            parts.append(
                f'<h3 style="margin-top:18px">{rest} more features</h3><p class="muted">'
                "listed in the table above, most severe first; each section draws its plot "
                "when opened</p>"
            )
        parts.append(_feature_section(feature, anchor, eager=position < eager))
    return "".join(parts)


def render_page(page: Page, *, eager: int = DEFAULT_EAGER) -> str:
    """The whole HTML document (plotly.js inlined once)."""
    toc = ""
    if len(page.monitors) > 1:
        links = " · ".join(f'<a href="#m{i}">{_e(m.name)}</a>' for i, m in enumerate(page.monitors))
        toc = f'<p class="muted">monitors: {links}</p>'
    body = "".join(_monitor_section(m, i, eager) for i, m in enumerate(page.monitors))
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="icon" href="data:,"><title>{_e(page.title)}</title>'
        f"<style>{_CSS}</style>"
        f"<script>{get_plotlyjs()}</script><script>{_SCRIPT}</script></head><body><main>"
        f'<h1>{_e(page.title)}</h1><p class="muted">{_e(page.source)} · shares of rows per bin, '
        "bins fixed by the reference; hatched bars are bins outside the reference's range or "
        f"vocabulary, and missing values</p>{toc}{body}</main></body></html>"
    )
