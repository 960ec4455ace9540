"""The example's report in a real headless Chromium: it draws, it errs nowhere, it fetches nothing.

``driftwatch run`` and ``driftwatch report --html`` run as subprocesses (the commands a person
types) into a temporary database; the file is opened in Debian's Chromium over the DevTools
protocol, and the test fails on any console error, uncaught exception or browser error-log entry,
and on any request but the file itself. The screenshot is kept under the test's temporary
directory (and written to ``$DRIFTWATCH_REPORT_SCREENSHOT`` when set, to refresh
``docs/report.png``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from report_browser import CHROMIUM, chromium, open_file
from report_helpers import EXAMPLE, example_features

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
