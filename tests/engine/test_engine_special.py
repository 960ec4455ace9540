"""driftwatch.engine.special against scipy.special, the functions it replaces on the run path.

scipy is the oracle here only: the engine itself never imports it (tests/test_imports.py).
Tolerances: the χ² tail and its inverse within 1e-12 relative of scipy's wherever scipy's value
is at least 1e-300; ln Γ and ln B within 1e-13 (relative, absolute where the value is below 1 in
size, i.e. near its zeros); x·ln y and x·ln(x/y) within 2 ulps (numpy's SIMD log and the C
library's, which scipy calls, round differently in a few inputs per thousand) and exactly equal
in every special case (0, ±∞, nan).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import special as scipy_special

from driftwatch.engine import special

SETTINGS = settings(max_examples=400, deadline=None)
TINY = 1e-300  # below this scipy's own tail values lose their relative accuracy


def relative_error(ours: float, theirs: float) -> float:
    if ours == theirs:  # also ±∞
        return 0.0
    return abs(ours - theirs) / abs(theirs)


def same_special_value(ours: float, theirs: float) -> bool:
    """Equal, with nan equal to nan."""
    return (math.isnan(ours) and math.isnan(theirs)) or ours == theirs


@st.composite
def dof_and_x(draw: st.DrawFn) -> tuple[int, float]:
    """dof in 1..20000 and x anywhere from 0 to 10·dof + 1000."""
    dof = draw(st.integers(1, 20_000))
    return dof, draw(st.floats(0.0, 10.0 * dof + 1000.0))


@st.composite
def dof_and_x_near_the_mean(draw: st.DrawFn) -> tuple[int, float]:
    """Large dof with x within ±12 standard deviations of the mean: Temme's expansion's domain."""
    dof = draw(st.integers(40, 20_000))
    z = draw(st.floats(-12.0, 12.0))
    return dof, max(dof + z * math.sqrt(2.0 * dof), 0.0)


@st.composite
def a_and_q(draw: st.DrawFn) -> tuple[float, float]:
    """a = dof/2 for dof in 1..20000, q log-uniform in (1e-300, 1)."""
    a = draw(st.integers(1, 20_000)) / 2.0
    q = 10.0 ** draw(st.floats(-300.0, 0.0, exclude_max=True))
    assume(q < 1.0)  # 10**-1e-17 rounds to 1
    return a, q


# --- the χ² tail ---------------------------------------------------------------------------------


@SETTINGS
@given(dof_and_x())
def test_chi2_sf_matches_scipys_chdtrc(case: tuple[int, float]) -> None:
    dof, x = case
    expected = float(scipy_special.chdtrc(dof, x))
    assume(expected >= TINY)
    assert relative_error(special.chi2_sf(dof, x), expected) <= 1e-12


@SETTINGS
@given(dof_and_x_near_the_mean())
def test_chi2_sf_matches_scipy_where_x_is_near_dof(case: tuple[int, float]) -> None:
    dof, x = case
    expected = float(scipy_special.chdtrc(dof, x))
    assume(expected >= TINY)
    assert relative_error(special.chi2_sf(dof, x), expected) <= 1e-12


@SETTINGS
@given(st.integers(1, 6), st.floats(1e-300, 3.0))
def test_chi2_sf_matches_scipy_for_few_degrees_and_small_x(dof: int, x: float) -> None:
    """Where Q(a, x) comes from the small-x series and ln Γ(1 + a) (dof 1 and 2)."""
    assert relative_error(special.chi2_sf(dof, x), float(scipy_special.chdtrc(dof, x))) <= 1e-12


@SETTINGS
@given(st.floats(0.5, 10_000.0), st.floats(0.0, 1e5))
def test_chi2_sf_matches_scipy_for_fractional_dof(dof: float, x: float) -> None:
    expected = float(scipy_special.chdtrc(dof, x))
    assume(expected >= TINY)
    assert relative_error(special.chi2_sf(dof, x), expected) <= 1e-12


@pytest.mark.parametrize(
    ("dof", "x"),
    [
        pytest.param(1, 0.0, id="x=0-is-1"),
        pytest.param(1, math.inf, id="x=inf-is-0"),
        pytest.param(1, 1e-300, id="dof=1-tiny-x"),
        pytest.param(1, 3.841458820694124, id="dof=1-at-the-5%-quantile"),
        pytest.param(1, 1400.0, id="dof=1-far-tail"),
        pytest.param(2, 1.0, id="dof=2-is-exp(-x/2)"),
        pytest.param(3, 1e-300, id="dof=3-tiny-x"),
        pytest.param(400, 400.0, id="x=dof"),
        pytest.param(20_000, 20_000.0, id="x=dof-large"),
        pytest.param(1e300, 1e300, id="huge-dof-at-the-mean"),
        pytest.param(1e300, 1.0, id="huge-dof-small-x-is-1"),
        pytest.param(math.inf, 1.0, id="dof=inf-is-1"),
        pytest.param(math.inf, math.inf, id="dof=inf-x=inf-is-nan"),
        pytest.param(0.0, 1.0, id="dof=0-is-0"),
        pytest.param(0.0, 0.0, id="dof=0-x=0-is-nan"),
        pytest.param(-1.0, 1.0, id="negative-dof-is-nan"),
        pytest.param(1.0, -1.0, id="negative-x-is-nan"),
        pytest.param(math.nan, 1.0, id="nan-dof"),
        pytest.param(1.0, math.nan, id="nan-x"),
    ],
)
def test_chi2_sf_edge_cases_are_scipys(dof: float, x: float) -> None:
    ours, theirs = special.chi2_sf(dof, x), float(scipy_special.chdtrc(dof, x))
    assert same_special_value(ours, theirs) or relative_error(ours, theirs) <= 1e-12


def test_chi2_sf_with_two_degrees_is_the_exponential_tail() -> None:
    assert special.chi2_sf(2, 3.0) == pytest.approx(math.exp(-1.5), rel=1e-15)


# --- its inverse ---------------------------------------------------------------------------------


@SETTINGS
@given(a_and_q())
def test_gammaincc_inv_matches_scipys_gammainccinv(case: tuple[float, float]) -> None:
    a, q = case
    assert relative_error(special.gammaincc_inv(a, q), float(scipy_special.gammainccinv(a, q))) <= (
        1e-12
    )


@SETTINGS
@given(a_and_q())
def test_gammaincc_inv_inverts_the_tail(case: tuple[float, float]) -> None:
    """Q(a, x̂) = q up to the rounding of x̂ and of Q itself.

    A few ulps of x̂ move Q by x·|Q′(x)| = xᵃe⁻ˣ/Γ(a) each; Q's prefactor is exp(a·ln x − x −
    ln Γ(a)), so Q carries a relative error of a few ulps of those terms' sizes (scipy's Q
    too: its round trip misses by the same 3.6e-12 at a = 2346.5, q = 1e-113). Beyond both,
    1e-12.
    """
    a, q = case
    x = special.gammaincc_inv(a, q)
    back = special.chi2_sf(2.0 * a, 2.0 * x)  # Q(a, x): dof/2 and x/2 are exact
    eps = 2.0**-52
    log_terms = a * abs(math.log(x)) + x + abs(math.lgamma(a))
    steepness = math.exp(a * math.log(x) - x - math.lgamma(a))
    assert abs(back - q) <= q * (1e-12 + 4 * eps * log_terms) + 8 * eps * steepness


@SETTINGS
@given(st.floats(1e-3, 1e4), st.floats(1e-300, 1.0, exclude_max=True))
def test_gammaincc_inv_matches_scipy_for_any_positive_a(a: float, q: float) -> None:
    assert relative_error(special.gammaincc_inv(a, q), float(scipy_special.gammainccinv(a, q))) <= (
        1e-12
    )


@pytest.mark.parametrize(
    ("a", "q"),
    [
        pytest.param(1.0, 0.0, id="q=0-is-inf"),
        pytest.param(1.0, 1.0, id="q=1-is-0"),
        pytest.param(0.5, 5e-324, id="q-smallest-subnormal"),
        pytest.param(0.5, 1e-300, id="q=1e-300"),
        pytest.param(1.0, 1e-300, id="q=1e-300-exponential"),
        pytest.param(10_000.0, 1e-300, id="q=1e-300-large-a"),
        pytest.param(0.5, 1.0 - 2.0**-53, id="q-just-below-1"),
        pytest.param(10_000.0, 1.0 - 1e-15, id="q-near-1-large-a"),
        pytest.param(0.5, 0.05, id="dof=1-at-5%"),
        pytest.param(1e-300, 0.5, id="tiny-a-is-0"),
        pytest.param(1e10, 0.5, id="huge-a-is-near-a"),
        pytest.param(0.0, 0.5, id="a=0-is-nan"),
        pytest.param(-1.0, 0.5, id="negative-a-is-nan"),
        pytest.param(math.inf, 0.5, id="a=inf-is-nan"),
        pytest.param(1.0, -0.1, id="q-below-0-is-nan"),
        pytest.param(1.0, 1.1, id="q-above-1-is-nan"),
        pytest.param(math.nan, 0.5, id="nan-a"),
        pytest.param(1.0, math.nan, id="nan-q"),
    ],
)
def test_gammaincc_inv_edge_cases_are_scipys(a: float, q: float) -> None:
    ours, theirs = special.gammaincc_inv(a, q), float(scipy_special.gammainccinv(a, q))
    assert same_special_value(ours, theirs) or relative_error(ours, theirs) <= 1e-12


def test_the_chi_square_quantile_is_twice_the_inverse_at_half_the_dof() -> None:
    assert 2.0 * special.gammaincc_inv(0.5, 0.05) == pytest.approx(3.841458820694124, rel=1e-15)


# --- ln Γ and ln B -------------------------------------------------------------------------------


def assert_log_close(ours: np.ndarray, theirs: np.ndarray) -> None:
    """Within 1e-13 relative, absolute where |value| < 1 (near the zeros); specials equal."""
    finite = np.isfinite(theirs)
    np.testing.assert_array_equal(ours[~finite], theirs[~finite])
    scale = np.maximum(np.abs(theirs[finite]), 1.0)
    assert np.all(np.abs(ours[finite] - theirs[finite]) <= 1e-13 * scale)


finite_positive = st.floats(1e-300, 1e300)
moderate = st.floats(-200.0, 200.0).filter(lambda v: v != math.floor(v) or v > 0)


@SETTINGS
@given(hnp.arrays(np.float64, st.integers(1, 50), elements=finite_positive | moderate))
def test_gammaln_matches_scipy(x: np.ndarray) -> None:
    assert_log_close(special.gammaln(x), scipy_special.gammaln(x))


@SETTINGS
@given(st.floats(0.5, 3.0))
def test_gammaln_matches_scipy_near_its_zeros_at_1_and_2(x: float) -> None:
    assert abs(float(special.gammaln(x)) - float(scipy_special.gammaln(x))) <= 1e-13


def test_gammaln_on_a_block_of_the_drift_tests_size() -> None:
    """unseen_p evaluates 65 536 terms at once, around n = 10⁷."""
    x = np.arange(9_990_000, 9_990_000 + 65_536, dtype=np.float64) + 0.5
    assert_log_close(special.gammaln(x), scipy_special.gammaln(x))


@pytest.mark.parametrize(
    "x",
    [
        pytest.param(0.0, id="pole-at-0"),
        pytest.param(-0.0, id="pole-at-minus-0"),
        pytest.param(-3.0, id="pole-at-negative-integer"),
        pytest.param(-40.0, id="pole-beyond-the-reflection-point"),
        pytest.param(-40.5, id="reflected"),
        pytest.param(1.0, id="zero-at-1"),
        pytest.param(2.0, id="zero-at-2"),
        pytest.param(13.0, id="stirling-from-13"),
        pytest.param(1e8 + 1, id="stirling-without-correction"),
        pytest.param(3e305, id="overflow-is-inf"),
        pytest.param(math.inf, id="inf"),
        pytest.param(-math.inf, id="minus-inf-as-scipy"),
        pytest.param(math.nan, id="nan"),
        pytest.param(5e-324, id="smallest-subnormal"),
    ],
)
def test_gammaln_edge_cases_are_scipys(x: float) -> None:
    assert_log_close(special.gammaln(np.array([x])), scipy_special.gammaln(np.array([x])))


def test_gammaln_keeps_the_input_shape() -> None:
    assert special.gammaln(np.ones((2, 3))).shape == (2, 3)
    assert special.gammaln(4.0).shape == ()
    assert special.gammaln(40.0).shape == ()  # every argument large: the fast path


@SETTINGS
@given(
    hnp.arrays(np.float64, 20, elements=finite_positive),
    hnp.arrays(np.float64, 20, elements=finite_positive),
)
def test_betaln_matches_scipy(a: np.ndarray, b: np.ndarray) -> None:
    assert_log_close(special.betaln(a, b), scipy_special.betaln(a, b))


@SETTINGS
@given(
    hnp.arrays(np.float64, 20, elements=st.floats(1e-8, 1e8)),
    hnp.arrays(np.float64, 20, elements=st.floats(1e-8, 1e8)),
)
def test_betaln_matches_scipy_on_the_drift_tests_range(a: np.ndarray, b: np.ndarray) -> None:
    assert_log_close(special.betaln(a, b), scipy_special.betaln(a, b))


@SETTINGS
@given(
    hnp.arrays(np.float64, 20, elements=st.floats(-50.0, 50.0)),
    hnp.arrays(np.float64, 20, elements=st.floats(-50.0, 50.0)),
)
def test_betaln_matches_scipy_for_negative_arguments(a: np.ndarray, b: np.ndarray) -> None:
    assert_log_close(special.betaln(a, b), scipy_special.betaln(a, b))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param(1.0, 1.0, id="zero-at-1-1"),
        pytest.param(0.0, 1.0, id="pole-at-0"),
        pytest.param(-1.0, 2.0, id="negative-integer-with-integer"),
        pytest.param(-3.0, 2.0, id="negative-integer-finite"),
        pytest.param(2.0, -3.0, id="negative-integer-second"),
        pytest.param(-1.0, 1.5, id="negative-integer-with-fraction"),
        pytest.param(-0.5, 2.0, id="negative-fraction"),
        pytest.param(1e7, 1.5, id="asymptotic"),
        pytest.param(1e-300, 1e-300, id="both-tiny"),
        pytest.param(200.0, 0.5, id="log-gammas"),
        pytest.param(math.inf, 1.0, id="inf"),
        pytest.param(1.0, math.inf, id="inf-second"),
        pytest.param(math.nan, 1.0, id="nan"),
        pytest.param(-1.0, math.nan, id="pole-with-nan"),
    ],
)
def test_betaln_edge_cases_are_scipys(a: float, b: float) -> None:
    ours = special.betaln(np.array([a]), np.array([b]))
    assert_log_close(ours, scipy_special.betaln(np.array([a]), np.array([b])))


def test_betaln_broadcasts() -> None:
    assert special.betaln(np.ones((3, 1)), np.ones(4)).shape == (3, 4)
    assert special.betaln(300.0, 2.5).shape == ()


# --- x·ln y and x·ln(x/y) --------------------------------------------------------------------


def assert_elementwise_equal(ours: np.ndarray, theirs: np.ndarray) -> None:
    """Zeros, infinities and nans exactly where scipy has them; other values within 2 ulps."""
    assert ours.shape == theirs.shape
    exact = ~np.isfinite(theirs) | (theirs == 0)
    np.testing.assert_array_equal(ours[exact], theirs[exact])
    np.testing.assert_array_max_ulp(ours[~exact], theirs[~exact], maxulp=2)


any_float = st.floats(allow_nan=True, allow_infinity=True)
special_float = st.sampled_from([0.0, -0.0, 1.0, -1.0, math.inf, -math.inf, math.nan, 5e-324])
pairs = hnp.arrays(np.float64, (2, 30), elements=any_float | special_float)


@SETTINGS
@given(pairs)
def test_xlogy_is_scipys(xy: np.ndarray) -> None:
    with np.errstate(all="ignore"):
        expected = scipy_special.xlogy(xy[0], xy[1])
    assert_elementwise_equal(special.xlogy(xy[0], xy[1]), expected)


@SETTINGS
@given(pairs)
def test_rel_entr_is_scipys(xy: np.ndarray) -> None:
    with np.errstate(all="ignore"):
        expected = scipy_special.rel_entr(xy[0], xy[1])
    assert_elementwise_equal(special.rel_entr(xy[0], xy[1]), expected)


@SETTINGS
@given(hnp.arrays(np.float64, (2, 30), elements=st.floats(0.0, 1.0)))
def test_rel_entr_is_scipys_on_probabilities(pq: np.ndarray) -> None:
    """Where the engine uses it: p and m in [0, 1], mostly within a factor 2 of each other."""
    assert_elementwise_equal(special.rel_entr(pq[0], pq[1]), scipy_special.rel_entr(pq[0], pq[1]))


def test_xlogy_of_counts_is_scipys() -> None:
    """Σ O·ln O of the permutation test, on every count up to 10⁵."""
    counts = np.arange(0, 100_000, dtype=np.float64)
    assert_elementwise_equal(special.xlogy(counts, counts), scipy_special.xlogy(counts, counts))


@pytest.mark.parametrize(
    ("x", "y"),
    [
        pytest.param(0.0, 0.0, id="0-log-0-is-0"),
        pytest.param(0.0, -1.0, id="0-times-log-negative-is-0"),
        pytest.param(0.0, math.inf, id="0-times-log-inf-is-0"),
        pytest.param(0.0, math.nan, id="0-times-nan-is-nan"),
        pytest.param(1.0, 0.0, id="log-0-is-minus-inf"),
        pytest.param(1.0, -1.0, id="log-negative-is-nan"),
        pytest.param(math.nan, 0.0, id="nan-x"),
        pytest.param(-1.0, 2.0, id="negative-x"),
    ],
)
def test_xlogy_edge_cases_are_scipys(x: float, y: float) -> None:
    assert_elementwise_equal(
        special.xlogy(np.array([x]), np.array([y])),
        scipy_special.xlogy(np.array([x]), np.array([y])),
    )


@pytest.mark.parametrize(
    ("x", "y"),
    [
        pytest.param(0.0, 0.0, id="0-0-is-0"),
        pytest.param(0.0, 1.0, id="x=0-is-0"),
        pytest.param(0.0, -1.0, id="x=0-negative-y-is-inf"),
        pytest.param(1.0, 0.0, id="y=0-is-inf"),
        pytest.param(-1.0, 2.0, id="negative-x-is-inf"),
        pytest.param(1.0, math.inf, id="y=inf-is-minus-inf"),
        pytest.param(math.inf, 1.0, id="x=inf-is-inf"),
        pytest.param(1e300, 1e-300, id="ratio-overflows"),
        pytest.param(1e-300, 1e300, id="ratio-underflows"),
        pytest.param(1.0, 1.0 + 2.0**-52, id="nearly-equal"),
        pytest.param(math.nan, 1.0, id="nan-x"),
        pytest.param(1.0, math.nan, id="nan-y"),
    ],
)
def test_rel_entr_edge_cases_are_scipys(x: float, y: float) -> None:
    assert_elementwise_equal(
        special.rel_entr(np.array([x]), np.array([y])),
        scipy_special.rel_entr(np.array([x]), np.array([y])),
    )


def test_rel_entr_and_xlogy_accept_scalars() -> None:
    assert float(special.rel_entr(0.5, 0.25)) == pytest.approx(0.5 * math.log(2.0))
    assert float(special.xlogy(2.0, math.e)) == pytest.approx(2.0)
