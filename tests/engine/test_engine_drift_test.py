"""The combined drift test: tails, unseen categories, the interior G-test and their combination."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from driftwatch.engine import (
    CategoricalBins,
    Histogram,
    NumericBins,
    beyond_range_p,
    drift_test,
    fit_categorical_bins_from_counts,
    g_test,
    good_turing_unseen_rate,
    interior_table,
    selection_band,
    unseen_p,
)
from driftwatch.engine.drift_test import empty_slot_laws, reused_p, unseen_rate_law
from driftwatch.errors import EngineError

SETTINGS = settings(max_examples=200, deadline=None)
NUMERIC = NumericBins(edges=(0.0, 1.0, 2.0, 3.0))  # slots: lower, 3 interior, upper, missing


def hist(bins: NumericBins | CategoricalBins, counts: list[int]) -> Histogram:
    return Histogram(bins, np.asarray(counts, dtype=np.int64))


# ------------------------------------------------------------------------------ beyond the range


@pytest.mark.parametrize(("k", "n", "n_ref"), [(1, 1000, 10_000), (3, 50, 200), (7, 10, 10)])
def test_beyond_range_is_the_rank_probability(k: int, n: int, n_ref: int) -> None:
    assert beyond_range_p(k, n, n_ref) == pytest.approx(
        math.comb(n, k) / math.comb(n_ref + n, k), rel=1e-9
    )


@SETTINGS
@given(
    n=st.integers(1, 3_000),
    n_ref=st.integers(1, 20_000),
    share=st.floats(0.0, 1.0),
    ref_count=st.integers(0, 40),
)
def test_beyond_range_equals_scipys_hypergeometric_tail(
    n: int, n_ref: int, share: float, ref_count: int
) -> None:
    k, ref_count = max(1, round(share * n)), min(ref_count, n_ref)
    expected = float(stats.hypergeom.sf(k - 1, n_ref + n, k + ref_count, n))
    assert beyond_range_p(k, n, n_ref, ref_count) == pytest.approx(expected, rel=1e-9, abs=1e-300)


@SETTINGS
@given(
    n=st.integers(1, 20_000),
    n_ref=st.integers(2, 50_000),
    share=st.floats(0.0, 1.0),
    singletons=st.integers(0, 500),
    doubletons=st.integers(0, 200),
)
def test_unseen_p_equals_scipys_beta_binomial_tail(
    n: int, n_ref: int, share: float, singletons: int, doubletons: int
) -> None:
    k, singletons = max(1, round(share * n)), min(singletons, n_ref)
    a, b = unseen_rate_law(n_ref, singletons, doubletons)
    # scipy's pmf, summed: its betabinom.sf strays up to ~1e-5 relative on far tails (the exact
    # one-term case below shows ours is right there).
    expected = float(stats.betabinom.pmf(np.arange(k, n + 1), n, a, b).sum())
    assert unseen_p(k, n, n_ref, singletons, doubletons) == pytest.approx(
        expected, rel=1e-9, abs=1e-280
    )


def test_unseen_p_is_exact_where_the_tail_is_one_term() -> None:
    # Beta(1, 87) (no singletons), all 5 of 5 live values unseen: B(6, 87)/B(1, 87) = 5!/(88···92).
    assert unseen_p(5, 5, 87, 0) == pytest.approx(120 / (88 * 89 * 90 * 91 * 92), rel=1e-12)


def test_one_value_beyond_the_maximum_has_probability_one_over_n_plus_one() -> None:
    assert beyond_range_p(1, 1, 999) == pytest.approx(1 / 1000)


def test_beyond_range_is_the_beta_binomial_law_of_the_tail_mass() -> None:
    # The tail mass beyond the maximum of N exchangeable values is Beta(1, N).
    for k in (1, 5, 30):
        assert beyond_range_p(k, 100_000, 10_000) == pytest.approx(
            float(stats.betabinom.sf(k - 1, 100_000, 1, 10_000)), rel=1e-6
        )


def test_beyond_range_with_reference_values_in_the_tail_is_fisher_one_sided() -> None:
    table = [[6, 994], [2, 9998]]
    _, fisher = stats.fisher_exact(table, alternative="greater")
    assert beyond_range_p(6, 1000, 10_000, ref_count=2) == pytest.approx(fisher, rel=1e-9)


@SETTINGS
@given(
    st.integers(0, 500),
    st.integers(1, 500),
    st.integers(1, 20_000),
)
def test_beyond_range_is_a_probability_decreasing_in_k(k: int, extra: int, n_ref: int) -> None:
    n = k + extra
    p, p_next = beyond_range_p(k, n, n_ref), beyond_range_p(k + 1, n, n_ref)
    assert 0.0 <= p_next <= p <= 1.0
    assert beyond_range_p(k, n, n_ref + 100) <= p + 1e-15  # a larger reference: stronger evidence


def test_beyond_range_refuses_impossible_counts() -> None:
    with pytest.raises(EngineError, match="out of range"):
        beyond_range_p(5, 3, 100)
    with pytest.raises(EngineError, match="integer >= 0"):
        beyond_range_p(-1, 3, 100)


def test_simulated_tail_counts_follow_the_rank_law() -> None:
    # Exchangeable continuous data: P(K >= k) by simulation matches the exact p-value.
    rng = np.random.default_rng(11)
    n, n_ref, reps = 300, 200, 20_000
    ref_max = rng.random((reps, n_ref)).max(axis=1)
    k = rng.binomial(n, 1 - ref_max)  # given the reference, live values beyond max ~ Bin(n, 1 − F)
    for threshold in (1, 3, 6):
        assert (k >= threshold).mean() == pytest.approx(
            beyond_range_p(threshold, n, n_ref), abs=0.01
        )


# -------------------------------------------------------------------------------- unseen mass


def test_good_turing_rate_is_the_share_of_singletons_floored() -> None:
    assert good_turing_unseen_rate(50, 1000) == 0.05
    assert good_turing_unseen_rate(0, 999) == 1 / 1000
    with pytest.raises(EngineError):
        good_turing_unseen_rate(5, 0)


def test_unseen_without_singletons_is_the_tail_null() -> None:
    for k in (1, 4):
        assert unseen_p(k, 500, 2000, 0) == pytest.approx(beyond_range_p(k, 500, 2000), rel=1e-6)


@SETTINGS
@given(st.integers(0, 300), st.integers(0, 300), st.integers(0, 400), st.integers(0, 200))
def test_unseen_p_is_a_probability_decreasing_in_k(k: int, extra: int, n1: int, n2: int) -> None:
    n, n_ref = k + extra + 1, 1000
    p = unseen_p(k, n, n_ref, n1, n2)
    # scipy's beta-binomial tail is accurate to ~1e-3 relative near 1e-13: compare to 1e-9.
    assert 0.0 <= unseen_p(k + 1, n, n_ref, n1, n2) <= p + 1e-9
    assert p <= 1.0


@SETTINGS
@given(st.integers(0, 300), st.integers(0, 300), st.integers(0, 400))
def test_more_singletons_make_unseen_values_less_surprising(k: int, extra: int, n1: int) -> None:
    # At n2 = 0 the rate is about Beta(n1, N − n1), stochastically increasing in n1. (With many
    # doubletons Esty's variance can make a small n1 the more dispersed, hence less surprised.)
    n, n_ref = k + extra + 1, 1000
    assert unseen_p(k, n, n_ref, min(n1 + 50, n_ref)) >= unseen_p(k, n, n_ref, n1) - 1e-9


def test_empty_numeric_tails_get_the_beyond_the_extreme_law() -> None:
    reference = hist(NUMERIC, [0, 30, 40, 30, 0, 7])  # 100 non-missing values, 7 missing
    assert empty_slot_laws(reference) == {0: (1.0, 100.0), 4: (1.0, 100.0)}


def test_a_tail_that_holds_reference_values_has_no_law_of_its_own() -> None:
    assert empty_slot_laws(hist(NUMERIC, [2, 30, 40, 30, 0, 0])) == {4: (1.0, 102.0)}


def test_unseen_gets_the_good_turing_law_that_its_test_uses() -> None:
    bins = fit_categorical_bins_from_counts({"a": 500, "b": 400, "c": 1, "d": 1, "e": 2}, top_k=2)
    reference = Histogram(bins, bins.count_labels({"a": 500, "b": 400, "c": 1, "d": 1, "e": 2}))
    law = empty_slot_laws(reference)[bins.unseen_index]
    assert law == unseen_rate_law(904, bins.singletons, bins.doubletons)
    a, b = law
    assert a / (a + b) == pytest.approx(good_turing_unseen_rate(bins.singletons, 904))
    for k in (1, 5, 30):  # the test is the beta-binomial tail of that law
        expected = stats.betabinom.sf(k - 1, 200, a, b)
        assert unseen_p(k, 200, 904, bins.singletons, bins.doubletons) == pytest.approx(expected)


def zipf_probs(categories: int = 2000, exponent: float = 1.0) -> np.ndarray:
    weights: np.ndarray = 1.0 / np.arange(1, categories + 1) ** exponent
    probs: np.ndarray = weights / weights.sum()
    return probs


def zipf_histograms(
    rng: np.random.Generator, n_ref: int, n: int, new_share: float = 0.0
) -> tuple[Histogram, Histogram]:
    """A Zipf reference (top 50 kept, the rest pooled) and a live window, as counts."""
    probs = zipf_probs()
    labels = [f"c{i}" for i in range(probs.size)]
    ref = rng.multinomial(n_ref, probs)
    bins = fit_categorical_bins_from_counts(
        {label: int(c) for label, c in zip(labels, ref, strict=True) if c}, top_k=50
    )
    live = rng.multinomial(n, np.append(probs * (1 - new_share), new_share))
    counts = {label: int(c) for label, c in zip([*labels, "new"], live, strict=True) if c}
    return (
        Histogram(bins, bins.count_labels(counts)),
        Histogram(bins, bins.count_labels(dict(zip(labels, ref.tolist(), strict=True)))),
    )


@pytest.mark.parametrize("n", [200, 5_000, 100_000])
def test_unseen_component_holds_its_size_on_a_pooled_long_tail(n: int) -> None:
    """2,000 Zipf categories, fresh 10,000-row reference each time: p < alpha at most alpha."""
    rng = np.random.default_rng([3, n])
    probs = zipf_probs()
    alpha, reps = 0.05, 1000
    hits = 0
    for _ in range(reps):
        ref = rng.multinomial(10_000, probs)
        live = rng.multinomial(n, probs)
        n1, n2 = int(np.count_nonzero(ref == 1)), int(np.count_nonzero(ref == 2))
        k = int(live[ref == 0].sum())
        hits += unseen_p(k, n, 10_000, n1, n2) < alpha
    assert hits / reps <= alpha + 3 * math.sqrt(alpha * (1 - alpha) / reps)


def test_interior_table_drops_tails_folds_unseen_and_keeps_missing() -> None:
    live = hist(NUMERIC, [4, 1, 2, 3, 5, 6])
    reference = hist(NUMERIC, [0, 10, 10, 10, 0, 1])
    a, b = interior_table(live, reference)
    assert a.tolist() == [1, 2, 3, 6] and b.tolist() == [10, 10, 10, 1]
    bins = CategoricalBins(vocabulary=("a", "b"), pooled=frozenset({"c"}))
    a, b = interior_table(hist(bins, [1000, 100, 3, 4, 5]), hist(bins, [1000, 100, 5, 0, 0]))
    # unseen folded into other, and so is "b", the kept category at the top-K cut
    assert a.tolist() == [1000, 107, 5] and b.tolist() == [1000, 105, 0]
    unpooled = CategoricalBins(vocabulary=("a", "b"))
    a, b = interior_table(hist(unpooled, [1, 2, 3, 4]), hist(unpooled, [5, 5, 0, 0]))
    assert a.tolist() == [1, 2, 4] and b.tolist() == [5, 5, 0]


TOP5 = CategoricalBins(vocabulary=("a", "b", "c", "d", "e"), pooled=frozenset({"f"}))


@pytest.mark.parametrize(
    ("live", "band"),
    [
        # n ≫ N: each reference count's conditional sd given live + reference is ~its Poisson
        # sd, so the band is the ~3 sd above the cut (25): 30 is in it, 45 (45 − 3·√40.9) not.
        ([4000, 600, 450, 300, 250, 2000, 0, 0], (3, 4)),
        # n ≪ N: the reference share of live + reference is nearly fixed; only the cut itself.
        ([4, 1, 0, 0, 0, 2, 0, 0], (4,)),
    ],
    ids=["live-window-10x-the-reference", "live-window-a-hundredth"],
)
def test_selection_band_is_the_kept_categories_within_noise_of_the_cut(
    live: list[int], band: tuple[int, ...]
) -> None:
    reference = hist(TOP5, [400, 60, 45, 30, 25, 200, 0, 0])
    assert selection_band(hist(TOP5, live), reference) == band


def test_selection_band_is_empty_when_the_reference_kept_every_category() -> None:
    bins = CategoricalBins(vocabulary=("a", "b"))
    assert selection_band(hist(bins, [500, 480, 0, 0]), hist(bins, [10, 9, 0, 0])) == ()


def test_selection_band_leaves_stored_counts_and_divergences_alone() -> None:
    live, reference = (
        hist(TOP5, [4000, 600, 450, 300, 250, 2000, 0, 0]),
        hist(TOP5, [400, 60, 45, 30, 25, 200, 0, 0]),
    )
    before = (live.counts.copy(), reference.counts.copy())
    interior_table(live, reference)
    assert live.counts.tolist() == before[0].tolist()
    assert reference.counts.tolist() == before[1].tolist()


@pytest.mark.slow
def test_interior_test_holds_its_size_on_a_zipf_top_k_at_large_n() -> None:
    """The winner's curse of the top-50 cut, measured: fresh reference and live window each time.

    Without the selection band the interior G-test rejects 8.2 % of these windows at alpha = 5 %
    (the kept categories' reference counts cleared the cut partly by luck); with it 6.1 %, within
    Monte Carlo error of alpha (a 3,000-repetition run of the same rule gave 4.97 %).
    """
    rng = np.random.default_rng(2026)
    alpha, reps = 0.05, 1000
    hits = 0
    for _ in range(reps):
        live, reference = zipf_histograms(rng, 10_000, 100_000)
        hits += drift_test(live, reference, permutations=500).interior.p_value < alpha
    assert hits / reps <= alpha + 3 * math.sqrt(alpha * (1 - alpha) / reps)


def test_combined_p_is_weighted_bonferroni_of_the_components() -> None:
    live = hist(NUMERIC, [0, 30, 40, 30, 3, 0])
    reference = hist(NUMERIC, [0, 300, 300, 300, 0, 0])
    result = drift_test(live, reference, interior_weight=0.8)
    names = [c.name for c in result.components]
    assert names == ["interior", "lower_tail", "upper_tail"]
    assert [c.weight for c in result.components] == pytest.approx([0.8, 0.1, 0.1])
    upper = result.components[2]
    assert upper.observed == 3
    assert upper.p_value == pytest.approx(beyond_range_p(3, 103, 900))
    interior = g_test([30, 40, 30, 0], [300, 300, 300, 0])
    assert result.components[0].p_value == interior.p_value
    expected = min(1.0, min(c.p_value / c.weight for c in result.components))
    assert result.p_value == expected
    assert result.decisive.name == "upper_tail"


def test_a_sentinel_beyond_the_range_is_significant() -> None:
    # 1 % of a 10,000-row window at 999999: every one of them beyond the reference's maximum.
    reference = hist(NUMERIC, [0, 3333, 3333, 3334, 0, 0])
    live = hist(NUMERIC, [0, 3300, 3300, 3300, 100, 0])
    assert drift_test(live, reference).p_value < 1e-20


def test_an_all_missing_live_column_is_scored_and_significant() -> None:
    reference = hist(NUMERIC, [0, 300, 300, 300, 0, 0])
    for n in (20, 50, 1000):
        live = hist(NUMERIC, [0, 0, 0, 0, 0, n])
        result = drift_test(live, reference, permutations=2000)
        assert result.p_value < 0.01
        assert {c.name: c.p_value for c in result.components[1:]} == {
            "lower_tail": 1.0,
            "upper_tail": 1.0,
        }


def test_an_all_missing_categorical_window_is_scored() -> None:
    bins = CategoricalBins(vocabulary=("a", "b"))
    result = drift_test(hist(bins, [0, 0, 0, 500]), hist(bins, [300, 700, 0, 0]))
    assert result.p_value < 1e-10
    assert result.components[1].name == "unseen" and result.components[1].p_value == 1.0


def test_every_live_row_outside_the_range_leaves_the_tails_to_decide() -> None:
    reference = hist(NUMERIC, [0, 300, 300, 300, 0, 0])
    result = drift_test(hist(NUMERIC, [0, 0, 0, 0, 40, 0]), reference)
    assert result.interior.dof == 0 and result.components[0].p_value == 1.0
    assert result.p_value < 1e-20


def test_one_new_category_at_five_percent_of_a_small_window_is_significant() -> None:
    rng = np.random.default_rng(5)
    live, reference = zipf_histograms(rng, 10_000, 1_000, new_share=0.05)
    assert drift_test(live, reference).p_value < 0.01


def test_drift_test_refuses_mismatched_or_empty_histograms() -> None:
    reference = hist(NUMERIC, [0, 3, 3, 3, 0, 0])
    with pytest.raises(EngineError, match="same bins"):
        drift_test(hist(CategoricalBins(vocabulary=("a",)), [1, 0, 0]), reference)
    with pytest.raises(EngineError, match="needs live rows"):
        drift_test(Histogram.empty(NUMERIC), reference)
    with pytest.raises(EngineError, match="interior_weight"):
        drift_test(reference, reference, interior_weight=1.0)


@pytest.mark.parametrize("n", [50, 1_000, 50_000])
def test_combined_test_holds_its_size_on_numeric_nulls(n: int) -> None:
    """Fresh reference and live window from one continuous law: rate of p < alpha ≤ alpha."""
    from driftwatch.engine import fit_numeric_bins

    rng = np.random.default_rng([20, n])
    alpha, reps = 0.05, 300
    hits = 0
    for _ in range(reps):
        ref_values = rng.normal(size=2_000)
        bins = fit_numeric_bins(ref_values, bins=8)
        live = Histogram(bins, bins.count(rng.normal(size=n)))
        hits += (
            drift_test(live, Histogram(bins, bins.count(ref_values)), permutations=500).p_value
            < alpha
        )
    assert hits / reps <= alpha + 3 * math.sqrt(alpha * (1 - alpha) / reps)


def test_a_reference_of_singletons_only_still_has_an_unseen_law() -> None:
    a, b = unseen_rate_law(200, 200, 0)  # Esty's variance is 0 here
    assert a > 0 and b > 0
    assert unseen_p(0, 50, 200, 200) == 1.0


# ------------------------------------------------------------------- a reference of all-distinct


def ids_histograms(n_ref: int, n: int, reused: float) -> tuple[Histogram, Histogram]:
    """``n_ref`` distinct reference ids (top 50 kept, the rest pooled) and ``n`` live values, a
    ``reused`` share of them reference ids and the rest ids the reference never had."""
    ids = {f"id{i}": 1 for i in range(n_ref)}
    bins = fit_categorical_bins_from_counts(ids, top_k=50)
    old = round(n * reused)
    live = {f"id{i % n_ref}": 0 for i in range(min(old, n_ref))}
    for i in range(old):
        live[f"id{i % n_ref}"] += 1
    live["brand-new"] = n - old  # one label stands for many: only the slot's count matters
    return Histogram(bins, bins.count_labels(live)), Histogram(bins, bins.count_labels(ids))


@pytest.mark.parametrize("n", [200, 1_000, 1_000_000], ids=["n200", "n1000", "n1M"])
def test_half_the_live_ids_already_in_an_all_distinct_reference_is_significant(n: int) -> None:
    """The unseen test cannot fire (Good–Turing expects every value new); the reused one does."""
    live, reference = ids_histograms(1_000, n, reused=0.5)
    result = drift_test(live, reference)
    assert result.p_value < 1e-10
    assert result.decisive.name == "reused"
    assert [c.name for c in result.components] == ["interior", "unseen", "reused"]
    assert [c.weight for c in result.components] == pytest.approx([0.8, 0.1, 0.1])
    assert result.components[1].p_value > 0.5  # half new, where all were expected new


@pytest.mark.parametrize("n", [200, 1_000, 1_000_000], ids=["n200", "n1000", "n1M"])
def test_live_ids_all_new_against_an_all_distinct_reference_are_not_drift(n: int) -> None:
    live, reference = ids_histograms(1_000, n, reused=0.0)
    reused = drift_test(live, reference).components[-1]
    assert (reused.name, reused.observed, reused.p_value) == ("reused", 0, 1.0)


def test_a_reference_with_one_repeat_has_no_reused_component() -> None:
    ids = {f"id{i}": 1 for i in range(999)} | {"twice": 2}
    bins = fit_categorical_bins_from_counts(ids, top_k=50)
    reference = Histogram(bins, bins.count_labels(ids))
    result = drift_test(Histogram(bins, bins.count_labels({"id1": 10})), reference)
    assert [c.name for c in result.components] == ["interior", "unseen"]


@given(h=st.integers(0, 300), extra=st.integers(0, 300), n_ref=st.integers(2, 5_000))
@SETTINGS
def test_reused_p_is_a_probability_decreasing_in_h(h: int, extra: int, n_ref: int) -> None:
    n = h + extra + 1
    p = reused_p(h, n, n_ref)
    assert 0.0 <= p <= 1.0
    assert reused_p(min(h + 1, n), n, n_ref) <= p + 1e-12
    assert reused_p(0, n, n_ref) == 1.0


@pytest.mark.parametrize("spread", [8, 3], ids=["M=N^2/8", "M=N^2/3"])
def test_reused_holds_its_size_where_distinct_references_are_likeliest_to_mislead(
    spread: int,
) -> None:
    """Ids drawn evenly from M values, N = n = 200: a reference comes out all distinct with
    probability 2 % (M = N²/8) or 22 % (M = N²/3), and then the live window lands on it ~N²/M
    times; the two together fire at most alpha of the time."""
    rng = np.random.default_rng([11, spread])
    n_ref = n = 200
    values = n_ref * n_ref // spread
    alpha, reps = 0.01, 4000
    hits = 0
    for _ in range(reps):
        ref = rng.integers(0, values, n_ref)
        if np.unique(ref).size < n_ref:
            continue
        h = int(np.isin(rng.integers(0, values, n), ref).sum())
        hits += reused_p(h, n, n_ref) < alpha
    assert hits / reps <= alpha + 3 * math.sqrt(alpha * (1 - alpha) / reps)
