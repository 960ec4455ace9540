"""One test of a live histogram against its reference that sees every bin the divergences see.

The G-test alone cannot test bins that are empty in the reference *by construction*: a numeric
feature's two tails (the edges span the reference's range) and a categorical feature's
``__unseen__``. Counted as sampled they make the test liberal; merged into a neighbour they hide
a sentinel value or a brand-new category. :func:`drift_test` therefore splits the table into
components, each with a valid null, and combines them:

* **interior** — :func:`~driftwatch.engine.stats.g_test` on every bin except those (``__missing__``
  and ``__other__`` included), so a live column that is all missing is a moved ``__missing__``
  bin, tested like any other. When rare reference categories were pooled, ``__unseen__`` joins
  ``__other__`` here (:func:`interior_table` says why) and is tested on its own as well, and so
  do the kept categories within selection noise of the top-K cut (:func:`selection_band`: their
  reference counts carry a winner's curse).
* **lower / upper tail** (numeric) — :func:`beyond_range_p`: under exchangeability of the
  reference's and the live window's non-missing values, "at least k live values lie beyond the
  reference's maximum" means the k largest of all N + n values are live, which has probability
  C(n, k) / C(N + n, k) (a rank argument; one live value lands beyond the maximum with probability
  1/(N+1)). This is the one-sided Fisher exact test of the 2 × 2 table (beyond / within × live /
  reference), which also covers a reference with ±inf values in a tail. Ties at the extreme only
  make the test conservative. Note it is the beta-binomial, not the binomial(n, 1/(N+1)), law:
  the tail mass of one reference is Beta(1, N), and a window much larger than the reference sees
  that spread.
* **unseen** (categorical) — :func:`unseen_p`: the live ``__unseen__`` count against the
  Good–Turing estimate of the mass of categories the reference never had, n1/N with n1 the number
  of reference categories seen exactly once (Good 1953, "The population frequencies of species
  and the estimation of population parameters", Biometrika 40). The estimate is itself noisy
  (Esty 1983, Ann. Statist. 11: variance ≈ (n1·(1 − n1/N) + 2·n2)/N²), so the live count is
  compared with a beta-binomial whose rate has that mean and variance, floored at Beta(1, N) —
  the tails' null — when the reference had no singleton.
* **reused** (categorical, a reference of all-distinct values such as ids) — :func:`reused_p`.
  Good–Turing then expects every live value to be new (n1/N = 1), so ``unseen`` cannot fire and
  new values are no signal: live values the reference *already had* are. Under no drift, N values
  all distinct says the reference's values hold little mass, and h of n live values landing on
  them has a small chance: at most sup_t exp(−(N−1)·t/2)·P(Binomial(n, t) ≥ h), t the mass of
  the reference's values (the chance that N draws spread evenly over N/t values are all distinct,
  times the live hits given that). Tested only when every reference value is distinct, which
  leaves ``unseen`` half of its share.
* **combination** — weighted Bonferroni: ``p = min(1, min_i p_i / w_i)`` with weights summing to 1
  (``interior_weight`` for the G-test, the rest shared by the tails or given to ``unseen``), so
  ``P(p < alpha) ≤ Σ_i alpha·w_i = alpha`` under the null whatever the dependence between the
  components. Šidák's product bound (Šidák 1967, J. Amer. Statist. Assoc. 62) would be a hair less
  strict but needs positive dependence, which the two tails of a multinomial do not have; at
  alpha = 0.01 the two differ by less than 0.5 %.

Pure functions of the counts; log Γ and log B are scipy.special's, imported where they are used.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from driftwatch.engine.binning import CategoricalBins, NumericBins
from driftwatch.engine.histogram import Histogram
from driftwatch.engine.stats import GTestResult, g_test
from driftwatch.errors import EngineError

__all__ = [
    "ComponentTest",
    "DriftTestResult",
    "beyond_range_p",
    "drift_test",
    "empty_slot_laws",
    "good_turing_unseen_rate",
    "interior_table",
    "reused_p",
    "selection_band",
    "unseen_p",
    "unseen_rate_law",
]

Component = Literal["interior", "lower_tail", "upper_tail", "unseen", "reused"]
IntArray = npt.NDArray[np.int64]


def _count(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise EngineError(f"{name} must be an integer >= 0, got {value!r}")
    return int(value)


def beyond_range_p(k: int, n: int, n_ref: int, ref_count: int = 0) -> float:
    """P(at least ``k`` of ``n`` live values fall beyond the reference's extreme), no drift.

    ``n_ref`` reference values, ``ref_count`` of them in the same tail (±inf; normally 0). The
    one-sided Fisher exact test of the tail's 2 × 2 table; with ``ref_count = 0`` it is exactly
    C(n, k) / C(n_ref + n, k). 1 when ``k`` is 0.
    """
    k, n = _count(k, "k"), _count(n, "n")
    n_ref, ref_count = _count(n_ref, "n_ref"), _count(ref_count, "ref_count")
    if k > n or ref_count > n_ref:
        raise EngineError(f"counts out of range: k={k} of n={n}, {ref_count} of {n_ref}")
    if k == 0:
        return 1.0
    # scipy.stats.hypergeom.sf(k - 1, n_ref + n, k + ref_count, n), summed here from its pmf: the
    # tail has only ref_count + 1 terms, and importing scipy.stats costs 2-4x scipy.special's
    # import on a 2-core machine (measured with -X importtime) for this one sum.
    total, marked = n_ref + n, k + ref_count
    x = np.arange(k, min(marked, n) + 1, dtype=np.float64)
    log_terms = _log_choose(marked, x) + _log_choose(total - marked, n - x)
    p = _sum_exp(log_terms - _log_choose(total, np.float64(n)))
    return float(min(max(p, 0.0), 1.0))


def _log_choose(a: float | np.ndarray, b: float | np.ndarray) -> np.ndarray:
    """log C(a, b) through log-gamma (exact to a few ulps in the log)."""
    from scipy import special

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.asarray(special.gammaln(a + 1) - special.gammaln(b + 1) - special.gammaln(a - b + 1))


def _sum_exp(log_terms: np.ndarray) -> float:
    """sum(exp(log_terms)) without underflow of the largest term."""
    if log_terms.size == 0:
        return 0.0
    top = float(np.max(log_terms))
    if not math.isfinite(top):
        return 0.0
    return float(math.exp(top) * np.sum(np.exp(log_terms - top)))


def good_turing_unseen_rate(singletons: int, n_ref: int) -> float:
    """The Good–Turing mass of categories absent from ``n_ref`` reference values: n1/N.

    Floored at 1/(N+1), the chance that one more exchangeable value is beyond any given extreme,
    so a reference without singletons still leaves room for a rare new category.
    """
    singletons, n_ref = _count(singletons, "singletons"), _count(n_ref, "n_ref")
    if n_ref == 0 or singletons > n_ref:
        raise EngineError(f"need 0 <= singletons <= n_ref and n_ref > 0, got {singletons}/{n_ref}")
    return max(singletons / n_ref, 1.0 / (n_ref + 1))


def unseen_p(k: int, n: int, n_ref: int, singletons: int, doubletons: int = 0) -> float:
    """P(at least ``k`` of ``n`` live values in ``__unseen__``) with no drift.

    The rate has the Good–Turing mean :func:`good_turing_unseen_rate` and Esty's variance
    (n1·(1 − n1/N) + 2·n2)/N², at least that of Beta(mean·(N+1), (1 − mean)·(N+1)); without
    singletons the rate is Beta(1, N), the tails' null. The live count is beta-binomial with that
    rate. 1 when ``k`` is 0.
    """
    from scipy import special

    k, n = _count(k, "k"), _count(n, "n")
    a, b = unseen_rate_law(n_ref, singletons, doubletons)
    if k > n:
        raise EngineError(f"k={k} live values in __unseen__ out of only n={n}")
    if k == 0:
        return 1.0
    # scipy.stats.betabinom.sf(k - 1, n, a, b) is 1 − cdf and floors far tails near 1e-11 (it
    # reads 1.6e-11 where this sum gives 1.3e-15), so the tail is summed here from the pmf
    # C(n, x)·B(x + a, n − x + b)/B(a, b): above the mean the upper tail from k, below it one minus
    # the lower tail from k − 1, each summed outwards only as far as its terms matter, so a window
    # of millions of rows costs a few blocks.
    norm = float(special.betaln(a, b))

    def log_pmf(x: np.ndarray) -> np.ndarray:
        return np.asarray(_log_choose(n, x) + special.betaln(x + a, n - x + b) - norm)

    if k > n * a / (a + b):
        p = math.exp(_tail_log_sum(log_pmf, k, n))
    else:
        p = 1.0 - math.exp(_tail_log_sum(log_pmf, k - 1, 0))
    return float(min(max(p, 0.0), 1.0))


_BLOCK = 65_536


def _tail_log_sum(log_pmf: Callable[[np.ndarray], np.ndarray], first: int, last: int) -> float:
    """log Σ exp(log_pmf(x)) for x from ``first`` to ``last`` (either way), block by block.

    A unimodal pmf's terms fall outwards of the mode; once they fall and what is left (at most
    the last term times the terms not yet summed) is below 1e-17 of the sum, the rest is dropped.
    """
    step = 1 if last >= first else -1
    top, scaled = -math.inf, 0.0  # the sum is scaled · exp(top)
    start = first
    while (last - start) * step >= 0:
        end = start + step * (_BLOCK - 1)
        end = min(end, last) if step > 0 else max(end, last)
        logs = log_pmf(np.arange(start, end + step, step, dtype=np.float64))
        block_top = float(np.max(logs))
        if block_top > top:
            scaled = scaled * math.exp(top - block_top) if math.isfinite(top) else 0.0
            top = block_top
        if math.isfinite(top):
            scaled += float(np.sum(np.exp(logs - top)))
        remaining = abs(last - end)
        falling = logs.size > 1 and logs[-1] < logs[-2]
        if remaining and falling and math.isfinite(top):
            bound = float(logs[-1]) + math.log(remaining) - (top + math.log(scaled))
            if bound < math.log(1e-17):
                break
        start = end + step
    return top + math.log(scaled) if scaled > 0 and math.isfinite(top) else -math.inf


def unseen_rate_law(n_ref: int, singletons: int, doubletons: int = 0) -> tuple[float, float]:
    """Beta(a, b) of the live share of categories the reference never had, with no drift.

    Mean: the Good–Turing rate :func:`good_turing_unseen_rate`; variance: Esty's
    (n1·(1 − n1/N) + 2·n2)/N², at least that of Beta(mean·(N+1), (1 − mean)·(N+1)); without
    singletons Beta(1, N), the tails' law.
    """
    doubletons = _count(doubletons, "doubletons")
    rate = min(good_turing_unseen_rate(singletons, n_ref), n_ref / (n_ref + 1))
    esty = (singletons * (1 - singletons / n_ref) + 2 * doubletons) / n_ref**2
    spread = rate * (1 - rate)
    # No singleton: the floor, Beta(1, N) — the tails' null — whatever n2 says.
    # Every value a singleton: Esty's variance is 0 and says nothing; Beta(·, ·) with N + 1.
    spread_known = singletons > 0 and esty > 0
    concentration = min(n_ref + 1.0, spread / esty - 1.0) if spread_known else n_ref + 1.0
    concentration = max(concentration, 1.0)
    return rate * concentration, (1 - rate) * concentration


_MASS_GRID = np.geomspace(1e-12, 1.0, 5_527)
"""The masses on which :func:`reused_p` bounds its supremum: twelve decades in steps of 0.5 %."""


def reused_p(h: int, n: int, n_ref: int) -> float:
    """At most P(``n_ref`` reference values all distinct and at least ``h`` of ``n`` live values
    equal to one of them) with no drift; 1 when ``h`` is 0.

    For values spread evenly over M (so the reference's N values hold mass t = N/M), N of them
    are all distinct with probability prod(1 − i/M) ≤ exp(−(N−1)·t/2), and the live values that
    land on them are then Binomial(n, t). Even spread is what keeps N values distinct longest
    for a given mass (a heavier value repeats sooner): the bound is the supremum over t of the
    product (simulated: uniform and two-level spreads at the worst M give at most 0.6·alpha).
    On each cell of a fixed log grid the first factor is taken at the cell's left end and the
    second at its right end, so the value returned is never below the supremum (and falls with h).
    """
    from scipy import special

    h, n, n_ref = _count(h, "h"), _count(n, "n"), _count(n_ref, "n_ref")
    if h > n:
        raise EngineError(f"h={h} live values on reference values out of only n={n}")
    if h == 0:
        return 1.0
    right = _MASS_GRID
    left = np.concatenate(([0.0], right[:-1]))
    tail = np.asarray(special.bdtrc(h - 1, n, right), dtype=np.float64)  # P(Binomial(n, t) ≥ h)
    bound = float(np.max(np.exp(-left * (n_ref - 1) / 2.0) * tail))
    return min(max(bound, 0.0), 1.0)


def _all_distinct(reference: Histogram) -> bool:
    """True for a categorical reference of at least two values, every one of them distinct."""
    bins = reference.bins
    n_ref = reference.n_valid
    return isinstance(bins, CategoricalBins) and n_ref >= 2 and bins.singletons == n_ref


def empty_slot_laws(reference: Histogram) -> dict[int, tuple[float, float]]:
    """The no-drift law of the live share of each bin empty in ``reference`` by construction.

    ``{bin index: (a, b)}`` of a Beta distribution: a numeric feature's empty tails get
    Beta(1, N) (the mass beyond the extreme of N exchangeable values, mean 1/(N+1): the law behind
    :func:`beyond_range_p`), ``__unseen__`` gets :func:`unseen_rate_law` (behind
    :func:`unseen_p`). The one rule for these bins, shared by :func:`drift_test` and the
    ``calibrated`` kind's null distribution. Empty when the reference has no non-missing value.
    """
    n_ref = reference.n_valid
    if n_ref == 0:
        return {}
    bins = reference.bins
    counts = reference.counts
    if isinstance(bins, NumericBins):
        return {i: (1.0, float(n_ref)) for i in bins.tail_indices if counts[i] == 0}
    assert isinstance(bins, CategoricalBins)
    return {bins.unseen_index: unseen_rate_law(n_ref, bins.singletons, bins.doubletons)}


@dataclass(frozen=True)
class ComponentTest:
    """One component of :func:`drift_test`: its p-value, weight and what it counted.

    ``observed`` is the live count it tested (the live interior total for ``interior``),
    ``expected`` that count's mean with no drift.
    """

    name: Component
    p_value: float
    weight: float
    observed: int
    expected: float


@dataclass(frozen=True)
class DriftTestResult:
    """The combined p-value, its components, and the interior G-test behind the first one."""

    p_value: float
    components: tuple[ComponentTest, ...]
    interior: GTestResult

    @property
    def decisive(self) -> ComponentTest:
        """The component with the smallest ``p / weight``: the one that decided ``p_value``."""
        return min(self.components, key=lambda c: c.p_value / c.weight)


def _side_slots(reference: Histogram) -> dict[Component, int]:
    bins = reference.bins
    if isinstance(bins, NumericBins):
        lower, upper = bins.tail_indices
        return {"lower_tail": lower, "upper_tail": upper}
    assert isinstance(bins, CategoricalBins)
    return {"unseen": bins.unseen_index}


SELECTION_BAND = 3.0
"""How many sd below its expectation a kept category's reference count may fall and still clear the
top-K cut, for the interior test to keep it as its own cell (see :func:`selection_band`)."""


def selection_band(
    live: Histogram, reference: Histogram, band: float = SELECTION_BAND
) -> tuple[int, ...]:
    """Slots of the kept categories the interior test pools with ``__other__``: the winner's curse.

    When the vocabulary is the reference's top K and the rest was pooled into ``__other__``,
    which categories near the K-th largest count x_K made the cut was decided by the reference's
    own sampling noise: the kept ones' reference counts are conditioned on clearing the cut and
    inflated (about one sd at the cut), so a large live window sits below them and the G-test
    runs liberal (1.45 % instead of 0.8 % for the interior at n = 100,000 on 2,000 Zipf(1)
    categories, top 50). Pooling those winners with the losers they displaced removes it, if
    the pooled band covers the whole noise zone — and if the band's own edge is not one more cut
    on the reference counts, which would carry a (smaller) curse of its own.

    So the edge is drawn on each category's *combined* count S = live + reference, which is
    ancillary: with no drift, given the combined counts the reference share of each is
    Binomial(S, π), π = N / (N + n) — the law the G-test's permutation null (and, asymptotically,
    its χ²) conditions on, whatever cells were picked from S. A kept category stays a cell of
    its own only when the cut lies ``band`` sd or more below its reference count's conditional
    mean, S·π − ``band``·sqrt(S·π·(1 − π)) ≥ x_K, so the conditioning on clearing the cut
    changes its law by less than the normal tail beyond ``band`` (0.13 % at 3); every other kept
    category is pooled. At n ≪ N (π ≈ 1) almost every kept category stays; at n ≫ N the band
    is the ~3 sd above the cut. Empty without ``__other__``: a vocabulary that kept every
    reference category involved no selection. (Selection after conditioning on the margins:
    the conditional-inference argument of Fisher's exact test; Lehmann & Romano, *Testing
    Statistical Hypotheses*, 3rd ed., ch. 4: given their total, two Poisson counts are binomial.)
    """
    bins = reference.bins
    if not isinstance(bins, CategoricalBins) or bins.other_index is None:
        return ()
    kept = len(bins.vocabulary)
    ref = np.asarray(reference.counts[:kept], dtype=np.float64)
    combined = ref + np.asarray(live.counts[:kept], dtype=np.float64)
    share = reference.n / (reference.n + live.n)
    mean = combined * share
    lowest = mean - band * np.sqrt(mean * (1.0 - share))
    return tuple(int(i) for i in np.flatnonzero(lowest < ref.min()))


def interior_table(live: Histogram, reference: Histogram) -> tuple[IntArray, IntArray]:
    """The interior G-test's table: without the tails (numeric) or ``__unseen__`` (categorical).

    When the reference pooled rare categories into ``__other__``, ``__unseen__`` is folded into
    ``__other__`` instead of dropped: the pooled categories the reference happened to see
    overstate their live share by about the unseen mass (categories seen once are mostly rarer
    than 1/N), and live ``__other__ + __unseen__`` against reference ``__other__`` is the fair
    comparison. So are the kept categories near the top-K cut (:func:`selection_band`): their
    reference counts carry the selection's winner's curse. Without ``__other__`` the reference
    kept every category it had. The stored histograms and divergences are not changed: this
    pooling is the test's alone.
    """
    live_counts = np.array(live.counts, dtype=np.int64)
    ref_counts = np.array(reference.counts, dtype=np.int64)
    bins = reference.bins
    drop = list(_side_slots(reference).values())
    if isinstance(bins, CategoricalBins) and bins.other_index is not None:
        merged = [bins.unseen_index, *selection_band(live, reference)]
        for counts in (live_counts, ref_counts):
            counts[bins.other_index] += counts[merged].sum()
        drop += merged
    keep = np.ones(bins.n_bins, dtype=bool)
    keep[drop] = False
    return live_counts[keep], ref_counts[keep]


def _weights(sides: int, interior_weight: float) -> tuple[float, float]:
    if not (math.isfinite(interior_weight) and 0.0 < interior_weight < 1.0):
        raise EngineError(
            f"interior_weight must lie strictly between 0 and 1, got {interior_weight}"
        )
    return interior_weight, (1.0 - interior_weight) / sides


def drift_test(
    live: Histogram,
    reference: Histogram,
    *,
    interior_weight: float = 0.8,
    permutations: int = 20_000,
    seed: int = 0,
    min_expected: float = 5.0,
) -> DriftTestResult:
    """The combined test of ``live`` against ``reference`` (see the module docstring).

    ``interior_weight`` is the interior G-test's share of the false-alarm budget; the tails share
    the rest equally (numeric), or ``__unseen__`` takes it (categorical; it shares it with
    ``reused`` when every reference value is distinct). ``permutations``,
    ``seed`` and ``min_expected`` go to :func:`~driftwatch.engine.stats.g_test`.
    """
    if live.bins != reference.bins:
        raise EngineError("live and reference histograms must be counted on the same bins")
    if live.n == 0 or reference.n_valid == 0:
        raise EngineError("the test needs live rows and non-missing reference values")
    slots = _side_slots(reference)
    reused = _all_distinct(reference)
    w_interior, w_side = _weights(len(slots) + int(reused), interior_weight)
    live_in, ref_in = interior_table(live, reference)
    n_in = int(live_in.sum())
    interior = (
        g_test(live_in, ref_in, permutations=permutations, seed=seed, min_expected=min_expected)
        if n_in > 0
        else GTestResult(0.0, 1.0, 0, "chi2", 0.0)  # every live row is outside: nothing inside
    )
    components = [ComponentTest("interior", interior.p_value, w_interior, n_in, float(n_in))]
    n, n_ref = live.n_valid, reference.n_valid
    bins = reference.bins
    for name, slot in slots.items():
        k, r = int(live.counts[slot]), int(reference.counts[slot])
        if name == "unseen":
            assert isinstance(bins, CategoricalBins)
            p = unseen_p(k, n, n_ref, bins.singletons, bins.doubletons)
            expected = n * good_turing_unseen_rate(bins.singletons, n_ref)
        else:
            p = beyond_range_p(k, n, n_ref, r)
            expected = n * (r + 1) / (n_ref + 1)
        components.append(ComponentTest(name, p, w_side, k, expected))
    if reused:
        assert isinstance(bins, CategoricalBins)
        h = n - int(live.counts[bins.unseen_index])
        p = reused_p(h, n, n_ref)
        components.append(ComponentTest("reused", p, w_side, h, n / (n_ref + 1)))
    combined = min(1.0, min(c.p_value / c.weight for c in components))
    return DriftTestResult(combined, tuple(components), interior)
