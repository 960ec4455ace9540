"""p-values, test names and degrees of freedom are stored beside each value, on every backend."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from driftwatch import parse_config
from driftwatch.monitor import MonitorRunner


def test_stored_row_carries_p_value_adjusted_p_value_test_and_dof(store: Any) -> None:
    config = parse_config(
        {
            "defaults": {"metrics": ["js"], "correction": "bh"},
            "monitors": [
                {
                    "name": "m",
                    "reference": {"type": "dataframe", "name": "reference"},
                    "live": {"type": "dataframe", "name": "live"},
                    "features": {"numeric": ["x", "y"], "categorical": ["c"]},
                    "overrides": {"y": {"thresholds": {"js": {"kind": "calibrated"}}}},
                }
            ],
        }
    )
    rng = np.random.default_rng(5)
    reference = pd.DataFrame(
        {
            "x": rng.normal(size=3_000),
            "y": rng.normal(size=3_000),
            "c": rng.choice(list("ab"), 3_000),
        }
    )
    live = pd.DataFrame(
        {
            "x": rng.normal(1.0, size=500),
            "y": rng.normal(size=500),
            "c": rng.choice(list("ab"), 500),
        }
    )
    runner = MonitorRunner(config, store=store, frames={"reference": reference, "live": live})
    runner.run("m")
    with store.engine.connect() as connection:
        rows = {
            r.feature: r
            for r in connection.execute(
                sa.text(
                    "SELECT feature, status, threshold_kind, p_value, p_value_adjusted, test, dof,"
                    " warn_threshold, decision_threshold, reason FROM feature_results"
                )
            )
        }
    assert rows["x"].status == "critical" and rows["x"].threshold_kind == "significance"
    assert rows["x"].test.startswith("drift-test:") and rows["x"].dof >= 1
    assert rows["x"].decision_threshold >= rows["x"].warn_threshold
    assert rows["x"].p_value_adjusted >= rows["x"].p_value
    assert rows["c"].test == "drift-test:chi2" and rows["c"].dof == 1
    assert rows["y"].threshold_kind == "calibrated" and rows["y"].test == "null-bootstrap"
    assert rows["y"].p_value_adjusted is None and rows["y"].dof is None
    assert rows["y"].warn_threshold > 0.001
    assert rows["y"].decision_threshold == rows["y"].warn_threshold
    assert "0.99 quantile of js" in rows["y"].reason
