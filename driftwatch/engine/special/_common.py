"""What the ports share: Cephes' constants, polynomial evaluation and the C library's exp/log."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeVar

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

MACHEP = 1.1102230246251565404236316680908203125e-16  # 2**-53
MAXLOG = 7.097827128933839730962063185871e2  # log(DBL_MAX)
EULER = 0.577215664901532860606512090082402431  # Euler–Mascheroni γ
LOGPI = 1.144729885849400174143427351353058711647
SQRT2PI = 2.506628274631000502415765284811045253007
LS2PI = 0.91893853320467274178  # log(sqrt(2π)), as lgam writes it
MAXLGM = 2.556348e305  # lgam overflows beyond
MAXGAM = 171.624376956302725  # Gamma overflows beyond
MAXSTIR = 143.01608

_LANCZOS_G = 6.024680040776729583740234375
# igam's regimes: Temme's expansion for SMALL < a < LARGE with |x − a|/a < SMALLRATIO, and for
# a > LARGE with |x − a|/a < LARGERATIO/√a.
_IGAM_SMALL, _IGAM_LARGE = 20.0, 200.0
_IGAM_SMALLRATIO, _IGAM_LARGERATIO = 0.3, 4.5
_IGAM_MAXITER = 2000
_IGAM_BIG, _IGAM_BIGINV = 4.503599627370496e15, 2.22044604925031308085e-16


_Real = TypeVar("_Real", float, FloatArray)


def _polevl(x: _Real, coefficients: Sequence[float]) -> _Real:
    """Horner's rule, highest power first (Cephes polevl)."""
    total = x * 0.0 + coefficients[0]
    for c in coefficients[1:]:
        total *= x  # in place on an array's own copy: no 512 KB temporary per step
        total += c
    return total


def _p1evl(x: _Real, coefficients: Sequence[float]) -> _Real:
    """Horner's rule with an implied leading coefficient 1 (Cephes p1evl)."""
    total = x + coefficients[0]
    for c in coefficients[1:]:
        total *= x
        total += c
    return total


def _log(value: float) -> float:
    """The C library's log: −∞ at 0 and nan below, where :func:`math.log` raises."""
    if value > 0:
        return math.log(value)
    return -math.inf if value == 0 else math.nan


def _exp(value: float) -> float:
    """The C library's exp: ∞ on overflow, where :func:`math.exp` raises."""
    try:
        return math.exp(value)
    except OverflowError:
        return math.inf


# --- elementwise logs -----------------------------------------------------------------------------
