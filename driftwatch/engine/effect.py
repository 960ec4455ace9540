"""Effect sizes that do not grow with 1/n, and the value at which a rule fires at this n.

For two multinomial samples of sizes n (live) and N (reference) over k bins, the divergences that
are quadratic near equality all behave like a multiple of ``X² = Σ (p̂ − q̂)² / m`` (m the
bins' mean proportion):

    js ≈ X² / (8 ln 2) bits    kl ≈ X² / 2 nats    psi ≈ X²    hellinger² ≈ X² / 8

(``KL(p‖m) ≈ ½ Σ (p − m)²/m = ⅛ Σ (p − q)²/m``, and js is the mean of two such terms). With no drift
``X²·nN/(n+N)`` is asymptotically χ²(k−1) — it is Pearson's statistic, and the G statistic of
:func:`~driftwatch.engine.stats.g_test` has the same limit — so

* the plug-in value's expectation with no drift is ``c·(k−1)·(1/n + 1/N)`` (:func:`null_bias`):
  for js, (k−1)/(8 ln 2)·(1/n + 1/N) bits, the same per-sample noise as the README's
  (k−1)/(8 ln 2 · N_ref) for the reference alone. :func:`debiased_value` subtracts it (floored at
  0), so comparing a magnitude with the debiased value neither loses power as n grows (the
  plug-in value falls towards the true one) nor makes every small-window alarm look severe;
* the value at which the test's p equals ``alpha`` is ``c·χ²_{1−alpha}(dof)·(1/n + 1/N)``
  (:func:`critical_value`; times Williams' q, which the test divides G by), and
  :func:`decision_threshold` is the plug-in value at which a rule "p < alpha and debiased value
  ≥ magnitude" fires at this n.

These are first-order (large-count) relations: tests check them against simulation and against
the exact G statistic. kl and psi are smoothed in driftwatch (``alpha`` = 0.5 counts), which
shrinks small counts; the relations hold once the bins hold a few counts each. ``tvd`` is not a
quadratic form (its noise falls as 1/√n and depends on the bins' shape): it has no formula here.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from driftwatch.engine.divergences import as_pair, get_metric
from driftwatch.errors import EngineError

__all__ = [
    "QUADRATIC_METRICS",
    "critical_value",
    "debiased_value",
    "decision_threshold",
    "effect_size",
    "null_bias",
]

QUADRATIC_METRICS: dict[str, float] = {
    "js": 1.0 / (8.0 * math.log(2.0)),
    "kl": 0.5,
    "psi": 1.0,
    "hellinger": 0.125,  # of hellinger², which is what is quadratic
}
"""c in ``metric ≈ c·X²`` (hellinger: ``hellinger² ≈ c·X²``)."""


def _factor(metric: str) -> float:
    try:
        return QUADRATIC_METRICS[metric]
    except KeyError:
        raise EngineError(
            f"no bias or critical-value formula for metric {metric!r}; "
            f"choose one of: {', '.join(sorted(QUADRATIC_METRICS))}"
        ) from None


def _sizes(n_live: float, n_ref: float) -> float:
    if not (n_live > 0 and n_ref > 0):
        raise EngineError(f"sample sizes must be positive, got n_live={n_live}, n_ref={n_ref}")
    return 1.0 / n_live + 1.0 / n_ref


def null_bias(metric: str, k: int, n_live: float, n_ref: float) -> float:
    """Expected plug-in ``metric`` with no drift over ``k`` used bins (hellinger: of its square)."""
    if k < 1:
        raise EngineError(f"the number of bins k must be >= 1, got {k}")
    return _factor(metric) * (k - 1) * _sizes(n_live, n_ref)


def debiased_value(metric: str, value: float, k: int, n_live: float, n_ref: float) -> float:
    """``value`` minus its no-drift bias, floored at 0 (hellinger: on the square)."""
    return _debiased(metric, value, null_bias(metric, k, n_live, n_ref))


def _debiased(metric: str, value: float, bias: float) -> float:
    if metric == "hellinger":
        return math.sqrt(max(value * value - bias, 0.0))
    return max(value - bias, 0.0)


def _biased(metric: str, effect: float, bias: float) -> float:
    """Inverse of :func:`debiased_value` for ``effect > 0``: the least plug-in value whose
    debiased value reaches ``effect``.

    The formula alone can land a rounding short when ``effect`` is far below the bias (for
    hellinger ``sqrt`` magnifies it: an effect of 1e-10 on a bias of 0.025 came back as 0), so
    it steps up to the first float that reaches it — one or two steps at most.
    """
    value = math.sqrt(effect * effect + bias) if metric == "hellinger" else effect + bias
    while _debiased(metric, value, bias) < effect:
        value = math.nextafter(value, math.inf)
    return value


def effect_size(
    metric: str, live_counts: npt.ArrayLike, reference_counts: npt.ArrayLike, alpha: float = 0.5
) -> float:
    """The debiased ``metric`` of two count vectors; k counts the bins not empty in both."""
    live, reference = as_pair(live_counts, reference_counts, ("live counts", "reference counts"))
    k = int(np.count_nonzero((live + reference) > 0))
    value = get_metric(metric).compute(live, reference, alpha)
    return debiased_value(metric, value, k, float(live.sum()), float(reference.sum()))


def critical_value(
    metric: str, *, dof: int, n_live: float, n_ref: float, alpha: float, williams: float = 1.0
) -> float:
    """The plug-in ``metric`` whose G-test p-value is ``alpha`` at these sizes; inf if dof is 0.

    ``williams`` is the test's Williams divisor q (:func:`~driftwatch.engine.stats.williams_q`):
    the test compares G / q with χ², so its critical G is q times χ²'s quantile.
    """
    if not 0.0 < alpha < 1.0:
        raise EngineError(f"alpha must lie strictly between 0 and 1, got {alpha}")
    if not (math.isfinite(williams) and williams >= 1.0):
        raise EngineError(f"Williams' divisor q must be >= 1, got {williams}")
    if dof < 1:
        return math.inf
    from scipy import special

    # χ²'s upper quantile as scipy.stats.chi2.isf computes it, without scipy.stats's import.
    quantile = 2.0 * float(special.gammainccinv(dof / 2.0, alpha))
    x2 = williams * quantile * _sizes(n_live, n_ref)
    value = _factor(metric) * x2
    return math.sqrt(value) if metric == "hellinger" else value


def decision_threshold(
    metric: str,
    magnitude: float | None,
    *,
    k: int,
    dof: int,
    n_live: float,
    n_ref: float,
    alpha: float,
    williams: float = 1.0,
) -> float:
    """The plug-in ``metric`` value at which "p < alpha and debiased value ≥ magnitude" fires.

    The larger of the magnitude seen through the bias (``magnitude + null_bias``) and
    :func:`critical_value`. ``k`` is the number of bins the metric uses, ``dof`` the test's degrees
    of freedom and ``alpha`` its level (the interior G-test's share of the budget when the test is
    :func:`~driftwatch.engine.drift_test.drift_test`). A window can still fire below it through a
    tail or ``__unseen__``; the line is where the interior evidence alone suffices.
    """
    cut = critical_value(
        metric, dof=dof, n_live=n_live, n_ref=n_ref, alpha=alpha, williams=williams
    )
    if magnitude is None:
        return cut
    if magnitude < 0:
        raise EngineError(f"a magnitude must be >= 0, got {magnitude}")
    floor = _biased(metric, magnitude, null_bias(metric, k, n_live, n_ref))
    return max(floor, cut)
