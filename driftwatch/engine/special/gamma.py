"""ln|Γ| and ln|B| on arrays (Cephes lgam, Gamma, rgamma, lbeta), and scipy's xlogy and rel_entr."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from driftwatch.engine.special._common import (
    LOGPI,
    LS2PI,
    MAXGAM,
    MAXLGM,
    MAXSTIR,
    SQRT2PI,
    FloatArray,
    _p1evl,
    _polevl,
)
from driftwatch.engine.special._tables import (
    GAMMA_A,
    GAMMA_B,
    GAMMA_C,
    GAMMA_P,
    GAMMA_Q,
    GAMMA_STIR,
    RGAMMA_R,
)


def xlogy(x: npt.ArrayLike, y: npt.ArrayLike) -> FloatArray:
    """``x·ln y``, 0 where ``x == 0`` unless y is nan (scipy.special.xlogy)."""
    x_arr, y_arr = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        product = x_arr * np.log(y_arr)
    return np.asarray(np.where((x_arr == 0) & ~np.isnan(y_arr), 0.0, product), dtype=np.float64)


def rel_entr(x: npt.ArrayLike, y: npt.ArrayLike) -> FloatArray:
    """``x·ln(x/y)`` for x, y > 0; 0 where x = 0 ≤ y; ∞ otherwise; nan in, nan out.

    scipy.special.rel_entr, with its three evaluations: ``x·log1p((x − y)/y)`` when x/y is in
    (0.5, 2), ``x·log(x/y)`` when x/y is a normal number, ``x·(log x − log y)`` when it is not.
    """
    x_arr, y_arr = np.broadcast_arrays(
        np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    )
    logs = np.zeros(x_arr.shape, dtype=np.float64)  # ln(x/y) where both are positive
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        ratio = x_arr / y_arr
        positive = (x_arr > 0) & (y_arr > 0)
        near = positive & (ratio > 0.5) & (ratio < 2.0)
        normal = positive & ~near & (ratio > np.finfo(np.float64).tiny) & (ratio < np.inf)
        apart = positive & ~near & ~normal
        np.log1p((x_arr - y_arr) / y_arr, out=logs, where=near)
        np.log(ratio, out=logs, where=normal)
        if apart.any():
            logs[apart] = np.log(x_arr[apart]) - np.log(y_arr[apart])
        out = np.asarray(x_arr * logs, dtype=np.float64)
    out[~positive] = np.where((x_arr == 0) & (y_arr >= 0), 0.0, np.inf)[~positive]
    out[np.isnan(x_arr) | np.isnan(y_arr)] = np.nan
    return out


# --- log Γ and log B --------------------------------------------------------------------------


def _lgam_large(x: FloatArray) -> FloatArray:
    """Stirling's series for ln Γ(x), 13 ≤ x ≤ MAXLGM: lgam's two forms, fewer terms from 1000.

    In place where it can, and without gathering subsets: the drift test calls this on 65 536
    terms, where every temporary array costs more than the arithmetic.
    """
    q = np.log(x)
    q *= x - 0.5
    q -= x
    q += LS2PI  # (x − 0.5)·ln x − x + ln √(2π), in lgam's order
    p = x * x
    np.divide(1.0, p, out=p)
    low, high = float(x.min()), float(x.max())
    if high < 1000.0:
        series = _polevl(p, GAMMA_A)
    elif low >= 1000.0 and high <= 1.0e8:
        series = _short_stirling(p)
    else:  # both forms on the whole array: cheaper than gathering subsets
        series = _short_stirling(p)
        np.copyto(series, _polevl(p, GAMMA_A), where=x < 1000.0)
        series[x > 1.0e8] = 0.0  # below half an ulp of q there: lgam drops it
    series /= x
    q += series
    return q


def _short_stirling(p: FloatArray) -> FloatArray:
    """lgam's three-term Stirling correction for x ≥ 1000, before its division by x; p = 1/x²."""
    series = 7.9365079365079365079365e-4 * p
    series -= 2.7777777777777777777778e-3
    series *= p
    series += 0.0833333333333333333333
    return series


def gammaln(x: npt.ArrayLike) -> FloatArray:
    """ln|Γ(x)| elementwise (scipy.special.gammaln: Cephes lgam); ∞ at the poles 0, −1, −2, …"""
    x_arr = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if x_arr.size and bool(np.all((x_arr >= 13.0) & (x_arr <= MAXLGM))):
            return _lgam_large(x_arr.ravel()).reshape(x_arr.shape)  # the drift test's case
        flat = x_arr.ravel()
        out = flat.copy()  # ±∞ and nan are their own ln|Γ|, as in lgam
        finite = np.isfinite(flat)
        out[finite & (flat > MAXLGM)] = np.inf
        large = finite & (flat >= 13.0) & (flat <= MAXLGM)
        if large.any():  # on the whole array (13 elsewhere): cheaper than gathering a subset
            np.copyto(out, _lgam_large(np.where(large, flat, 13.0)), where=large)
        middle = finite & (flat >= -34.0) & (flat < 13.0)
        if middle.any():
            out[middle] = _lgam_middle(flat[middle])
        reflected = finite & (flat < -34.0)
        if reflected.any():
            out[reflected] = _lgam_reflected(flat[reflected])
    return out.reshape(x_arr.shape)


def _lgam_middle(x: FloatArray) -> FloatArray:
    """ln|Γ(x)| for −34 ≤ x < 13: recur to [2, 3), then lgam's rational function there."""
    z = np.ones_like(x)
    shift = np.zeros_like(x)
    u = x.copy()
    pole = np.zeros(x.shape, dtype=bool)
    down = u >= 3.0
    while down.any():
        shift[down] -= 1.0
        u[down] = x[down] + shift[down]
        z[down] *= u[down]
        down = u >= 3.0
    up = u < 2.0
    while up.any():
        pole |= up & (u == 0.0)
        up &= ~pole
        z[up] /= u[up]
        shift[up] += 1.0
        u[up] = x[up] + shift[up]
        up = (u < 2.0) & ~pole
    z = np.abs(z)
    t = x + (shift - 2.0)
    rational = t * _polevl(t, GAMMA_B) / _p1evl(t, GAMMA_C)
    out = np.where(u == 2.0, np.log(z), np.log(z) + rational)
    return np.asarray(np.where(pole, np.inf, out), dtype=np.float64)


def _lgam_reflected(x: FloatArray) -> FloatArray:
    """ln|Γ(x)| for x < −34 by reflection, ln π − ln|q·sin(π z)| − ln Γ(q), q = −x."""
    q = -x
    w = gammaln(q)
    p = np.floor(q)
    z = q - p
    z = np.where(z > 0.5, (p + 1.0) - q, z)
    s = q * np.sin(np.pi * z)
    out = LOGPI - np.log(s) - w
    return np.asarray(np.where((p == q) | (s == 0.0), np.inf, out), dtype=np.float64)


def _lgam(x: float) -> float:
    """Scalar ln|Γ(x)| for the incomplete gamma routines (same steps as :func:`gammaln`)."""
    if not (math.isfinite(x) and x >= -34.0):
        return float(gammaln(x))
    if x < 13.0:
        z, shift, u = 1.0, 0.0, x
        while u >= 3.0:
            shift -= 1.0
            u = x + shift
            z *= u
        while u < 2.0:
            if u == 0.0:
                return math.inf
            z /= u
            shift += 1.0
            u = x + shift
        z = abs(z)
        if u == 2.0:
            return math.log(z)
        t = x + (shift - 2.0)
        return math.log(z) + t * _polevl(t, GAMMA_B) / _p1evl(t, GAMMA_C)
    if x > MAXLGM:
        return math.inf
    q = (x - 0.5) * math.log(x) - x + LS2PI
    if x >= 1000.0:
        if x > 1.0e8:
            return q
        p = 1.0 / (x * x)
        return (
            q
            + (
                (7.9365079365079365079365e-4 * p - 2.7777777777777777777778e-3) * p
                + 0.0833333333333333333333
            )
            / x
        )
    return q + _polevl(1.0 / (x * x), GAMMA_A) / x


def _stirling_gamma(x: FloatArray) -> FloatArray:
    """Γ(x) for 33 < x < MAXGAM by Stirling's formula (Cephes stirf)."""
    w = 1.0 / x
    w = 1.0 + w * _polevl(w, GAMMA_STIR)
    y = np.exp(x)
    v = np.power(x, 0.5 * x - 0.25)
    y = np.where(x > MAXSTIR, v * (v / y), np.power(x, x - 0.5) / y)
    return np.asarray(np.where(x >= MAXGAM, np.inf, SQRT2PI * y * w), dtype=np.float64)


def _gamma(x: FloatArray) -> FloatArray:
    """Γ(x) elementwise (Cephes Gamma); nan at the negative integers."""
    out = np.full(x.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out[x == np.inf] = np.inf
        out[x == 0.0] = np.copysign(np.inf, x[x == 0.0])
        finite = np.isfinite(x) & (x != 0.0)
        outer = finite & (np.abs(x) > 33.0)
        positive = outer & (x > 0.0)
        out[positive] = _stirling_gamma(x[positive])
        negative = outer & (x < 0.0)
        if negative.any():
            out[negative] = _gamma_reflected(x[negative])
        inner = finite & ~outer
        if inner.any():
            out[inner] = _gamma_inner(x[inner])
    return out


def _gamma_reflected(x: FloatArray) -> FloatArray:
    q = -x
    p = np.floor(q)
    sign = np.where(p % 2.0 == 0.0, -1.0, 1.0)
    z = q - p
    p = np.where(z > 0.5, p + 1.0, p)
    z = q * np.sin(np.pi * (q - p))
    value = sign * (np.pi / (np.abs(z) * _stirling_gamma(q)))
    value = np.where(z == 0.0, sign * np.inf, value)
    return np.asarray(np.where(np.floor(q) == q, np.nan, value), dtype=np.float64)


def _gamma_inner(x: FloatArray) -> FloatArray:
    """Γ(x) for 0 < |x| ≤ 33: recur to [2, 3), then Cephes's rational function there."""
    x = x.copy()
    z = np.ones_like(x)
    small = np.zeros(x.shape, dtype=bool)
    down = x >= 3.0
    while down.any():
        x[down] -= 1.0
        z[down] *= x[down]
        down = x >= 3.0
    for below, tiny in ((0.0, -1.0e-9), (2.0, 1.0e-9)):
        step = (x < below) & ~small
        while step.any():
            near_zero = step & (x > tiny) if below == 0.0 else step & (x < tiny)
            small |= near_zero
            step &= ~near_zero
            z[step] /= x[step]
            x[step] += 1.0
            step = (x < below) & ~small
    t = x - 2.0
    regular = np.where(x == 2.0, z, z * _polevl(t, GAMMA_P) / _polevl(t, GAMMA_Q))
    near = np.where(x == 0.0, np.nan, z / ((1.0 + 0.5772156649015329 * x) * x))
    return np.asarray(np.where(small, near, regular), dtype=np.float64)


def _chbevl(x: FloatArray, coefficients: Sequence[float]) -> FloatArray:
    """A Chebyshev series by Clenshaw's recurrence (Cephes chbevl)."""
    b0, b1, b2 = np.full(x.shape, coefficients[0]), np.zeros(x.shape), np.zeros(x.shape)
    for c in coefficients[1:]:
        b2, b1 = b1, b0
        b0 = x * b1 - b2 + c
    return np.asarray(0.5 * (b0 - b2), dtype=np.float64)


def _rgamma(x: FloatArray) -> FloatArray:
    """1/Γ(x) elementwise (Cephes rgamma): 0 at the poles, a Chebyshev series for |x| ≤ 4."""
    out = np.full(x.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        zero = x == 0.0
        out[zero] = x[zero]
        pole = (x < 0.0) & (x == np.floor(x))
        out[pole] = 0.0
        far = ~zero & ~pole & (np.abs(x) > 4.0)
        out[far] = 1.0 / _gamma(x[far])
        near = ~zero & ~pole & (np.abs(x) <= 4.0)
        w, z = x[near].copy(), np.ones(int(near.sum()))
        down = w > 1.0
        while down.any():
            w[down] -= 1.0
            z[down] *= w[down]
            down = w > 1.0
        up = w < 0.0
        while up.any():
            z[up] /= w[up]
            w[up] += 1.0
            up = w < 0.0
        series = w * (1.0 + _chbevl(4.0 * w - 2.0, RGAMMA_R)) / z
        out[near] = np.where(w == 0.0, 0.0, np.where(w == 1.0, 1.0 / z, series))
    return out


def betaln(a: npt.ArrayLike, b: npt.ArrayLike) -> FloatArray:
    """ln|B(a, b)| elementwise (scipy.special.betaln: Cephes lbeta).

    Γ's ratio directly while every argument is below Γ's overflow, log-gammas beyond, and an
    asymptotic series when one argument exceeds 10⁶ times the other (no cancellation between
    ln Γ(a + b) and ln Γ(a)).
    """
    a_arr, b_arr = np.broadcast_arrays(
        np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    )
    shape = a_arr.shape
    a_flat, b_flat = a_arr.ravel(), b_arr.ravel()
    out = np.full(a_flat.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        if a_flat.size and bool(np.all((a_flat > 0.0) & (b_flat > 0.0))):
            # The drift test's case: no pole, no nan, no sign; |a| ≥ |b| is max and min.
            big, little = np.maximum(a_flat, b_flat), np.minimum(a_flat, b_flat)
            return _lbeta_regular(big, little).reshape(shape)
        a_pole = (a_flat <= 0.0) & (a_flat == np.floor(a_flat))
        b_pole = ~a_pole & (b_flat <= 0.0) & (b_flat == np.floor(b_flat))
        for pole, (n, other) in ((a_pole, (a_flat, b_flat)), (b_pole, (b_flat, a_flat))):
            if pole.any():
                out[pole] = _lbeta_at_pole(n[pole], other[pole])
        rest = ~a_pole & ~b_pole & ~np.isnan(a_flat) & ~np.isnan(b_flat)
        swap = np.abs(a_flat) < np.abs(b_flat)
        big = np.where(swap, b_flat, a_flat)[rest]
        little = np.where(swap, a_flat, b_flat)[rest]
        out[rest] = _lbeta_regular(big, little)
    return out.reshape(shape)


def _lbeta_at_pole(n: FloatArray, other: FloatArray) -> FloatArray:
    """ln|B(n, b)| for n a non-positive integer: finite only as B(1 − n − b, b) for integral b."""
    finite = (other == np.trunc(other)) & (1.0 - n - other > 0.0) & (np.abs(n) < 2.0**31)
    out = np.full(n.shape, np.inf)
    if finite.any():
        out[finite] = betaln(1.0 - n[finite] - other[finite], other[finite])
    return out


def _lbeta_regular(a: FloatArray, b: FloatArray) -> FloatArray:
    """ln|B(a, b)| with |a| ≥ |b|, neither a pole nor nan."""
    total = a + b
    asymptotic = (np.abs(a) > 1e6 * np.abs(b)) & (a > 1e6)
    logs = ~asymptotic & ((np.abs(total) > MAXGAM) | (np.abs(a) > MAXGAM) | (np.abs(b) > MAXGAM))
    if 2 * int(logs.sum()) > logs.size:
        # Mostly log-gammas (the drift test's tails at large n): on the whole array, the rest
        # overwritten below, rather than gathering a subset of 65 536 terms.
        out = np.asarray(gammaln(a) + (gammaln(b) - gammaln(total)), dtype=np.float64)
    else:
        out = np.empty(a.shape, dtype=np.float64)
        if logs.any():
            out[logs] = gammaln(a[logs]) + (gammaln(b[logs]) - gammaln(total[logs]))
    if asymptotic.any():
        x, y = a[asymptotic], b[asymptotic]
        r = gammaln(y) - y * np.log(x)
        r += y * (1 - y) / (2 * x)
        r += y * (1 - y) * (1 - 2 * y) / (12 * x * x)
        r += -y * y * (1 - y) * (1 - y) / (12 * x * x * x)
        out[asymptotic] = r
    ratio = ~asymptotic & ~logs
    if ratio.any():
        x, y, s = a[ratio], b[ratio], total[ratio]
        reciprocal = _rgamma(s)
        gamma_x, gamma_y = _gamma(x), _gamma(y)
        x_first = np.abs(np.abs(gamma_x * reciprocal) - 1.0) > np.abs(
            np.abs(gamma_y * reciprocal) - 1.0
        )
        product = np.where(
            x_first, (gamma_y * reciprocal) * gamma_x, (gamma_x * reciprocal) * gamma_y
        )
        out[ratio] = np.where(np.isinf(reciprocal), np.inf, np.log(np.abs(product)))
    return out


# --- the incomplete gamma ratios ----------------------------------------------------------------
