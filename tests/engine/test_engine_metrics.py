"""Divergences: scipy as the oracle, hand-computed values, input validation, the registry."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import entropy

from driftwatch.engine import (
    METRICS,
    bin_contributions,
    get_metric,
    hellinger,
    js_divergence,
    kl_divergence,
    metric_names,
    psi,
    total_variation,
)
from driftwatch.errors import EngineError

TOL = 1e-12


def random_pairs(n_pairs: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Seeded count vectors of 1..30 bins, about a third of the entries zero, positive sums."""
    rng = np.random.default_rng(seed)
    pairs: list[tuple[np.ndarray, np.ndarray]] = []
    while len(pairs) < n_pairs:
        k = int(rng.integers(1, 31))
        p = rng.integers(0, 1000, size=k) * (rng.random(k) > 0.33)
        q = rng.integers(0, 1000, size=k) * (rng.random(k) > 0.33)
        if p.sum() > 0 and q.sum() > 0:
            pairs.append((p.astype(float), q.astype(float)))
    return pairs


RANDOM_PAIRS = random_pairs(100, seed=20240611)

HAND_PAIRS = {
    "identical": ([1, 2, 3], [1, 2, 3]),
    "proportional": ([1, 2, 3], [10, 20, 30]),
    "probabilities": ([0.1, 0.2, 0.7], [0.3, 0.3, 0.4]),
    "disjoint": ([1, 0], [0, 1]),
    "live-only-bin": ([1, 1], [1, 0]),
    "reference-only-bin": ([1, 0], [1, 1]),
    "single-bin": ([5], [7]),
    "both-empty-bin": ([3, 0, 1], [1, 0, 3]),
    "fair-vs-biased-coin": ([0.5, 0.5], [0.9, 0.1]),
    "huge-counts": ([1e15, 1], [1, 1e15]),
}
ALL_PAIRS = [pytest.param(p, q, id=f"hand-{name}") for name, (p, q) in HAND_PAIRS.items()] + [
    pytest.param(p, q, id=f"random-{i}") for i, (p, q) in enumerate(RANDOM_PAIRS)
]


# ------------------------------------------------------------------------------------ oracles


@pytest.mark.parametrize("base", [math.e, 2.0, 10.0], ids=["nats", "bits", "bans"])
@pytest.mark.parametrize(("p", "q"), ALL_PAIRS)
def test_kl_without_smoothing_equals_scipy_entropy(p: Any, q: Any, base: float) -> None:
    expected = entropy(p, q, base=base)
    actual = kl_divergence(p, q, base=base, alpha=0.0)
    if math.isinf(expected):
        assert actual == math.inf
    else:
        assert actual == pytest.approx(expected, abs=TOL, rel=TOL)


@pytest.mark.parametrize(("p", "q"), ALL_PAIRS)
def test_kl_without_smoothing_is_inf_exactly_where_scipy_is(p: Any, q: Any) -> None:
    assert math.isinf(kl_divergence(p, q)) == math.isinf(entropy(p, q))


@pytest.mark.parametrize("base", [2.0, math.e], ids=["bits", "nats"])
@pytest.mark.parametrize(("p", "q"), ALL_PAIRS)
def test_js_is_the_square_of_scipy_jensenshannon(p: Any, q: Any, base: float) -> None:
    expected = jensenshannon(p, q, base=base) ** 2
    assert js_divergence(p, q, base=base) == pytest.approx(expected, abs=TOL)


def _hellinger_by_hand(p: list[float], q: list[float]) -> float:
    sp, sq = sum(p), sum(q)
    return math.sqrt(
        0.5 * sum((math.sqrt(a / sp) - math.sqrt(b / sq)) ** 2 for a, b in zip(p, q, strict=True))
    )


def _tvd_by_hand(p: list[float], q: list[float]) -> float:
    sp, sq = sum(p), sum(q)
    return 0.5 * sum(abs(a / sp - b / sq) for a, b in zip(p, q, strict=True))


@pytest.mark.parametrize(("p", "q"), ALL_PAIRS)
def test_hellinger_equals_its_formula(p: Any, q: Any) -> None:
    expected = _hellinger_by_hand(list(map(float, p)), list(map(float, q)))
    assert hellinger(p, q) == pytest.approx(expected, abs=TOL)


@pytest.mark.parametrize(("p", "q"), ALL_PAIRS)
def test_total_variation_equals_its_formula(p: Any, q: Any) -> None:
    expected = _tvd_by_hand(list(map(float, p)), list(map(float, q)))
    assert total_variation(p, q) == pytest.approx(expected, abs=TOL)


@pytest.mark.parametrize("alpha", [0.5, 1.0, 0.01], ids=["alpha-0.5", "alpha-1", "alpha-0.01"])
@pytest.mark.parametrize(("p", "q"), ALL_PAIRS)
def test_psi_is_kl_both_ways(p: Any, q: Any, alpha: float) -> None:
    both_ways = kl_divergence(p, q, alpha=alpha) + kl_divergence(q, p, alpha=alpha)
    assert psi(p, q, alpha=alpha) == pytest.approx(both_ways, abs=TOL, rel=TOL)


# ------------------------------------------------------------------------- hand-computed values


def test_kl_smoothing_adds_alpha_to_every_count_of_bins_not_empty_in_both() -> None:
    # bins: [2, 0] vs [0, 2] after the both-empty middle bin is dropped; k = 2, n = 2 on each side
    p_s = np.array([2.5, 0.5]) / 3.0
    q_s = np.array([0.5, 2.5]) / 3.0
    expected = float(np.sum(p_s * np.log(p_s / q_s)))
    assert kl_divergence([2, 0, 0], [0, 0, 2], alpha=0.5) == pytest.approx(expected, abs=TOL)


def test_kl_smoothing_drops_bins_empty_in_both() -> None:
    assert kl_divergence([3, 0, 1, 0], [1, 0, 3, 0], alpha=0.5) == kl_divergence(
        [3, 1], [1, 3], alpha=0.5
    )


def test_kl_with_smoothing_is_finite_where_reference_is_empty() -> None:
    assert math.isfinite(kl_divergence([5, 5], [10, 0], alpha=0.5))


def test_kl_is_live_from_reference_not_symmetric() -> None:
    p, q = [9, 1], [5, 5]
    assert kl_divergence(p, q) == pytest.approx(entropy(p, q))
    assert kl_divergence(p, q) != pytest.approx(kl_divergence(q, p))


def test_psi_textbook_value() -> None:
    p, q = np.array([0.2, 0.3, 0.5]), np.array([0.25, 0.25, 0.5])
    expected = float(np.sum((p - q) * np.log(p / q)))
    assert psi([20, 30, 50], [25, 25, 50], alpha=0.0) == pytest.approx(expected, abs=TOL)


def test_psi_without_smoothing_is_inf_for_a_one_sided_empty_bin() -> None:
    assert psi([1, 1], [1, 0], alpha=0.0) == math.inf


def test_js_of_disjoint_distributions_is_one_bit() -> None:
    assert js_divergence([4, 0], [0, 7]) == pytest.approx(1.0, abs=TOL)


def test_js_is_the_divergence_not_scipys_distance() -> None:
    p, q = [9, 1], [1, 9]
    assert js_divergence(p, q) == pytest.approx(jensenshannon(p, q, base=2) ** 2, abs=TOL)
    assert js_divergence(p, q) < jensenshannon(p, q, base=2)


@pytest.mark.parametrize(
    "metric",
    [
        pytest.param(lambda p, q: kl_divergence(p, q), id="kl"),
        pytest.param(lambda p, q: js_divergence(p, q), id="js"),
        pytest.param(lambda p, q: hellinger(p, q), id="hellinger"),
        pytest.param(lambda p, q: total_variation(p, q), id="tvd"),
    ],
)
def test_counts_and_probabilities_give_the_same_value(
    metric: Callable[[Any, Any], float],
) -> None:
    counts_p, counts_q = [2, 3, 5], [4, 4, 2]
    probs_p, probs_q = [0.2, 0.3, 0.5], [0.4, 0.4, 0.2]
    assert metric(counts_p, counts_q) == pytest.approx(metric(probs_p, probs_q), abs=TOL)


@pytest.mark.parametrize(
    "metric",
    [
        pytest.param(lambda p, q: kl_divergence(p, q, alpha=0.5), id="kl"),
        pytest.param(lambda p, q: js_divergence(p, q), id="js"),
        pytest.param(lambda p, q: psi(p, q), id="psi"),
        pytest.param(lambda p, q: hellinger(p, q), id="hellinger"),
        pytest.param(lambda p, q: total_variation(p, q), id="tvd"),
    ],
)
def test_metrics_return_python_floats(metric: Callable[[Any, Any], float]) -> None:
    assert type(metric(np.array([1, 2]), np.array([2, 1]))) is float


# ---------------------------------------------------------------------------------- bad input

METRIC_CALLS = [
    pytest.param(lambda p, q: kl_divergence(p, q), id="kl"),
    pytest.param(lambda p, q: kl_divergence(p, q, alpha=0.5), id="kl-smoothed"),
    pytest.param(lambda p, q: js_divergence(p, q), id="js"),
    pytest.param(lambda p, q: psi(p, q), id="psi"),
    pytest.param(lambda p, q: hellinger(p, q), id="hellinger"),
    pytest.param(lambda p, q: total_variation(p, q), id="tvd"),
    pytest.param(lambda p, q: bin_contributions(p, q, ["a"] * len(p)), id="contributions"),
]

BAD_INPUTS = [
    pytest.param([1, 2, 3], [1, 2], "different lengths", id="mismatched-lengths"),
    pytest.param([1, -1, 3], [1, 2, 3], "negative", id="negative-live"),
    pytest.param([1, 2, 3], [1, 2, -0.5], "negative", id="negative-reference"),
    pytest.param([1, math.nan], [1, 2], "non-finite", id="nan"),
    pytest.param([1, 2], [math.inf, 2], "non-finite", id="inf"),
    pytest.param([], [], "empty", id="empty"),
    pytest.param([0, 0], [1, 2], "sums to zero", id="zero-sum-live"),
    pytest.param([1, 2], [0, 0], "sums to zero", id="zero-sum-reference"),
    pytest.param([[1, 2]], [[1, 2]], "1-D", id="two-dimensional"),
    pytest.param(["a", "b"], [1, 2], "numbers", id="not-numbers"),
]


@pytest.mark.parametrize("metric", METRIC_CALLS)
@pytest.mark.parametrize(("p", "q", "message"), BAD_INPUTS)
def test_bad_vectors_raise_engine_error(
    metric: Callable[[Any, Any], object], p: Any, q: Any, message: str
) -> None:
    with pytest.raises(EngineError, match=message):
        metric(p, q)


@pytest.mark.parametrize("alpha", [-0.1, math.nan, math.inf], ids=["negative", "nan", "inf"])
def test_bad_alpha_raises(alpha: float) -> None:
    with pytest.raises(EngineError, match="alpha"):
        kl_divergence([1, 2], [2, 1], alpha=alpha)
    with pytest.raises(EngineError, match="alpha"):
        psi([1, 2], [2, 1], alpha=alpha)


@pytest.mark.parametrize("base", [1.0, 0.0, -2.0, math.inf], ids=["one", "zero", "negative", "inf"])
def test_bad_log_base_raises(base: float) -> None:
    with pytest.raises(EngineError, match="base"):
        kl_divergence([1, 2], [2, 1], base=base)
    with pytest.raises(EngineError, match="base"):
        js_divergence([1, 2], [2, 1], base=base)


# ----------------------------------------------------------------------------------- registry


def test_metric_names_are_sorted() -> None:
    assert metric_names() == ("hellinger", "js", "kl", "psi", "tvd")


def test_unknown_metric_message_lists_the_valid_names() -> None:
    with pytest.raises(EngineError) as excinfo:
        get_metric("jsd")
    assert str(excinfo.value) == "unknown metric 'jsd'; choose one of: hellinger, js, kl, psi, tvd"


@pytest.mark.parametrize(
    ("name", "unit"),
    [
        ("kl", "nats"),
        ("js", "bits"),
        ("psi", "nats"),
        ("hellinger", "unitless"),
        ("tvd", "unitless"),
    ],
    ids=["kl", "js", "psi", "hellinger", "tvd"],
)
def test_metric_units(name: str, unit: str) -> None:
    metric = get_metric(name)
    assert (metric.name, metric.unit) == (name, unit)
    assert metric.description


LIVE, REF = np.array([30, 5, 0, 65]), np.array([25, 25, 10, 40])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("kl", lambda a: kl_divergence(LIVE, REF, base=math.e, alpha=a), id="kl"),
        pytest.param("js", lambda a: js_divergence(LIVE, REF, base=2.0), id="js"),
        pytest.param("psi", lambda a: psi(LIVE, REF, alpha=a), id="psi"),
        pytest.param("hellinger", lambda a: hellinger(LIVE, REF), id="hellinger"),
        pytest.param("tvd", lambda a: total_variation(LIVE, REF), id="tvd"),
    ],
)
@pytest.mark.parametrize("alpha", [0.5, 2.0], ids=["alpha-0.5", "alpha-2"])
def test_registry_compute_applies_project_conventions(
    name: str, expected: Callable[[float], float], alpha: float
) -> None:
    assert get_metric(name).compute(LIVE, REF, alpha) == expected(alpha)


def test_registry_cannot_be_modified() -> None:
    with pytest.raises(TypeError):
        METRICS["js"] = METRICS["kl"]  # type: ignore[index]


# ------------------------------------------------------------------------- bin contributions


def test_contributions_of_all_bins_sum_to_js() -> None:
    for p, q in RANDOM_PAIRS[:50]:
        labels = [f"b{i}" for i in range(p.size)]
        rows = bin_contributions(p, q, labels, top=p.size)
        assert sum(r["contribution"] for r in rows) == pytest.approx(js_divergence(p, q), abs=TOL)


def test_contributions_report_shares_and_are_sorted_descending() -> None:
    rows = bin_contributions([0, 50, 50], [50, 50, 0], ["a", "b", "c"], top=3)
    assert [r["label"] for r in rows] == ["a", "c", "b"]  # a, c tie at 0.25 bit: by label
    assert rows[0] == {
        "label": "a",
        "reference_share": 0.5,
        "live_share": 0.0,
        "contribution": 0.25,
    }
    assert rows[1]["contribution"] == pytest.approx(0.25)
    assert rows[2]["contribution"] == 0.0


def test_contributions_keep_only_the_top_bins() -> None:
    rows = bin_contributions([1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1], list("abcdef"), top=2)
    assert [r["label"] for r in rows] == ["a", "f"]


def test_contributions_are_json_ready() -> None:
    rows = bin_contributions(np.array([1, 2, 3]), np.array([3, 2, 1]), ("x", "y", "z"))
    assert json.loads(json.dumps(rows)) == rows
    assert all(type(r["contribution"]) is float for r in rows)


def test_contributions_need_one_label_per_bin() -> None:
    with pytest.raises(EngineError, match="labels"):
        bin_contributions([1, 2, 3], [3, 2, 1], ["a", "b"])


@pytest.mark.parametrize("top", [0, -1], ids=["zero", "negative"])
def test_contributions_need_a_positive_top(top: int) -> None:
    with pytest.raises(EngineError, match="top"):
        bin_contributions([1, 2], [2, 1], ["a", "b"], top=top)
