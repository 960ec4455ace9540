"""Statistics on the same 2 × k histogram tables the divergences use: no new data, no I/O.

* :func:`g_test` — the G-test of homogeneity of a live and a reference histogram (bins empty on
  both sides dropped). ``G = 2·Σ O·ln(O/E)`` equals ``2·N·weighted_js_nats`` (the Jensen-Shannon
  divergence with the two samples' sizes as weights, in nats), so the p-value and the divergence
  describe the same bins. When every expected count is at least ``min_expected`` the p-value is
  χ²(k−1) of ``G / q``, Williams' (1976) correction of G (:func:`williams_q`); otherwise a seeded
  Monte Carlo permutation p-value: permuting the rows' labels keeps both margins, so the live row
  of a permuted table is one multivariate hypergeometric draw of ``n_live`` from the column
  totals (q is constant given the margins, so the permutation p-value is the same with or
  without it).
* :func:`benjamini_hochberg` — false-discovery-rate adjusted p-values across a run's features.
* :func:`null_metric_samples` — the null distribution of a divergence at the live window's ``n``,
  for the ``calibrated`` threshold kind: pairs (live ~ Multinomial(n, q̂), reference ~
  Multinomial(N, q̂)) with q̂ the reference proportions. Both sides are resampled because both
  carry sampling error; comparing a subsample of the reference with the reference itself would
  leave out the reference's own error and shrink the null as n approaches N (variance ∝ 1/n − 1/N
  instead of 1/n + 1/N), which is why reference-chunk thresholds flag everything at large n.
* :func:`metric_rows` — the five divergences of :mod:`driftwatch.engine.divergences`, row-wise on
  matrices of counts (same definitions, vectorised; the tests check they agree).

Everything is seeded: the same inputs and seed give the same p-value and the same threshold.
The χ² tail, x·ln y and x·ln(x/y) are scipy.special's, imported in the functions that use them
(importing the engine loads no scipy); scipy.stats is the tests' oracle.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from driftwatch.engine.divergences import as_pair, as_vector
from driftwatch.errors import EngineError

__all__ = [
    "MAX_RESAMPLES",
    "GTestResult",
    "benjamini_hochberg",
    "g_test",
    "metric_rows",
    "null_metric_samples",
    "weighted_js_nats",
    "williams_q",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MAX_RESAMPLES = 100_000
"""Upper bound on permutations and null draws: one feature's test stays within ~0.1 s."""

_BATCH = 8_192  # resamples drawn at once: bounds memory at about _BATCH × k × 8 bytes per array


@dataclass(frozen=True)
class GTestResult:
    """The G statistic, its p-value, the degrees of freedom and how the p-value was obtained.

    ``method`` is ``"chi2"`` (asymptotic χ²(dof) survival function) or ``"permutation"`` (seeded
    Monte Carlo, never 0; ``permutations`` is the number of permuted tables drawn).
    ``min_expected`` is the smallest expected count of the table, which decided between them.
    ``williams`` is the divisor q of Williams' correction the χ² p-value used (1 without it).
    """

    statistic: float
    p_value: float
    dof: int
    method: Literal["chi2", "permutation"]
    min_expected: float
    permutations: int = 0
    williams: float = 1.0


def _whole(arr: FloatArray, name: str) -> FloatArray:
    """A test needs counts, not proportions."""
    if np.any(arr != np.round(arr)):
        raise EngineError(f"{name} must hold whole counts, not proportions")
    return arr


def _table(live: npt.ArrayLike, reference: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Live and reference counts over the bins not empty in both."""
    a, b = as_pair(live, reference, ("live counts", "reference counts"))
    a, b = _whole(a, "live counts"), _whole(b, "reference counts")
    keep = (a + b) > 0
    return a[keep], b[keep]


def _xlogx_sum(rows: FloatArray) -> FloatArray:
    """Σ x·ln x along the last axis, with 0·ln 0 = 0."""
    from scipy import special

    return np.asarray(special.xlogy(rows, rows).sum(axis=-1), dtype=np.float64)


def weighted_js_nats(live_counts: npt.ArrayLike, reference_counts: npt.ArrayLike) -> float:
    """Jensen-Shannon divergence of the two histograms weighted by their sample sizes, in nats.

    ``π_l·KL(p‖m) + π_r·KL(q‖m)`` with ``π`` the shares of the pooled ``N`` rows and ``m`` the
    pooled proportions: the mutual information between "which sample" and "which bin". The G
    statistic of :func:`g_test` is exactly ``2·N`` times this value.
    """
    from scipy import special

    a, b = _table(live_counts, reference_counts)
    n_a, n_b = a.sum(), b.sum()
    total = n_a + n_b
    m = (a + b) / total
    p, q = a / n_a, b / n_b
    kl_pm = float(special.rel_entr(p, m).sum())
    kl_qm = float(special.rel_entr(q, m).sum())
    return max(float(n_a / total * kl_pm + n_b / total * kl_qm), 0.0)


def williams_q(row_totals: npt.ArrayLike, column_totals: npt.ArrayLike) -> float:
    """Williams' (1976) divisor of G for an r × c table with these margins (all positive).

    ``q = 1 + (n·Σ 1/R_i − 1)·(n·Σ 1/C_j − 1) / (6·n·(r − 1)·(c − 1))`` with n the grand total
    (D. A. Williams, "Improved likelihood ratio tests for complete contingency tables",
    Biometrika 63, 1976; the form Sokal & Rohlf's *Biometry* gives for tests of independence and
    homogeneity): a Bartlett-type scaling, ``E[G / q]`` matches χ²((r−1)(c−1))'s mean to O(1/n²)
    where G's exceeds it by O(1/n), so G alone runs liberal on small tables. q ≥ 1 and tends to 1
    as the counts grow.
    """
    rows = np.asarray(row_totals, dtype=np.float64)
    cols = np.asarray(column_totals, dtype=np.float64)
    if rows.size < 2 or cols.size < 2 or np.any(rows <= 0) or np.any(cols <= 0):
        raise EngineError("Williams' correction needs 2+ rows and columns with positive totals")
    total = float(rows.sum())
    dof = (rows.size - 1) * (cols.size - 1)
    spread = (total * float((1.0 / rows).sum()) - 1.0) * (total * float((1.0 / cols).sum()) - 1.0)
    return 1.0 + spread / (6.0 * total * dof)


def _check_resamples(count: int, name: str) -> int:
    if isinstance(count, bool) or not isinstance(count, int | np.integer):
        raise EngineError(f"{name} must be an integer, got {count!r}")
    if not 0 <= count <= MAX_RESAMPLES:
        raise EngineError(f"{name} must be between 0 and {MAX_RESAMPLES}, got {count}")
    return int(count)


def g_test(
    live_counts: npt.ArrayLike,
    reference_counts: npt.ArrayLike,
    *,
    permutations: int = 20_000,
    seed: int = 0,
    min_expected: float = 5.0,
    method: Literal["auto", "chi2", "permutation"] = "auto",
    stop_after: int = 20,
    williams: bool = True,
) -> GTestResult:
    """G-test of homogeneity of the 2 × k table (live row, reference row).

    Bins empty on both sides are dropped; a table with one bin left has ``G = 0``, ``p = 1`` and
    ``dof = 0``. With ``method="auto"`` the χ²(k−1) p-value is used when every expected count is
    at least ``min_expected`` (or ``permutations`` is 0), the permutation p-value otherwise.
    The χ² p-value is that of ``G / q`` (:func:`williams_q`); with ``williams=False`` it equals
    ``scipy.stats.chi2_contingency(table, correction=False, lambda_="log-likelihood")``'s.
    ``statistic`` is G itself either way (``2·N·weighted_js_nats``).

    The permutation p-value is sequential (Besag & Clifford 1991): it stops as soon as
    ``stop_after`` permuted tables are at least as extreme (``p = stop_after / draws``), so a
    clearly non-significant table costs a few hundred draws, and otherwise runs all
    ``permutations`` (``p = (1 + exceedances) / (permutations + 1)``, at least
    ``1 / (permutations + 1)``). ``stop_after=0`` always runs them all. Both are valid p-values.
    Raises EngineError for empty or mismatched inputs.
    """
    from scipy import special

    permutations = _check_resamples(permutations, "permutations")
    stop_after = _check_resamples(stop_after, "stop_after")
    if method not in ("auto", "chi2", "permutation"):
        raise EngineError(f"unknown method {method!r}; choose one of: auto, chi2, permutation")
    a, b = _table(live_counts, reference_counts)
    k = a.size
    table = np.vstack([a, b])
    rows = table.sum(axis=1)
    cols = table.sum(axis=0)
    total = float(table.sum())
    expected = np.outer(rows, cols) / total
    min_exp = float(expected.min())
    if k < 2:
        return GTestResult(0.0, 1.0, 0, "chi2", min_exp)
    statistic = max(float(2.0 * special.xlogy(table, table / expected).sum()), 0.0)
    dof = k - 1
    use_chi2 = method == "chi2" or (
        method == "auto" and (min_exp >= min_expected or permutations == 0)
    )
    if use_chi2:
        q = williams_q(rows, cols) if williams else 1.0
        p_chi2 = float(special.chdtrc(dof, statistic / q))
        return GTestResult(statistic, p_chi2, dof, "chi2", min_exp, williams=q)
    if permutations == 0:
        raise EngineError("a permutation p-value needs permutations >= 1")
    # Σ O·ln O is the only part of G that changes when the margins are kept: compare on it.
    observed = float(_xlogx_sum(table).sum())
    tolerance = 1e-9 * max(1.0, abs(observed))
    rng = np.random.default_rng(seed)
    colors = cols.astype(np.int64)
    n_live = int(rows[0])
    at_least = 0
    done = 0
    batch = 256  # grows geometrically: a clearly non-significant table stops after a few hundred
    while done < permutations:
        size = min(batch, permutations - done)
        live_rows = rng.multivariate_hypergeometric(colors, n_live, size=size).astype(np.float64)
        sims = _xlogx_sum(live_rows) + _xlogx_sum(colors - live_rows)
        hits = np.flatnonzero(sims >= observed - tolerance)
        if stop_after and at_least + hits.size >= stop_after:
            # Besag & Clifford (1991): stop at the h-th exceedance after L draws, p = h / L.
            drawn = done + int(hits[stop_after - at_least - 1]) + 1
            return GTestResult(statistic, stop_after / drawn, dof, "permutation", min_exp, drawn)
        at_least += hits.size
        done += size
        batch = min(batch * 4, _BATCH)
    p_value = (1 + at_least) / (permutations + 1)
    return GTestResult(statistic, p_value, dof, "permutation", min_exp, permutations)


def benjamini_hochberg(p_values: npt.ArrayLike) -> FloatArray:
    """Benjamini-Hochberg adjusted p-values (step-up, monotone, at most 1), in input order.

    Reject at false-discovery rate ``alpha`` exactly the hypotheses whose adjusted p-value is
    below ``alpha``. Same numbers as ``scipy.stats.false_discovery_control(p, method="bh")``.
    """
    p = np.asarray(p_values, dtype=np.float64)
    if p.ndim != 1:
        raise EngineError(f"p-values must be a 1-D vector, got shape {p.shape}")
    if not np.all(np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise EngineError("p-values must be finite numbers between 0 and 1")
    m = p.size
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    out = np.empty(m, dtype=np.float64)
    out[order] = adjusted
    return out


# --- the calibrated kind's null distribution ----------------------------------------------------


def _smoothed_rows(
    live: FloatArray, ref: FloatArray, alpha: float
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    keep = (live + ref) > 0
    k = keep.sum(axis=1, keepdims=True)
    n_live = live.sum(axis=1, keepdims=True)
    n_ref = ref.sum(axis=1, keepdims=True)
    p = np.where(keep, (live + alpha) / (n_live + alpha * k), 0.0)
    q = np.where(keep, (ref + alpha) / (n_ref + alpha * k), 0.0)
    return p, q, keep


def metric_rows(
    name: str, live: npt.ArrayLike, reference: npt.ArrayLike, *, alpha: float = 0.5
) -> FloatArray:
    """The divergence ``name`` of each row of ``live`` from the same row of ``reference``.

    Row-wise version of the engine's metrics (``js`` bits; ``kl`` and ``psi`` nats with additive
    smoothing ``alpha`` over the bins not empty in both; ``hellinger``; ``tvd``), for thousands of
    null draws at once. Every row must have a positive total on both sides.
    """
    from scipy import special

    a = np.atleast_2d(np.asarray(live, dtype=np.float64))
    b = np.atleast_2d(np.asarray(reference, dtype=np.float64))
    if a.shape != b.shape:
        raise EngineError(f"live and reference matrices differ in shape: {a.shape} vs {b.shape}")
    n_a = a.sum(axis=1, keepdims=True)
    n_b = b.sum(axis=1, keepdims=True)
    if np.any(n_a <= 0) or np.any(n_b <= 0):
        raise EngineError("every row needs a positive total on both sides")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        if name == "js":
            p, q = a / n_a, b / n_b
            m = (p + q) / 2.0
            total = special.rel_entr(p, m).sum(axis=1) + special.rel_entr(q, m).sum(axis=1)
            out = total / math.log(2.0) / 2.0
        elif name == "kl":
            if alpha == 0:
                p, q = a / n_a, b / n_b
            else:
                p, q, _ = _smoothed_rows(a, b, alpha)
            out = special.rel_entr(p, q).sum(axis=1)
        elif name == "psi":
            if alpha == 0:
                p, q = a / n_a, b / n_b
            else:
                p, q, _ = _smoothed_rows(a, b, alpha)
            used = (p > 0) | (q > 0)
            terms = np.where(used, (p - q) * np.log(p / q), 0.0)
            terms = np.where(used & ((p == 0) | (q == 0)), np.inf, terms)
            out = terms.sum(axis=1)
        elif name == "hellinger":
            diff = np.sqrt(a / n_a) - np.sqrt(b / n_b)
            out = np.minimum(np.sqrt(np.maximum(0.5 * (diff * diff).sum(axis=1), 0.0)), 1.0)
        elif name == "tvd":
            out = np.minimum(0.5 * np.abs(a / n_a - b / n_b).sum(axis=1), 1.0)
        else:
            raise EngineError(
                f"unknown metric {name!r}; choose one of: hellinger, js, kl, psi, tvd"
            )
    return np.maximum(np.asarray(out, dtype=np.float64), 0.0)


def null_metric_samples(
    reference_counts: npt.ArrayLike,
    n: int,
    metric: str,
    *,
    draws: int = 1000,
    seed: int = 0,
    alpha: float = 0.5,
    empty_slots: Mapping[int, tuple[float, float]] | None = None,
) -> FloatArray:
    """``draws`` values of ``metric`` between two samples of the reference distribution, sorted.

    Each draw compares a live-sized sample ``Multinomial(n, q̂)`` with a reference-sized sample
    ``Multinomial(N, q̂)``, ``q̂`` the reference proportions: the metric's distribution at this
    ``n`` when nothing drifted, with the sampling error of both sides. ``empty_slots`` maps the
    bins empty in the reference by construction (a numeric feature's tails, beyond the range the
    edges were fitted on; a categorical feature's ``__unseen__``) to the Beta(a, b) law of their
    live share (:func:`driftwatch.engine.drift_test.empty_slot_laws`: Beta(1, N) beyond an
    extreme of ``N`` exchangeable values, the Good–Turing law for unseen categories): each live
    draw gives each of them a share drawn from its law, so windows much larger than the
    reference see its spread. Slots not empty in the reference are ignored. Seeded and
    vectorised (``draws × k`` numbers per batch).
    """
    q = _whole(as_vector(reference_counts, "reference counts"), "reference counts")
    draws = _check_resamples(draws, "draws")
    if draws < 1:
        raise EngineError("the null distribution needs draws >= 1")
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise EngineError(f"the live sample size n must be a positive integer, got {n!r}")
    n_ref = int(q.sum())
    probs = q / q.sum()
    laws = {i: ab for i, ab in (empty_slots or {}).items() if 0 <= i < q.size and q[i] == 0}
    zeros = sorted(laws)
    rng = np.random.default_rng(seed)
    values = np.empty(draws, dtype=np.float64)
    done = 0
    while done < draws:
        size = min(_BATCH, draws - done)
        if zeros:
            live_probs = np.broadcast_to(probs, (size, q.size)).copy()
            a = np.array([laws[i][0] for i in zeros])
            b = np.array([laws[i][1] for i in zeros])
            tails = rng.beta(a, b, size=(size, len(zeros)))
            live_probs *= 1.0 - tails.sum(axis=1, keepdims=True)
            live_probs[:, zeros] = tails
            live = rng.multinomial(int(n), live_probs)
        else:
            live = rng.multinomial(int(n), probs, size=size)
        ref = rng.multinomial(n_ref, probs, size=size)
        values[done : done + size] = metric_rows(metric, live, ref, alpha=alpha)
        done += size
    values.sort()
    return values
