"""The significance (default) and calibrated threshold kinds, through evaluate and a monitor run."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from driftwatch import parse_config, run_monitor
from driftwatch.config import DEFAULT_THRESHOLDS, ThresholdConfig
from driftwatch.engine import CategoricalBins, Histogram, js_divergence
from driftwatch.evaluate import evaluate
from driftwatch.thresholds import EvaluationContext

BINS = CategoricalBins(vocabulary=("a", "b", "c"))


def verdict(live: list[int], reference: list[int], **threshold: Any) -> Any:
    live_h = Histogram(BINS, [*live, 0, 0])
    reference_h = Histogram(BINS, [*reference, 0, 0])
    value = js_divergence(live_h.counts, reference_h.counts)
    context = EvaluationContext("x", "js", reference_h, live_h)
    return evaluate(value, ThresholdConfig(**threshold), context)


def test_default_kind_is_significance() -> None:
    assert ThresholdConfig().kind == "significance"
    assert all(t.kind == "significance" for t in DEFAULT_THRESHOLDS.values())


@pytest.mark.parametrize(
    ("live", "reference", "status"),
    [
        pytest.param([34, 33, 33], [3300, 3400, 3300], "ok", id="no-drift"),
        pytest.param([30, 40, 30], [3000, 3300, 3700], "ok", id="noise-at-small-n"),
        pytest.param([1000, 3000, 6000], [3300, 3400, 3300], "critical", id="large-drift"),
        pytest.param([3600, 3300, 3100], [3300, 3400, 3300], "ok", id="significant-but-tiny"),
        pytest.param([3800, 3300, 2900], [3300, 3400, 3300], "warn", id="significant-and-material"),
    ],
)
def test_significance_needs_a_small_p_value_and_a_material_effect(
    live: list[int], reference: list[int], status: str
) -> None:
    result = verdict(live, reference, warn=0.001, critical=0.04)
    assert (result.status, result.kind) == (status, "significance")
    assert result.test in ("drift-test:chi2", "drift-test:permutation")
    assert result.dof == 2


def test_significance_records_p_value_test_and_a_readable_note() -> None:
    result = verdict([1000, 3000, 6000], [3300, 3400, 3300], warn=0.001, critical=0.04)
    assert result.p_value is not None and result.p_value < 1e-10
    assert result.note is not None and result.note.startswith("significant: p = ")


def test_significant_but_negligible_drift_says_so() -> None:
    result = verdict([34_500, 33_500, 32_000], [33_000, 34_000, 33_000], warn=0.001)
    assert result.status == "ok"
    assert result.note is not None and "below the 0.001 magnitude" in result.note


def test_significance_without_magnitudes_warns_on_the_p_value_alone() -> None:
    result = verdict([3600, 3300, 3100], [3300, 3400, 3300])
    assert result.status == "warn"


def test_reference_smaller_than_live_window_is_pointed_out() -> None:
    result = verdict([34_500, 33_500, 32_000], [330, 340, 330], warn=0.5)
    assert result.note is not None and "use a larger reference" in result.note


@pytest.mark.parametrize(
    ("live", "status"),
    [
        pytest.param([330, 340, 330], "ok", id="no-drift"),
        pytest.param([100, 300, 600], "critical", id="drift"),
    ],
)
def test_calibrated_flags_values_above_the_null_quantile(live: list[int], status: str) -> None:
    result = verdict(live, [3300, 3400, 3300], kind="calibrated", warn=0.001, critical=0.04)
    assert (result.status, result.kind, result.test) == (status, "calibrated", "null-bootstrap")
    assert result.warn is not None and result.warn >= 0.001
    assert result.note is not None and "0.99 quantile of js" in result.note


def test_calibrated_threshold_falls_as_the_window_grows() -> None:
    small = verdict([33, 34, 33], [3300, 3400, 3300], kind="calibrated", warn=0.0)
    large = verdict([3300, 3400, 3300], [3300, 3400, 3300], kind="calibrated", warn=0.0)
    assert small.warn > 10 * large.warn


# --- through a monitor run ------------------------------------------------------------------------


def _config(**defaults: Any) -> Any:
    return parse_config(
        {
            "defaults": {"metrics": ["js", "kl"], **defaults},
            "monitors": [
                {
                    "name": "m",
                    "reference": {"type": "dataframe", "name": "reference"},
                    "live": {"type": "dataframe", "name": "live"},
                    "features": {"numeric": [f"x{i}" for i in range(6)]},
                }
            ],
        }
    )


def _frames(live_rows: int, shift: float) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(11)
    reference = pd.DataFrame({f"x{i}": rng.normal(size=5_000) for i in range(6)})
    live = pd.DataFrame({f"x{i}": rng.normal(size=live_rows) for i in range(6)})
    live["x0"] += shift
    return {"reference": reference, "live": live}


def test_run_stores_p_value_test_and_dof_beside_each_value() -> None:
    results = run_monitor(_config(), "m", frames=_frames(2_000, 0.5), store=False)
    row = results[(results.feature == "x0") & (results.metric == "js")].iloc[0]
    assert row.status in ("warn", "critical")
    assert row.p_value < 1e-3 and row.test.startswith("drift-test") and row.dof >= 1
    assert row.reason.startswith("significant")


def test_bh_correction_adjusts_p_values_across_the_run_features() -> None:
    plain = run_monitor(_config(correction="none"), "m", frames=_frames(2_000, 0.12), store=False)
    corrected = run_monitor(_config(), "m", frames=_frames(2_000, 0.12), store=False)  # bh
    js_plain = plain[plain.metric == "js"].set_index("feature")
    js_bh = corrected[corrected.metric == "js"].set_index("feature")
    assert js_plain.p_value_adjusted.isna().all()
    assert (js_bh.p_value_adjusted >= js_bh.p_value - 1e-15).all()
    raw = js_bh.p_value.sort_values()
    expected = np.minimum(1.0, np.minimum.accumulate((raw * 6 / np.arange(1, 7))[::-1])[::-1])
    np.testing.assert_allclose(js_bh.p_value_adjusted[raw.index], expected, rtol=1e-12)


def test_bh_decides_on_the_adjusted_p_value() -> None:
    frames = _frames(2_000, 0.0)
    plain = run_monitor(_config(correction="none"), "m", frames=frames, store=False)
    corrected = run_monitor(_config(), "m", frames=frames, store=False)  # bh, the default
    for frame in (plain, corrected):
        js = frame[frame.metric == "js"]
        alpha = 0.01
        column = "p_value_adjusted" if frame is corrected else "p_value"
        flagged = js.status.isin(["warn", "critical"])
        assert not (flagged & (js[column] >= alpha)).any()


def test_window_below_min_rows_is_no_data_under_the_default_rule() -> None:
    frames = _frames(20, 3.0)
    results = run_monitor(_config(min_rows=30), "m", frames=frames, store=False)
    assert (results.status == "no_data").all()
    assert results.p_value.isna().all()
    assert results.reason.str.contains("fewer than min_rows=30").all()


# --- the tails of numeric bins are empty in the reference by construction ------------------------


def _numeric_verdict(live_values: np.ndarray, reference_values: np.ndarray) -> Any:
    from driftwatch.engine import fit_numeric_bins

    bins = fit_numeric_bins(reference_values, strategy="quantile", bins=10)
    reference, live = Histogram.of(reference_values, bins), Histogram.of(live_values, bins)
    value = js_divergence(live.counts, reference.counts)
    context = EvaluationContext("x", "js", reference, live)
    return evaluate(value, DEFAULT_THRESHOLDS["js"], context)


def test_a_few_live_values_beyond_the_reference_range_are_not_drift() -> None:
    rng = np.random.default_rng(3)
    reference = rng.normal(size=1_000)
    live = np.concatenate([rng.normal(size=60), [reference.max() + 0.1, reference.min() - 0.1]])
    result = _numeric_verdict(live, reference)
    assert result.status == "ok"
    assert result.dof == 9  # 10 interior bins; the two tails were merged into the edge bins


def test_live_data_beyond_the_reference_range_is_drift() -> None:
    rng = np.random.default_rng(3)
    reference = rng.normal(size=1_000)
    result = _numeric_verdict(rng.normal(size=200) + 10, reference)
    assert result.status == "critical"


def test_new_categories_of_a_high_cardinality_feature_are_not_drift() -> None:
    """Rare categories missing from the reference keep turning up live: pooled with __other__."""
    from driftwatch.engine import fit_categorical_bins

    rng = np.random.default_rng(0)
    weights = 1 / np.arange(1, 20_001) ** 1.1
    weights /= weights.sum()
    reference_values = rng.choice(20_000, 10_000, p=weights).astype(str)
    live_values = rng.choice(20_000, 1_000, p=weights).astype(str)
    bins = fit_categorical_bins(reference_values, top_k=50)
    reference, live = Histogram.of(reference_values, bins), Histogram.of(live_values, bins)
    assert live.unseen_share > 0.1
    value = js_divergence(live.counts, reference.counts)
    context = EvaluationContext("x", "js", reference, live)
    assert evaluate(value, DEFAULT_THRESHOLDS["js"], context).status == "ok"


def test_a_new_category_is_drift_when_the_reference_kept_every_category() -> None:
    result = verdict([200, 200, 200], [3300, 3400, 3300], warn=0.001)  # baseline: no drift
    assert result.status == "ok"
    live = Histogram(BINS, [200, 200, 200, 100, 0])  # 100 rows of a category never seen
    reference = Histogram(BINS, [3300, 3400, 3300, 0, 0])
    value = js_divergence(live.counts, reference.counts)
    context = EvaluationContext("x", "js", reference, live)
    assert evaluate(value, DEFAULT_THRESHOLDS["js"], context).status in ("warn", "critical")


def _zipf_windows(new_share: float) -> tuple[Histogram, Histogram]:
    """A 20,000-category Zipf reference (top 50 kept) and a 1,000-row live window of the same
    law, ``new_share`` of it replaced by one category never seen."""
    from driftwatch.engine import fit_categorical_bins

    rng = np.random.default_rng(0)
    weights = 1 / np.arange(1, 20_001) ** 1.1
    weights /= weights.sum()
    reference_values = rng.choice(20_000, 10_000, p=weights).astype(str)
    live_values = rng.choice(20_000, 1_000, p=weights).astype(str)
    live_values[: round(1_000 * new_share)] = "brand-new"
    bins = fit_categorical_bins(reference_values, top_k=50)
    return Histogram.of(reference_values, bins), Histogram.of(live_values, bins)


KINDS = [pytest.param("significance", id="significance"), pytest.param("calibrated", id="calib")]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("new_share", "flagged"),
    [pytest.param(0.0, False, id="usual-unseen-mass"), pytest.param(0.3, True, id="new-at-30%")],
)
def test_both_kinds_judge_unseen_categories_against_the_good_turing_mass(
    kind: str, new_share: float, flagged: bool
) -> None:
    reference, live = _zipf_windows(new_share)
    value = js_divergence(live.counts, reference.counts)
    rule = DEFAULT_THRESHOLDS["js"].model_copy(update={"kind": kind})
    status = evaluate(value, rule, EvaluationContext("x", "js", reference, live)).status
    assert (status in ("warn", "critical")) is flagged
