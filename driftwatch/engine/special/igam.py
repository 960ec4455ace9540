"""The regularized incomplete gamma Q(a, x) and its inverse (Cephes igam, igamc, igami): the
χ² upper tail and quantile."""

from __future__ import annotations

import math

from driftwatch.engine.special._common import (
    _IGAM_BIG,
    _IGAM_BIGINV,
    _IGAM_LARGE,
    _IGAM_LARGERATIO,
    _IGAM_MAXITER,
    _IGAM_SMALL,
    _IGAM_SMALLRATIO,
    _LANCZOS_G,
    EULER,
    MACHEP,
    MAXLOG,
    _exp,
    _log,
    _p1evl,
    _polevl,
)
from driftwatch.engine.special._tables import (
    IGAM_ASYMP_COEFF,
    LANCZOS_EXPG_SCALED_DENOM,
    LANCZOS_EXPG_SCALED_NUM,
    LOG1P_LP,
    LOG1P_LQ,
    ZETA,
)
from driftwatch.engine.special.gamma import (
    _lgam,
)


def _log1pmx(x: float) -> float:
    """ln(1 + x) − x (Cephes log1pmx: its series inside |x| < 0.5)."""
    if abs(x) < 0.5:
        xfac, total = x, 0.0
        for n in range(2, 2000):
            xfac *= -x
            term = xfac / n
            total += term
            if abs(term) < MACHEP * abs(total):
                break
        return total
    return _log1p(x) - x


def _log1p(x: float) -> float:
    """ln(1 + x) (Cephes log1p, which log1pmx calls)."""
    z = 1.0 + x
    if z < math.sqrt(0.5) or z > math.sqrt(2.0):
        return math.log(z)
    z = x * x
    z = -0.5 * z + x * (z * _polevl(x, LOG1P_LP) / _p1evl(x, LOG1P_LQ))
    return x + z


def _lgam1p_taylor(x: float) -> float:
    """ln Γ(1 + x) near x = 0 from its Taylor series, −γx + Σ (−x)ⁿ ζ(n)/n."""
    if x == 0:
        return 0.0
    total = -EULER * x
    xfac = -x
    for n, zeta in enumerate(ZETA, start=2):
        xfac *= -x
        coefficient = zeta * xfac / n
        total += coefficient
        if abs(coefficient) < MACHEP * abs(total):
            break
    return total


def _lgam1p(x: float) -> float:
    """ln Γ(1 + x), accurate near x = 0 and x = 1."""
    if abs(x) <= 0.5:
        return _lgam1p_taylor(x)
    if abs(x - 1) < 0.5:
        return math.log(x) + _lgam1p_taylor(x - 1)
    return _lgam(x + 1)


def _expm1(x: float) -> float:
    """eˣ − 1 (Cephes expm1, which igamc_series calls)."""
    if not math.isfinite(x):
        return x if math.isnan(x) or x > 0 else -1.0
    if x < -0.5 or x > 0.5:
        return math.exp(x) - 1.0
    xx = x * x
    r = x * _polevl(xx, (1.2617719307481059087798e-4, 3.0299440770744196129956e-2, 1.0))
    r = r / (
        _polevl(
            xx,
            (
                3.0019850513866445504159e-6,
                2.5244834034968410419224e-3,
                2.2726554820815502876593e-1,
                2.0,
            ),
        )
        - r
    )
    return r + r


def _lanczos_sum_expg_scaled(x: float) -> float:
    """The Lanczos sum scaled by exp(−g) (Boost/xsf ratevl of two degree-12 polynomials)."""
    num, den = LANCZOS_EXPG_SCALED_NUM, LANCZOS_EXPG_SCALED_DENOM
    if abs(x) > 1:
        y = 1 / x
        num, den = num[::-1], den[::-1]
    else:
        y = x
    return _polevl(y, num) / _polevl(y, den)


def _igam_fac(a: float, x: float) -> float:
    """xᵃ·e⁻ˣ/Γ(a), through the Lanczos approximation when x is near a (Boost's eqs. 15–16)."""
    if abs(a - x) > 0.4 * abs(a):
        ax = a * _log(x) - x - _lgam(a)
        return 0.0 if ax < -MAXLOG else _exp(ax)
    fac = a + _LANCZOS_G - 0.5
    res = math.sqrt(fac / math.exp(1)) / _lanczos_sum_expg_scaled(a)
    if a < 200 and x < 200:
        return res * math.exp(a - x) * math.pow(x / fac, a)
    num = x - a - _LANCZOS_G + 0.5
    return res * math.exp(a * _log1pmx(num / fac) + x * (0.5 - _LANCZOS_G) / fac)


def _igamc_continued_fraction(a: float, x: float) -> float:
    """Q(a, x) by the continued fraction DLMF 8.9.2."""
    ax = _igam_fac(a, x)
    if ax == 0.0:
        return 0.0
    y = 1.0 - a
    z = x + y + 1.0
    c = 0.0
    pkm2, qkm2 = 1.0, x
    pkm1, qkm1 = x + 1.0, z * x
    ans = pkm1 / qkm1
    for _ in range(_IGAM_MAXITER):
        c += 1.0
        y += 1.0
        z += 2.0
        yc = y * c
        pk = pkm1 * z - pkm2 * yc
        qk = qkm1 * z - qkm2 * yc
        if qk != 0:
            r = pk / qk
            t = abs((ans - r) / r) if r != 0 else math.inf  # C: a division by zero, not done
            ans = r
        else:
            t = 1.0
        pkm2, pkm1, qkm2, qkm1 = pkm1, pk, qkm1, qk
        if abs(pk) > _IGAM_BIG:
            pkm2 *= _IGAM_BIGINV
            pkm1 *= _IGAM_BIGINV
            qkm2 *= _IGAM_BIGINV
            qkm1 *= _IGAM_BIGINV
        if t <= MACHEP:
            break
    return ans * ax


def _igam_series(a: float, x: float) -> float:
    """P(a, x) by the power series DLMF 8.11.4."""
    ax = _igam_fac(a, x)
    if ax == 0.0:
        return 0.0
    r, c, ans = a, 1.0, 1.0
    for _ in range(_IGAM_MAXITER):
        r += 1.0
        c *= x / r
        ans += c
        if c <= MACHEP * ans:
            break
    return ans * ax / a


def _igamc_series(a: float, x: float) -> float:
    """Q(a, x) for small x by DLMF 8.7.3, arranged against cancellation."""
    fac, total = 1.0, 0.0
    for n in range(1, _IGAM_MAXITER):
        fac *= -x / n
        term = fac / (a + n)
        total += term
        if abs(term) <= MACHEP * abs(total):
            break
    log_x = math.log(x)
    term = -_expm1(a * log_x - _lgam1p(a))
    return term - math.exp(a * log_x - _lgam(a)) * total


def _asymptotic_series(a: float, x: float, upper: bool) -> float:
    """Q (``upper``) or P by Temme's uniform expansion, DLMF 8.12.3/8.12.4, for a ≈ x."""
    sign = 1 if upper else -1
    lam = x / a
    sigma = (x - a) / a
    if lam > 1:
        eta = math.sqrt(-2 * _log1pmx(sigma))
    elif lam < 1:
        eta = -math.sqrt(-2 * _log1pmx(sigma))
    else:
        eta = 0.0
    res = 0.5 * math.erfc(sign * eta * math.sqrt(a / 2))
    columns = len(IGAM_ASYMP_COEFF[0])
    etapow = [1.0] + [0.0] * (columns - 1)
    maxpow = 0
    total, afac, absoldterm = 0.0, 1.0, math.inf
    for row in IGAM_ASYMP_COEFF:
        ck = row[0]
        for n in range(1, columns):
            if n > maxpow:
                etapow[n] = eta * etapow[n - 1]
                maxpow += 1
            ckterm = row[n] * etapow[n]
            ck += ckterm
            if abs(ckterm) < MACHEP * abs(ck):
                break
        term = ck * afac
        absterm = abs(term)
        if absterm > absoldterm:
            break
        total += term
        if absterm < MACHEP * abs(total):
            break
        absoldterm = absterm
        afac /= a
    return res + sign * math.exp(-0.5 * a * eta * eta) * total / math.sqrt(2 * math.pi * a)


def _near_mean(a: float, x: float) -> bool:
    """Whether (a, x) is where igam and igamc use Temme's expansion."""
    spread = abs(x - a) / a
    if _IGAM_SMALL < a < _IGAM_LARGE:
        return spread < _IGAM_SMALLRATIO
    return a > _IGAM_LARGE and spread < _IGAM_LARGERATIO / math.sqrt(a)


def _special_case(a: float, x: float, upper: bool) -> float | None:
    """P or Q at nan, the domain's edges and infinities (scipy's values), else None."""
    if math.isnan(a) or math.isnan(x) or x < 0 or a < 0:
        return math.nan
    if a == 0:
        return (0.0 if upper else 1.0) if x > 0 else math.nan
    if x == 0:
        return 1.0 if upper else 0.0
    if math.isinf(a):
        return math.nan if math.isinf(x) else (1.0 if upper else 0.0)
    if math.isinf(x):
        return 0.0 if upper else 1.0
    return None


def _igam(a: float, x: float) -> float:
    """The regularized lower incomplete gamma P(a, x) (Cephes igam)."""
    edge = _special_case(a, x, upper=False)
    if edge is not None:
        return edge
    if _near_mean(a, x):
        return _asymptotic_series(a, x, upper=False)
    if x > 1.0 and x > a:
        return 1.0 - _igamc(a, x)
    return _igam_series(a, x)


def _igamc(a: float, x: float) -> float:
    """The regularized upper incomplete gamma Q(a, x) (Cephes igamc)."""
    edge = _special_case(a, x, upper=True)
    if edge is not None:
        return edge
    if _near_mean(a, x):
        return _asymptotic_series(a, x, upper=True)
    if x > 1.1:
        return 1.0 - _igam_series(a, x) if x < a else _igamc_continued_fraction(a, x)
    if x <= 0.5:
        return 1.0 - _igam_series(a, x) if -0.4 / math.log(x) < a else _igamc_series(a, x)
    return 1.0 - _igam_series(a, x) if x * 1.1 < a else _igamc_series(a, x)


def chi2_sf(dof: float, x: float) -> float:
    """P(χ²(dof) > x) = Q(dof/2, x/2): scipy.special.chdtrc(dof, x); nan for x < 0."""
    dof, x = float(dof), float(x)
    if x < 0.0:
        return math.nan
    return _igamc(dof / 2.0, x / 2.0)


# --- the inverse ----------------------------------------------------------------------------------


def _inverse_s(p: float, q: float) -> float:
    """DiDonato & Morris (1986) eq. 32: the normal deviate's rational approximation."""
    t = math.sqrt(-2 * _log(p if p < 0.5 else q))
    numerator = (0.213623493715853, 4.28342155967104, 11.6616720288968, 3.31125922108741)
    denominator = (0.3611708101884203e-1, 1.27364489782223, 6.40691597760039, 6.61053765625462, 1.0)
    s = t - _polevl(t, numerator) / _polevl(t, denominator)
    return -s if p < 0.5 else s


def _didonato_sn(a: float, x: float, terms: int, tolerance: float) -> float:
    """DiDonato & Morris eq. 34: 1 + Σ xⁿ/((a+1)…(a+n))."""
    total = 1.0
    if terms >= 1:
        partial = x / (a + 1)
        total += partial
        for i in range(2, terms + 1):
            partial *= x / (a + i)
            total += partial
            if partial < tolerance:
                break
    return total


def _eq25(a: float, y: float) -> float:
    """DiDonato & Morris eq. 25: x for a tiny Q, from y = −ln(Q·Γ(a))."""
    c1 = (a - 1) * _log(y)
    c1_2, c1_3, c1_4 = c1 * c1, c1 * c1 * c1, (c1 * c1) * (c1 * c1)
    a_2, a_3 = a * a, a * a * a
    c2 = (a - 1) * (1 + c1)
    c3 = (a - 1) * (-(c1_2 / 2) + (a - 2) * c1 + (3 * a - 5) / 2)
    c4 = (a - 1) * (
        (c1_3 / 3) - (3 * a - 5) * c1_2 / 2 + (a_2 - 6 * a + 7) * c1 + (11 * a_2 - 46 * a + 47) / 6
    )
    c5 = (a - 1) * (
        -(c1_4 / 4)
        + (11 * a - 17) * c1_3 / 6
        + (-3 * a_2 + 13 * a - 13) * c1_2
        + (2 * a_3 - 25 * a_2 + 72 * a - 61) * c1 / 2
        + (25 * a_3 - 195 * a_2 + 477 * a - 379) / 12
    )
    y_2 = y * y
    y_3 = y_2 * y
    y_4 = y_2 * y_2
    return y + c1 + (c2 / y) + (c3 / y_2) + (c4 / y_3) + (c5 / y_4)


def _inverse_guess_small_a(a: float, p: float, q: float) -> float:
    """DiDonato & Morris eqs. 21–25: the first guess at x with P(a, x) = p, for a < 1."""
    try:
        g = math.gamma(a)
    except OverflowError:  # Cephes's Gamma: ∞
        g = math.inf
    b = q * g
    if b > 0.6 or (b >= 0.45 and a >= 0.3):
        # The first form is unstable for p near 1 (xsf's note): the second serves small q.
        u = math.pow(p * g * a, 1 / a) if b * q > 1e-8 and q > 1e-5 else _exp(-q / a - EULER)
        return u / (1 - (u / (a + 1)))
    if a < 0.3 and b >= 0.35:
        t = _exp(-EULER - b)
        u = t * _exp(t)
        return t * _exp(u)
    y = -_log(b)
    if b > 0.15 or a >= 0.3:
        u = y - (1 - a) * _log(y)
        return y - (1 - a) * _log(u) - _log(1 + (1 - a) / (1 + u))
    if b > 0.1:
        u = y - (1 - a) * _log(y)
        return (
            y
            - (1 - a) * _log(u)
            - _log((u * u + 2 * (3 - a) * u + (2 - a) * (3 - a)) / (u * u + (5 - a) * u + 2))
        )
    return _eq25(a, y)


def _inverse_guess(a: float, p: float, q: float) -> float:
    """DiDonato & Morris's first guess at x with P(a, x) = p, Q(a, x) = q (xsf's version)."""
    if a == 1:
        return -math.log1p(-p) if q > 0.9 else -_log(q)
    if a < 1:
        return _inverse_guess_small_a(a, p, q)
    s = _inverse_s(p, q)  # eq. 31
    s_2 = s * s
    s_3 = s_2 * s
    s_4 = s_2 * s_2
    s_5 = s_4 * s
    ra = math.sqrt(a)
    w = a + s * ra + (s_2 - 1) / 3
    w += (s_3 - 7 * s) / (36 * ra)
    w -= (3 * s_4 + 7 * s_2 - 16) / (810 * a)
    w += (9 * s_5 + 256 * s_3 - 433 * s) / (38880 * a * ra)
    if a >= 500 and abs(1 - w / a) < 1e-6:
        return w
    if p > 0.5:
        if w < 3 * a:
            return w
        d = max(2.0, a * (a - 1))
        lb = _log(q) + _lgam(a)
        if lb < -d * 2.3:
            return _eq25(a, -lb)
        u = -lb + (a - 1) * _log(w) - _log(1 + (1 - a) / (1 + w))  # eq. 33
        return -lb + (a - 1) * _log(u) - _log(1 + (1 - a) / (1 + u))
    z = w
    ap1, ap2 = a + 1, a + 2
    if w < 0.15 * ap1:  # eq. 35
        v = _log(p) + _lgam(ap1)
        z = _exp((v + w) / a)
        s = math.log1p(z / ap1 * (1 + z / ap2))
        z = _exp((v + z - s) / a)
        s = math.log1p(z / ap1 * (1 + z / ap2))
        z = _exp((v + z - s) / a)
        s = math.log1p(z / ap1 * (1 + z / ap2 * (1 + z / (a + 3))))
        z = _exp((v + z - s) / a)
    if z <= 0.01 * ap1 or z > 0.7 * ap1:
        return z
    ls = _log(_didonato_sn(a, z, 100, 1e-4))  # eq. 36
    v = _log(p) + _lgam(ap1)
    z = _exp((v + z - ls) / a)
    return z * (1 - (a * _log(z) - z - v + ls) / (a - z))


def _halley(a: float, x: float, target: float, upper: bool) -> float:
    """Three Halley steps on P(a, ·) = target or on Q (Newton where f''/f' overflows)."""
    for _ in range(3):
        fac = _igam_fac(a, x)
        if fac == 0.0:
            return x
        gap = _igamc(a, x) - target if upper else _igam(a, x) - target
        f_fp = gap * x / (-fac if upper else fac)
        fpp_fp = -1.0 + (a - 1) / x  # x > 0 here: fac would be 0 at x = 0
        x = x - f_fp if math.isinf(fpp_fp) else x - f_fp / (1.0 - 0.5 * f_fp * fpp_fp)
    return x


def _igami(a: float, p: float) -> float:
    """x with P(a, x) = p (Cephes igami)."""
    if p == 0.0:
        return 0.0
    if p == 1.0:
        return math.inf
    if p > 0.9:
        return _igamci(a, 1 - p)
    return _halley(a, _inverse_guess(a, p, 1 - p), p, upper=False)


def _igamci(a: float, q: float) -> float:
    """x with Q(a, x) = q (Cephes igamci)."""
    if q == 0.0:
        return math.inf
    if q == 1.0:
        return 0.0
    if q > 0.9:
        return _igami(a, 1 - q)
    return _halley(a, _inverse_guess(a, 1 - q, q), q, upper=True)


def gammaincc_inv(a: float, q: float) -> float:
    """x ≥ 0 with Q(a, x) = q: scipy.special.gammainccinv(a, q); nan outside a > 0, 0 ≤ q ≤ 1.

    χ²(dof)'s upper ``q`` quantile is ``2·gammaincc_inv(dof/2, q)``.
    """
    a, q = float(a), float(q)
    if not (0.0 < a < math.inf and 0.0 <= q <= 1.0):
        return math.nan
    return _igamci(a, q)
