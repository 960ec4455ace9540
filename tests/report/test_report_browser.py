"""The example's report in a real headless Chromium: it draws, it errs nowhere, it fetches nothing.

``driftwatch run`` and ``driftwatch report --html`` run as subprocesses (the commands a person
types) into a temporary database; the file is opened in Debian's Chromium over the DevTools
protocol, and the test fails on any console error, uncaught exception or browser error-log entry,
and on any request but the file itself. A report whose features and categories are named like
markup is opened with ``alert`` and its kin trapped: nothing may run, load or be created from the
names. The screenshot is kept under the test's temporary
directory (and written to ``$DRIFTWATCH_REPORT_SCREENSHOT`` when set, to refresh
``docs/report.png``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from report_browser import CHROMIUM, Page, chromium, open_file
from report_helpers import BOLD, EXAMPLE, IMG, SCRIPT, example_features, hostile_frames

from driftwatch import compare
from tests.helpers import run_cli

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def driftwatch(*args: str, database: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env={"DRIFTWATCH_DB": database}, timeout=300)


@pytest.fixture
def example_report(tmp_path: Path) -> Path:
    database = f"sqlite:///{tmp_path / 'results.db'}"
    ran = driftwatch("run", "--config", str(EXAMPLE), database=database)
    assert ran.returncode in (0, 1), ran.stderr  # 1: drift found (the example has some)
    out = tmp_path / "report.html"
    made = driftwatch("report", "--config", str(EXAMPLE), "--html", str(out), database=database)
    assert made.returncode == 0, made.stderr
    return out


def test_the_example_report_draws_in_chromium_without_errors_or_requests(
    example_report: Path, tmp_path: Path
) -> None:
    features = [f for names in example_features().values() for f in names]
    with chromium() as page:
        open_file(page, example_report, timeout=120)
        drawn = page.poll(
            "document.querySelectorAll('.plot[data-drawn] .main-svg').length > 0 && "
            "document.querySelectorAll('.plot.js-plotly-plot').length",
            len(features),
            timeout=120,
        )
        plotted = page.evaluate(
            "Array.from(document.querySelectorAll('section.feature')).filter("
            "s => s.querySelectorAll('.js-plotly-plot').length === 1"
            ").map(s => s.dataset.feature)"
        )
        bars = page.evaluate("document.querySelectorAll('.plot .barlayer .point').length")
        shot = page.screenshot(tmp_path / "report.png")
        requests, errors = page.requests, page.errors
    assert errors == []
    assert requests == [example_report.resolve().as_uri()]
    assert drawn == len(features)
    assert sorted(plotted) == sorted(features)  # one plot per feature, in its own section
    assert bars > 2 * len(features)  # reference and live bars were drawn
    assert shot.read_bytes().startswith(PNG_MAGIC)
    keep = os.environ.get("DRIFTWATCH_REPORT_SCREENSHOT")
    if keep:
        shutil.copyfile(shot, keep)


def test_the_browser_check_sees_console_errors_and_network_requests(tmp_path: Path) -> None:
    """The harness itself: a page that logs an error, throws and asks the network is caught."""
    page_file = tmp_path / "bad.html"
    page_file.write_text(
        "<!DOCTYPE html><html><head><link rel=icon href='data:,'></head><body>"
        "<img src='http://127.0.0.1:9/pixel.png'>"
        "<script>console.error('boom'); throw new Error('thrown');</script></body></html>",
        encoding="utf-8",
    )
    with chromium() as page:
        open_file(page, page_file)
        requests, errors = page.requests, page.errors
    assert "http://127.0.0.1:9/pixel.png" in requests
    assert any("boom" in e for e in errors)
    assert any("thrown" in e for e in errors)


TRAP = """
window.__dwCalls = [];
['alert', 'confirm', 'prompt', 'print', 'open'].forEach(function (name) {
  window[name] = function () {
    window.__dwCalls.push(name + '(' + Array.prototype.join.call(arguments, ',') + ')');
  };
});
"""
"""Run before any script of every page: calls of the dialog functions are recorded, not shown."""

HANDLERS = (
    "Array.from(document.querySelectorAll('*')).flatMap(e => Array.from(e.attributes)"
    ".filter(a => a.name.startsWith('on')).map(a => e.tagName.toLowerCase() + ' ' + a.name))"
)
"""Every event-handler attribute in the document, as ``"tag attribute"``."""


def settle(page: Page, milliseconds: int = 500) -> None:
    """Let timers and late events of the page run (an image's error comes after its request)."""
    page.send(
        "Runtime.evaluate",
        {"expression": f"new Promise(r => setTimeout(r, {milliseconds}))", "awaitPromise": True},
    )


def test_markup_in_feature_and_category_names_runs_nothing_in_chromium(tmp_path: Path) -> None:
    reference, live = hostile_frames()
    report = tmp_path / "hostile.html"
    compare(reference, live).to_html(report)
    with chromium() as page:
        page.send("Page.addScriptToEvaluateOnNewDocument", {"source": TRAP})
        open_file(page, report, timeout=120)
        drawn = page.poll(
            "document.querySelectorAll('.plot[data-drawn] .main-svg').length > 0 && "
            "document.querySelectorAll('.plot.js-plotly-plot').length",
            2,
            timeout=120,
        )
        settle(page)
        calls = page.evaluate("window.__dwCalls")
        handlers = page.evaluate(HANDLERS)
        images = page.evaluate("document.querySelectorAll('img').length")
        scripts = page.evaluate("document.scripts.length")
        headings = page.evaluate(
            "Array.from(document.querySelectorAll('section.feature h3')).map(h => h.textContent)"
        )
        ticks = page.evaluate(
            "Array.from(document.querySelectorAll('.xtick text')).map(t => t.textContent)"
        )
        styled_ticks = page.evaluate("document.querySelectorAll('.xtick text tspan').length")
        requests, errors, dialogs = page.requests, page.errors, page.dialogs
    assert drawn == 2
    assert calls == [] and dialogs == []  # no alert ran, trapped or shown
    assert errors == []
    assert requests == [report.resolve().as_uri()]  # no image "x" was fetched
    assert handlers == [] and images == 0  # no onerror, no img made from a name
    assert scripts == 4  # plotly.js, the page script, two figure islands
    assert sorted(headings) == sorted([IMG, SCRIPT])  # the names shown as text
    assert {IMG, SCRIPT, BOLD} <= set(ticks)  # the categories too, in the plot
    assert styled_ticks == 0  # plotly read no tag in a label: <b>bold</b> is not bold


def test_the_browser_check_sees_markup_that_runs(tmp_path: Path) -> None:
    """The harness itself: a dialog is seen (and dismissed); the names pasted raw are caught."""
    dialog = tmp_path / "dialog.html"
    dialog.write_text(
        "<!DOCTYPE html><html><head><link rel=icon href='data:,'></head><body>"
        "<script>alert('shown')</script></body></html>",
        encoding="utf-8",
    )
    raw = tmp_path / "raw.html"
    raw.write_text(
        "<!DOCTYPE html><html><head><link rel=icon href='data:,'></head><body>"
        f"<h3>{IMG}</h3><h3>{SCRIPT}</h3><b>{BOLD}</b></body></html>",
        encoding="utf-8",
    )
    with chromium() as page:
        open_file(page, dialog)
        dialogs = page.dialogs
        alive = page.evaluate("1 + 1")  # the dismissed dialog no longer blocks the page
        page.send("Page.addScriptToEvaluateOnNewDocument", {"source": TRAP})
        open_file(page, raw)
        calls = page.poll("window.__dwCalls.length", 2, timeout=30)
        calls = page.evaluate("window.__dwCalls")
        handlers = page.evaluate(HANDLERS)
        requests = page.requests
    assert dialogs == ["shown"]
    assert alive == 2
    assert sorted(calls) == ["alert(1)", "alert(1)"]
    assert handlers == ["img onerror"]
    assert (tmp_path / "x").as_uri() in requests
