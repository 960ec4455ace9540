"""The report states each monitor's error budget: how often a window without drift may alert."""

from __future__ import annotations

import numpy as np
import pandas as pd

from driftwatch import api, parse_config
from driftwatch.report import render_run_html
from driftwatch.report.model import page_from_outcome, page_from_store
from driftwatch.store.queries import open_readonly


def test_the_stored_example_shows_its_budget_per_monitor(example_database: str) -> None:
    store = open_readonly(example_database)
    try:
        budgets = {m.name: m.budget for m in page_from_store(store).monitors}
    finally:
        store.close()
    assert budgets == {
        "car-loan": "quiet windows alert ≤ 1 % (Benjamini-Hochberg over 8 features at alpha 0.01)",
        "seattle-weather": (
            "quiet windows alert ≤ 1 % (Benjamini-Hochberg over 4 features at alpha 0.01); "
            "not counted: 1 feature deciding by another rule (wind)"
        ),
    }


def test_an_uncorrected_run_shows_how_its_budget_grows() -> None:
    rng = np.random.default_rng(2)
    names = [f"x{i}" for i in range(12)]
    reference = pd.DataFrame({n: rng.normal(size=1_000) for n in names})
    live = pd.DataFrame({n: rng.normal(size=500) for n in names})
    config = parse_config(
        {
            "defaults": {"correction": "none", "thresholds": {"js": {"alpha": 0.005}}},
            "monitors": [
                {
                    "name": "frames",
                    "reference": {"type": "dataframe", "name": "reference"},
                    "live": {"type": "dataframe", "name": "live"},
                    "features": {"numeric": names},
                }
            ],
        }
    )
    report = api.run(config, frames={"reference": reference, "live": live}, store=False)
    outcome = report.outcomes[0]
    (monitor,) = page_from_outcome(outcome).monitors
    assert monitor.budget is not None
    assert monitor.budget.startswith("quiet windows alert up to 1 − (1 − 0.005)^12 ≈ 5.8 %")
    assert "error budget: quiet windows alert up to 1 − (1 − 0.005)^12" in render_run_html(outcome)
