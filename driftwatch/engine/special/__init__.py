"""The special functions the engine needs, in numpy and :mod:`math`: a run never imports scipy.

``import scipy.special`` costs 0.1–0.3 s of every ``driftwatch run``; the engine needs only

* :func:`xlogy` and :func:`rel_entr` — ``x·ln y`` and ``x·ln(x/y)`` with scipy's conventions at
  0, ∞ and nan (elementwise numpy);
* :func:`gammaln` and :func:`betaln` — ln|Γ(x)| and ln|B(a, b)| (vectorised: the drift test's
  beta-binomial tail evaluates them on blocks of 65 536 terms);
* :func:`chi2_sf` — the χ² upper tail, Q(dof/2, x/2), the G-test's p-value;
* :func:`gammaincc_inv` — the inverse of Q(a, ·), χ²'s upper quantile for the critical values.

Each is a line-by-line port of the routine scipy.special runs (its ``xsf`` library, C++ since
2024, from Stephen L. Moshier's Cephes): ``cephes/gamma.h`` (lgam, Gamma), ``cephes/beta.h``
(lbeta), ``cephes/igam.h`` (igam, igamc: the power series for P, the continued fraction for Q, the
small-x series for Q, and Temme's uniform asymptotic expansion with DiDonato & Morris's choice of
domain where a ≈ x), ``cephes/igami.h`` (the DiDonato–Morris initial guess, then three Halley
steps), ``cephes/unity.h`` (log1pmx, lgam1p), ``cephes/lanczos.h`` and ``convex_analysis.h`` /
``log.h``. Same branches, constants and order of operations, so the results agree with scipy's to
the last few ulps. The scalar routines (the χ² tail and its inverse) use :mod:`math`, the C
library's exp/log/pow as scipy's C++ does; the array ones numpy's ufuncs, whose SIMD log and log1p
round differently from the C library's in a few inputs per thousand (x·ln y then differs from
scipy's by up to 2 ulps). The coefficient tables are in :mod:`driftwatch.engine.special._tables`.

SciPy is Copyright (c) 2001-2002 Enthought, Inc., 2003-2024 SciPy Developers, under the BSD
3-Clause licence; Cephes is Copyright 1984-2000 Stephen L. Moshier (distributed with SciPy under
the same terms); igami's initial guess is Copyright John Maddock 2006 (Boost Software Licence
1.0, as in SciPy).
"""

from driftwatch.engine.special.gamma import betaln, gammaln, rel_entr, xlogy
from driftwatch.engine.special.igam import chi2_sf, gammaincc_inv

__all__ = ["betaln", "chi2_sf", "gammaincc_inv", "gammaln", "rel_entr", "xlogy"]
