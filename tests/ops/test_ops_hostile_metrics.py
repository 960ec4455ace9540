"""``driftwatch metrics`` with hostile feature names passes ``promtool check metrics``.

Every value of the corpus (tests/helpers/hostile.py) names a feature of one monitor. The
exposition must hold no control byte (its label values are escaped with
:func:`driftwatch.escaping.prometheus_label`, so a label is the same when piped, printed or
scraped) and pass Prometheus's own linter. promtool comes with Debian's ``prometheus`` package:
the test skips without it, except under CI (``CI=true``), which installs it, where it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families

from driftwatch.api import run_monitors
from driftwatch.cli import cli
from driftwatch.config import parse_config
from driftwatch.escaping import prometheus_label
from driftwatch.store import Store
from tests.helpers import FakeClock
from tests.helpers.hostile import HOSTILE, as_feature_name, raw_markers_in

PROMTOOL = "/usr/bin/promtool"


def promtool() -> str:
    if shutil.which(PROMTOOL) is None:
        message = f"{PROMTOOL} is missing: apt-get install prometheus (it ships promtool)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return PROMTOOL


def test_metrics_with_hostile_feature_names_pass_promtool(tmp_path: Path) -> None:
    linter = promtool()
    features = [as_feature_name(value) for value in HOSTILE.values()]
    rng = np.random.default_rng(3)
    categories = np.array(["x", "y", *HOSTILE.values()], dtype=object)
    frames = {
        role: pd.DataFrame({f: rng.choice(categories, 400) for f in features})
        for role in ("reference", "live")
    }
    config = parse_config(
        {
            "database": "sqlite:///unused.db",
            "monitors": [
                {
                    "name": "model",
                    "reference": {"type": "dataframe", "name": "reference"},
                    "live": {"type": "dataframe", "name": "live"},
                    "features": {"categorical": features},
                    "metrics": ["js"],
                }
            ],
        }
    )
    url = f"sqlite:///{tmp_path / 'results.db'}"
    store = Store.open(url)
    try:
        run_monitors(config, store, clock=FakeClock(), frames=frames)
    finally:
        store.close()

    result = CliRunner().invoke(cli, ["metrics", "--database", url], color=True)
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert raw_markers_in(text) == []
    labels = {
        sample.labels["feature"]
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if "feature" in sample.labels
    }
    assert labels == {prometheus_label(f) for f in features}
    checked = subprocess.run(
        [linter, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
