"""Names from the data are text on the page: features and categories named like markup.

A feature called ``<img src=x onerror=alert(1)>`` and a category called
``<script>alert(1)</script>`` go through a whole report — computed in memory and read back from
the store — and come out escaped everywhere: in the HTML (autoescaped templates), in the figures'
JSON islands (``|tojson``) and in the plot labels (plotly's entities, so ``<b>bold</b>`` is not
bold). What the page does with them in a browser is tested in ``test_report_browser.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from report_helpers import BOLD, IMG, SCRIPT, anatomy, hostile_frames

import driftwatch
from driftwatch.report import render_store_html
from driftwatch.report.figures import plot_text

ISLAND = re.compile(r'<script type="application/json" id="[^"]+">(.*?)</script>', re.S)


def escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@pytest.fixture(scope="module")
def report() -> driftwatch.DriftReport:
    reference, live = hostile_frames()
    return driftwatch.compare(reference, live)


@pytest.fixture(params=["run", "store"])
def page(request: pytest.FixtureRequest, report: driftwatch.DriftReport, tmp_path: Path) -> str:
    """The report's HTML, rendered from the run in memory or from the results database."""
    if request.param == "run":
        return report.to_html()
    url = f"sqlite:///{tmp_path / 'results.db'}"
    report.save(url)
    return render_store_html(url)


def test_markup_in_feature_and_category_names_never_reaches_the_page_raw(page: str) -> None:
    for name in (IMG, SCRIPT, BOLD):
        assert name not in page
    assert escaped(IMG) in page  # the feature name and the category, as text
    assert escaped(SCRIPT) in page
    parsed = anatomy(page)
    assert sorted(parsed.sections) == sorted([IMG, SCRIPT])  # the names, read back as text
    assert parsed.tags["img"] == 0
    assert parsed.handlers == []
    assert parsed.tags["script"] == 2 + parsed.islands  # plotly.js, the page script, the figures


def test_the_categories_are_text_in_the_moved_bins_table(page: str) -> None:
    start = f'<section class="feature" id="[^"]+" data-feature="{re.escape(escaped(SCRIPT))}">'
    section = re.search(f"{start}(.*?)</section>", page, re.S)
    assert section is not None
    moved = section.group(1).split("bins that moved most")[1]
    cells = re.findall(r"<td>([^<]*)</td>", moved)
    assert {escaped(IMG), escaped(SCRIPT), escaped(BOLD)} <= set(cells)


def test_the_figures_json_is_escaped_and_its_labels_are_plotly_text(page: str) -> None:
    islands = ISLAND.findall(page)
    assert len(islands) == 2
    for text in islands:
        assert "<" not in text and ">" not in text  # |tojson: \u003c, \u003e
    labels = {x for text in islands for x in json.loads(text)["data"][0]["x"]}
    # What plotly gets: entities it decodes back to the literal label (so <b> is not bold).
    assert {plot_text(IMG), plot_text(SCRIPT), plot_text(BOLD)} <= labels
    assert not {IMG, SCRIPT, BOLD} & labels


def test_plot_text_escapes_what_plotly_would_read_as_markup_or_entities() -> None:
    assert plot_text("a & b <br> &lt;") == "a &amp; b &lt;br&gt; &amp;lt;"
    assert plot_text("(-inf, 0.5]") == "(-inf, 0.5]"


def test_the_notebook_figure_shows_the_labels_literally(report: driftwatch.DriftReport) -> None:
    x = list(report.plot(SCRIPT).data[0].x)
    assert {plot_text(IMG), plot_text(SCRIPT), plot_text(BOLD)} <= set(x)
