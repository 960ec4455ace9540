"""The threshold-kind registry is the one list of accepted ``kind`` names: configs follow it."""

from __future__ import annotations

import pandas as pd
import pytest

from driftwatch import ConfigError, parse_config, run_monitor
from driftwatch.config import Config
from driftwatch.results import Verdict
from driftwatch.thresholds import EvaluationContext, ThresholdSettings, threshold_kinds
from driftwatch.thresholds.base import _RULES


class AlwaysWarn:
    """A custom rule: every value warns."""

    def evaluate(
        self, value: float, threshold: ThresholdSettings, context: EvaluationContext
    ) -> Verdict:
        return Verdict("warn", threshold.warn, threshold.critical, "always-warn")


def config_with(kind: str) -> Config:
    return parse_config(
        {
            "defaults": {"min_rows": 1, "metrics": ["js"], "thresholds": {"js": {"kind": kind}}},
            "monitors": [
                {
                    "name": "m",
                    "reference": {"type": "dataframe", "name": "reference"},
                    "live": {"type": "dataframe", "name": "live"},
                    "features": {"numeric": ["x"]},
                }
            ],
        }
    )


def test_the_built_in_kinds_are_registered() -> None:
    assert threshold_kinds() == ("calibrated", "constant", "significance")


def test_an_unknown_kind_names_every_registered_one() -> None:
    accepted = "choose one of: calibrated, constant, significance"
    with pytest.raises(ConfigError, match=f"unknown threshold kind 'fixed'; {accepted}"):
        config_with("fixed")


def test_a_registered_kind_is_accepted_by_configs_and_used_by_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ConfigError, match="unknown threshold kind 'always-warn'"):
        config_with("always-warn")
    monkeypatch.setitem(_RULES, "always-warn", AlwaysWarn)

    frame = pd.DataFrame({"x": range(50)})
    config = config_with("always-warn")
    results = run_monitor(config, "m", frames={"reference": frame, "live": frame}, store=False)

    assert (results.status.tolist(), results.threshold_kind.tolist()) == (["warn"], ["always-warn"])
