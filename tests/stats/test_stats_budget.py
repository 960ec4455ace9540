"""The monitor's error budget: one family per window, BH by default, the rate shown before a run."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from driftwatch.cli import cli
from driftwatch.config import DEFAULT_THRESHOLDS, BinningConfig, Config, FeatureSpec
from driftwatch.data import DATA_DIR
from driftwatch.engine import Histogram, fit_categorical_bins
from driftwatch.evaluate import correct, score_feature
from driftwatch.results import FeatureOutcome
from driftwatch.thresholds.correction import alert_budget, family_of_note, run_budget

BREACHING = ("warn", "critical")
SHARES = np.array([0.35, 0.25, 0.20, 0.12, 0.08])
CATEGORIES = fit_categorical_bins(np.array(list("abcde")))


def spec(name: str, **threshold: Any) -> FeatureSpec:
    js = DEFAULT_THRESHOLDS["js"].model_copy(update=threshold)
    return FeatureSpec(name, "categorical", BinningConfig(), ("js",), {"js": js}, 0.5)


def categorical(counts: np.ndarray) -> Histogram:
    full = np.zeros(CATEGORIES.n_bins, dtype=np.int64)
    full[:5] = counts
    return Histogram(CATEGORIES, full)


# --- the budget in numbers and words ------------------------------------------------------------


def test_bh_keeps_the_budget_at_alpha_whatever_the_number_of_features() -> None:
    for m in (5, 50, 1_000):
        budget = alert_budget("bh", {f"f{i}": [("significance", 0.01)] for i in range(m)})
        assert budget.rate == 0.01
        assert budget.text == (
            f"quiet windows alert ≤ 1 % (Benjamini-Hochberg over {m:,} features at alpha 0.01)"
        )


def test_no_correction_grows_with_the_number_of_features() -> None:
    budget = alert_budget("none", {f"f{i}": [("significance", 0.01)] for i in range(25)})
    assert budget.rate == pytest.approx(1 - 0.99**25)
    assert budget.text.startswith("quiet windows alert up to 1 − (1 − 0.01)^25 ≈ 22 %")
    assert "correction: bh keeps it ≤ 1 %" in budget.text


def test_features_deciding_by_another_rule_are_named_outside_the_family() -> None:
    budget = alert_budget(
        "bh",
        {"a": [("significance", 0.01)], "b": [("calibrated", 0.01)], "c": [("constant", None)]},
    )
    assert (budget.family, budget.outside) == (1, ("b", "c"))
    assert budget.text.endswith("not counted: 2 features deciding by another rule (b, c)")
    assert alert_budget("bh", {"c": [("constant", None)]}).text.startswith("no feature decides")


def test_validate_shows_each_monitors_budget_in_text_and_json(tmp_path: Path) -> None:
    source = {"type": "csv", "path": str(DATA_DIR / "seattle-weather.csv")}
    features = {"numeric": ["temp_max", "temp_min", "wind", "precipitation"]}
    config = {
        "monitors": [
            {"name": "default", "reference": source, "live": source, "features": features},
            {
                "name": "plain",
                "reference": source,
                "live": source,
                "features": features,
                "correction": "none",
            },
        ]
    }
    path = tmp_path / "driftwatch.yaml"
    path.write_text(json.dumps(config), encoding="utf-8")
    runner = CliRunner()
    text = runner.invoke(cli, ["validate", "--config", str(path)], catch_exceptions=False)
    assert text.exit_code == 0, text.output
    flat = " ".join(text.output.split())
    assert "quiet windows alert ≤ 1 % (Benjamini-Hochberg over 4 features at alpha 0.01)" in flat
    assert "quiet windows alert up to 1 − (1 − 0.01)^4 ≈ 3.9 %" in flat
    document = json.loads(
        runner.invoke(cli, ["validate", "--config", str(path), "--format", "json"]).output
    )
    budgets = [m["alert_budget"] for m in document["monitors"]]
    assert [b["correction"] for b in budgets] == ["bh", "none"]
    assert budgets[0]["quiet_window_alert_rate"] == 0.01
    assert budgets[1]["quiet_window_alert_rate"] == pytest.approx(1 - 0.99**4)


# --- the family: one decision p-value per feature -----------------------------------------------


def test_the_family_is_one_p_value_per_feature_and_every_metric_follows_it() -> None:
    rng = np.random.default_rng(5)
    reference = categorical(rng.multinomial(20_000, SHARES))
    two_metrics = replace(
        spec("x"), metrics=("js", "kl"), thresholds={**spec("x").thresholds, **DEFAULT_THRESHOLDS}
    )
    specs = [two_metrics, *(spec(f"y{i}") for i in range(3))]
    lives = [categorical(rng.multinomial(1_000, SHARES)) for _ in specs]
    outcomes = [score_feature(s, reference, live) for s, live in zip(specs, lives, strict=True)]
    corrected = correct(outcomes, specs)
    notes = [m.reason for f in corrected for m in f.metrics]
    assert all(family_of_note(note) == (4, 0.01) for note in notes)  # not 5: one per feature
    js, kl = corrected[0].metrics
    assert js.p_value_adjusted == kl.p_value_adjusted is not None


def test_a_feature_deciding_by_another_rule_stays_out_of_the_family() -> None:
    rng = np.random.default_rng(6)
    reference = categorical(rng.multinomial(20_000, SHARES))
    calibrated = spec("c", kind="calibrated")
    specs = [spec("a"), spec("b"), calibrated]
    outcomes = [
        score_feature(s, reference, categorical(rng.multinomial(1_000, SHARES))) for s in specs
    ]
    corrected = correct(outcomes, specs)
    assert corrected[2] == outcomes[2]
    assert family_of_note(corrected[0].metrics[0].reason) == (2, 0.01)
    budget = run_budget(
        {
            f.name: (
                f.metrics[0].verdict.kind if f.metrics[0].verdict else None,
                f.metrics[0].reason,
            )
            for f in corrected
        }
    )
    assert budget is not None and (budget.correction, budget.family, budget.outside) == (
        "bh",
        2,
        ("c",),
    )


def test_a_lone_drift_decided_by_permutations_is_resolved_below_the_familys_bar() -> None:
    """With 1,000 permutations a p-value is at least 1/1001 (1/800.8 after the interior's 0.8
    weight): over 20 features BH's bar for a lone drift, 0.01/20, is below it. The correction
    rescores such a member with more permutations instead of silencing it."""
    rng = np.random.default_rng(7)
    specs = [spec(f"f{i}", permutations=1_000) for i in range(20)]
    reference = categorical(rng.multinomial(2_000, SHARES))
    drifted = np.array([0.05, 0.05, 0.2, 0.3, 0.4])
    lives = [categorical(rng.multinomial(40, drifted if i == 0 else SHARES)) for i in range(20)]
    outcomes = [score_feature(s, reference, live) for s, live in zip(specs, lives, strict=True)]
    verdict = outcomes[0].metrics[0].verdict
    assert verdict is not None and verdict.test == "drift-test:permutation"
    assert verdict.p_value is not None and verdict.p_value * 20 > 0.01  # at the floor
    corrected = correct(outcomes, specs)
    assert corrected[0].status in BREACHING
    refined = corrected[0].metrics[0].verdict
    assert refined is not None and refined.p_value is not None and refined.p_value < 1 / 1001
    assert "[p-value from 100,000 permutations]" in (corrected[0].metrics[0].reason or "")


# --- the budget, simulated -----------------------------------------------------------------------


def _quiet_windows(specs: list[FeatureSpec], windows: int, seed: int) -> tuple[int, int]:
    """Windows with any alert among independent no-drift categorical features: (none, bh)."""
    rng = np.random.default_rng(seed)
    alerts = [0, 0]
    references: list[Histogram] = []
    for w in range(windows):
        if w % 20 == 0:  # a fresh reference per feature every 20 windows
            references = [categorical(rng.multinomial(5_000, SHARES)) for _ in specs]
        outcomes: tuple[FeatureOutcome, ...] = tuple(
            score_feature(s, r, categorical(rng.multinomial(200, SHARES)))
            for s, r in zip(specs, references, strict=True)
        )
        alerts[0] += any(f.status in BREACHING for f in outcomes)
        alerts[1] += any(f.status in BREACHING for f in correct(outcomes, specs))
    return alerts[0], alerts[1]


def test_fifty_quiet_features_alert_rarely_with_the_default_and_often_without() -> None:
    assert Config.model_fields["defaults"].default.correction == "bh"
    specs = [spec(f"f{i}") for i in range(50)]
    uncorrected, default = _quiet_windows(specs, 200, seed=11)
    assert default <= 3
    assert uncorrected >= 30  # 1 − 0.992^50 ≈ 33 % of 200 windows
