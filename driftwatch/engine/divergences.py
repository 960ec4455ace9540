"""Divergences between a live and a reference distribution over the same bins.

Every function takes two 1-D vectors of counts (or probabilities) over identical bins, ``p`` = live
and ``q`` = reference, and normalizes them itself. numpy and ``scipy.special.rel_entr`` (imported
where it is used: importing the engine loads no scipy); ``scipy.stats.entropy`` and
``scipy.spatial.distance.jensenshannon`` are the tests' oracles.

Smoothing (``alpha > 0``, used by KL and PSI) is additive and works in *count* units: bins empty in
both vectors are dropped, then each side becomes ``(count + alpha) / (n + alpha * k)``. Pass counts,
not proportions, when smoothing, or ``alpha`` will swamp the data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from driftwatch.errors import EngineError

__all__ = [
    "METRICS",
    "Metric",
    "bin_contributions",
    "get_metric",
    "hellinger",
    "js_divergence",
    "kl_divergence",
    "metric_names",
    "psi",
    "total_variation",
]

FloatArray = npt.NDArray[np.float64]


def as_vector(x: npt.ArrayLike, name: str) -> FloatArray:
    """``x`` as a 1-D float64 array of non-negative finite entries with a positive sum."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise EngineError(f"{name} must be a vector of numbers: {exc}") from None
    if arr.ndim != 1:
        raise EngineError(f"{name} must be a 1-D vector, got an array with {arr.ndim} dimensions")
    if arr.size == 0:
        raise EngineError(f"{name} is empty: a distribution needs at least one bin")
    if not np.all(np.isfinite(arr)):
        raise EngineError(f"{name} holds non-finite entries (NaN or inf); counts must be finite")
    if np.any(arr < 0):
        raise EngineError(f"{name} holds negative entries; counts must be >= 0")
    if not arr.sum() > 0:
        raise EngineError(f"{name} sums to zero: no observations to compare")
    return arr


def as_pair(
    p: npt.ArrayLike,
    q: npt.ArrayLike,
    names: tuple[str, str] = ("live distribution p", "reference distribution q"),
) -> tuple[FloatArray, FloatArray]:
    """Validated live and reference vectors of the same length."""
    pa = as_vector(p, names[0])
    qa = as_vector(q, names[1])
    if pa.shape != qa.shape:
        raise EngineError(
            f"{names[0]} and {names[1]} have different lengths ({pa.size} vs {qa.size}); "
            "they must be counted on the same bins"
        )
    return pa, qa


def _check_alpha(alpha: float) -> float:
    if not (math.isfinite(alpha) and alpha >= 0):
        raise EngineError(f"smoothing alpha must be a finite number >= 0, got {alpha!r}")
    return float(alpha)


def _check_base(base: float) -> float:
    if not (math.isfinite(base) and base > 0 and base != 1):
        raise EngineError(f"log base must be a finite positive number other than 1, got {base!r}")
    return float(base)


def _proportions(p: FloatArray, q: FloatArray, alpha: float) -> tuple[FloatArray, FloatArray]:
    """Raw proportions (``alpha == 0``) or smoothed ones over the bins not empty in both."""
    if alpha == 0:
        return p / p.sum(), q / q.sum()
    keep = (p > 0) | (q > 0)
    p, q = p[keep], q[keep]
    k = p.size
    return (p + alpha) / (p.sum() + alpha * k), (q + alpha) / (q.sum() + alpha * k)


def _nonneg(value: float) -> float:
    """Clip the tiny negative values rounding can produce for a divergence that is >= 0."""
    return max(float(value), 0.0)


def kl_divergence(
    p: npt.ArrayLike, q: npt.ArrayLike, *, base: float = math.e, alpha: float = 0.0
) -> float:
    """Kullback-Leibler divergence KL(p ‖ q) = Σ p·log(p/q) of live ``p`` from reference ``q``.

    With ``alpha == 0`` this is ``scipy.stats.entropy(p, q, base=base)``: ``inf`` as soon as a bin
    holds live mass but no reference mass. With ``alpha > 0`` bins empty in both are dropped and
    both sides are additively smoothed, so the result is always finite.
    """
    from scipy.special import rel_entr

    base = _check_base(base)
    alpha = _check_alpha(alpha)
    pa, qa = as_pair(p, q)
    pp, qq = _proportions(pa, qa, alpha)
    total = float(np.sum(rel_entr(pp, qq)))
    if total == math.inf:
        return math.inf
    return _nonneg(total / math.log(base))


def js_divergence(p: npt.ArrayLike, q: npt.ArrayLike, *, base: float = 2.0) -> float:
    """Jensen-Shannon divergence ½KL(p‖m) + ½KL(q‖m), m = (p+q)/2, on raw proportions.

    This is the *divergence* (0 ≤ js ≤ 1 in base 2), not scipy's Jensen-Shannon *distance*:
    ``scipy.spatial.distance.jensenshannon`` returns its square root. Always finite, no smoothing.
    """
    from scipy.special import rel_entr

    base = _check_base(base)
    pa, qa = as_pair(p, q)
    pp, qq = pa / pa.sum(), qa / qa.sum()
    m = (pp + qq) / 2.0
    total = float(np.sum(rel_entr(pp, m))) + float(np.sum(rel_entr(qq, m)))
    return _nonneg(total / math.log(base) / 2.0)


def psi(p: npt.ArrayLike, q: npt.ArrayLike, *, alpha: float = 0.5) -> float:
    """Population stability index Σ (p−q)·ln(p/q) on smoothed proportions (nats).

    Smoothing is the same as :func:`kl_divergence`'s, so ``psi(p, q, alpha=a)`` equals
    ``kl_divergence(p, q, alpha=a) + kl_divergence(q, p, alpha=a)``. With ``alpha == 0`` a bin empty
    on one side only makes it ``inf``.
    """
    alpha = _check_alpha(alpha)
    pa, qa = as_pair(p, q)
    pp, qq = _proportions(pa, qa, alpha)
    keep = (pp > 0) | (qq > 0)
    pp, qq = pp[keep], qq[keep]
    if np.any((pp == 0) | (qq == 0)):
        return math.inf
    with np.errstate(over="ignore", under="ignore"):
        total = float(np.sum((pp - qq) * np.log(pp / qq)))
    return math.inf if total == math.inf else _nonneg(total)


def hellinger(p: npt.ArrayLike, q: npt.ArrayLike) -> float:
    """Hellinger distance √(½ Σ (√p − √q)²) on raw proportions; 0 ≤ h ≤ 1, symmetric."""
    pa, qa = as_pair(p, q)
    diff = np.sqrt(pa / pa.sum()) - np.sqrt(qa / qa.sum())
    return min(math.sqrt(_nonneg(0.5 * float(np.sum(diff * diff)))), 1.0)


def total_variation(p: npt.ArrayLike, q: npt.ArrayLike) -> float:
    """Total variation distance ½ Σ |p − q| on raw proportions; 0 ≤ tvd ≤ 1, symmetric."""
    pa, qa = as_pair(p, q)
    return min(0.5 * float(np.sum(np.abs(pa / pa.sum() - qa / qa.sum()))), 1.0)


@dataclass(frozen=True)
class Metric:
    """A named divergence with the project's conventions baked into ``compute``.

    ``compute(live_counts, reference_counts, alpha)`` returns the value in ``unit``; metrics that
    use no smoothing ignore ``alpha``.
    """

    name: str
    unit: str
    description: str
    compute: Callable[[np.ndarray, np.ndarray, float], float]
    log_base: float | None = None
    """The logarithm's base, stored with every value (None for metrics without a logarithm)."""
    smoothed: bool = False
    """Whether ``compute`` applies additive smoothing ``alpha`` (stored with the value)."""


def _kl(live: np.ndarray, ref: np.ndarray, alpha: float) -> float:
    return kl_divergence(live, ref, base=math.e, alpha=alpha)


def _js(live: np.ndarray, ref: np.ndarray, alpha: float) -> float:
    return js_divergence(live, ref, base=2.0)


def _psi(live: np.ndarray, ref: np.ndarray, alpha: float) -> float:
    return psi(live, ref, alpha=alpha)


def _hellinger(live: np.ndarray, ref: np.ndarray, alpha: float) -> float:
    return hellinger(live, ref)


def _tvd(live: np.ndarray, ref: np.ndarray, alpha: float) -> float:
    return total_variation(live, ref)


METRICS: Mapping[str, Metric] = MappingProxyType(
    {
        m.name: m
        for m in (
            Metric("hellinger", "unitless", "Hellinger distance on raw proportions", _hellinger),
            Metric("js", "bits", "Jensen-Shannon divergence (base 2) on raw proportions", _js, 2.0),
            Metric(
                "kl",
                "nats",
                "KL(live ‖ reference), natural log, additively smoothed",
                _kl,
                math.e,
                smoothed=True,
            ),
            Metric(
                "psi",
                "nats",
                "population stability index on smoothed proportions",
                _psi,
                math.e,
                smoothed=True,
            ),
            Metric("tvd", "unitless", "total variation distance on raw proportions", _tvd),
        )
    }
)


def metric_names() -> tuple[str, ...]:
    """The registered metric names, sorted."""
    return tuple(sorted(METRICS))


def get_metric(name: str) -> Metric:
    """The registered metric called ``name``; EngineError listing the valid names otherwise."""
    try:
        return METRICS[name]
    except (KeyError, TypeError):
        raise EngineError(
            f"unknown metric {name!r}; choose one of: {', '.join(metric_names())}"
        ) from None


def bin_contributions(
    live_counts: npt.ArrayLike,
    reference_counts: npt.ArrayLike,
    labels: tuple[str, ...] | list[str],
    *,
    top: int = 5,
) -> list[dict[str, Any]]:
    """The ``top`` bins that moved most, by their term of the Jensen-Shannon divergence.

    Each entry is ``{"label", "reference_share", "live_share", "contribution"}`` with plain Python
    floats (JSON-ready); ``contribution`` is ½p·log2(p/m) + ½q·log2(q/m) in bits, so the
    contributions of all bins add up to :func:`js_divergence`. Sorted by contribution descending,
    ties by label.
    """
    from scipy.special import rel_entr

    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise EngineError(f"top must be a positive integer, got {top!r}")
    pa, qa = as_pair(live_counts, reference_counts)
    names = [str(label) for label in labels]
    if len(names) != pa.size:
        raise EngineError(f"got {len(names)} labels for {pa.size} bins; they must match one to one")
    pp, qq = pa / pa.sum(), qa / qa.sum()
    m = (pp + qq) / 2.0
    terms = (rel_entr(pp, m) + rel_entr(qq, m)) / math.log(2.0) / 2.0
    ranked = sorted(
        zip(names, qq.tolist(), pp.tolist(), terms.tolist(), strict=True),
        key=lambda row: (-_nonneg(row[3]), row[0]),
    )
    return [
        {
            "label": label,
            "reference_share": ref_share,
            "live_share": live_share,
            "contribution": _nonneg(term),
        }
        for label, ref_share, live_share, term in ranked[:top]
    ]
