"""False alarms and detection power of driftwatch's alert rules, by live-window size.

A seeded simulation through driftwatch's own code path (engine binning, ``Histogram``,
:func:`driftwatch.evaluate.evaluate` with :class:`~driftwatch.config.ThresholdConfig`), printing
Markdown tables with 95 % Wilson intervals:

1. per scenario and live size n in {50, 200, 1 000, 10 000, 100 000}, the share of windows flagged
   ``warn`` or worse on ``js`` by each rule. Every repetition draws a fresh reference of 10 000
   rows (bins fitted on it by the engine, 10 quantile bins for numeric data, top 50 categories)
   and a fresh live window. Live counts are drawn as Multinomial(n, P(bin) under the live
   distribution) — exactly the distribution of binning n raw rows on those edges, without
   generating them.
2. conditional on one reference draw: the false-alarm rate over many live windows, per reference
   draw, for references of 1 000 and 10 000 rows (the reference's own sampling error).
3. with ``--monitors``, a monitor's error budget: the share of no-drift windows in which a
   monitor of 10 / 50 / 300 / 1 000 independent features (normal, lognormal, 5 categories, 60 %
   zeros) raises any feature alert, with ``correction: none``, ``bh`` (driftwatch's
   :func:`~driftwatch.evaluate.correct`) and Holm's step-down, at n = 50 / 1 000 / 100 000; and
   the detection of drifting features among quiet ones under each.

The default (``significance``) is :func:`~driftwatch.engine.drift_test` (interior G-test + tails /
``__unseen__``, weighted Bonferroni) ``p < alpha`` and the bias-corrected js graded by the
``warn`` / ``critical`` magnitudes. For comparison the tables show the test alone, the **old
default** (:func:`old_default_status`: the G-test on a table with the tails and ``__unseen__``
merged away, and the plug-in js ≥ 0.001; an all-missing window was ``no_data``, counted ``ok``)
and the constant rule.

The significance rules here draw at most 2,000 permutations (the default is 20,000) to bound the
run time: the smallest p-value is then 1/2001, far below alpha, and a decision changes only when
p is within Monte Carlo error of alpha.

    python benchmarks/stat_power.py            # the full run (~10 min on 2 cores)
    python benchmarks/stat_power.py --quick    # CI-sized: fewer repetitions, same code path
    python benchmarks/stat_power.py --null-only --reps 5000 --rules 2 --seed 777  # no-drift only
    python benchmarks/stat_power.py --null-only --scenario zipf --sizes 100000 --reps 5000
    python benchmarks/stat_power.py --monitors          # the monitor-level tables (~6–25 min)
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from driftwatch.config import DEFAULT_THRESHOLDS, BinningConfig, FeatureSpec, ThresholdConfig
from driftwatch.engine import (
    CategoricalBins,
    Histogram,
    fit_categorical_bins,
    fit_categorical_bins_from_counts,
    fit_numeric_bins,
    js_divergence,
)
from driftwatch.engine.binning import Bins, NumericBins
from driftwatch.engine.drift_test import drift_test
from driftwatch.engine.stats import g_test
from driftwatch.evaluate import correct, evaluate
from driftwatch.results import FeatureOutcome, MetricOutcome, Verdict
from driftwatch.thresholds import EvaluationContext, grade
from driftwatch.thresholds.significance import INTERIOR_WEIGHT, significance_status

N_REFERENCE = 10_000
SIZES = (50, 200, 1_000, 10_000, 100_000)
CATEGORY_SHARES = np.array([0.35, 0.25, 0.20, 0.12, 0.08])
PERMUTATIONS = 2_000

_JS = DEFAULT_THRESHOLDS["js"].model_copy(update={"permutations": PERMUTATIONS})
_OLD = _JS.model_copy(update={"warn": 0.001})
CandidateRule = Callable[[Histogram, Histogram], str]


def _merged_table(reference: Histogram, live: Histogram) -> tuple[np.ndarray, np.ndarray]:
    """The old rule's G-test table: tails merged into their neighbours, __unseen__ into
    __other__ (what ``significance`` did before the drift test)."""
    live_c, ref_c = live.counts.copy(), reference.counts.copy()
    bins = reference.bins
    moves: list[tuple[int, int]] = []
    if isinstance(bins, NumericBins) and len(bins.edges) >= 3:
        lower, upper = bins.tail_indices
        moves = [(lower, lower + 1), (upper, upper - 1)]
    elif isinstance(bins, CategoricalBins) and bins.other_index is not None:
        moves = [(bins.unseen_index, bins.other_index)]
    for source, target in moves:
        for counts in (live_c, ref_c):
            counts[target] += counts[source]
            counts[source] = 0
    return live_c, ref_c


def old_default_status(reference: Histogram, live: Histogram, rule: ThresholdConfig = _OLD) -> str:
    """The previous default: G-test on the merged table p < alpha and the plug-in js graded."""
    if live.n_valid == 0:
        return "ok"  # it was no_data
    live_c, ref_c = _merged_table(reference, live)
    p = g_test(
        live_c, ref_c, permutations=rule.permutations, seed=rule.seed, williams=False
    ).p_value
    if p >= rule.alpha:
        return "ok"
    return grade(js_divergence(live.counts, reference.counts), rule.warn, rule.critical)


RULES: dict[str, ThresholdConfig | CandidateRule] = {
    f"default (significance: drift test p < 0.01 and debiased js ≥ {_JS.warn:g})": _JS,
    "drift test p < 0.01 alone (no magnitude)": _JS.model_copy(
        update={"warn": None, "critical": None}
    ),
    "old default (G-test on merged tails p < 0.01 and plug-in js ≥ 0.001)": old_default_status,
    "constant js ≥ 0.05 (the old fixed default)": ThresholdConfig(kind="constant", warn=0.05),
}
CALIBRATED = {
    f"calibrated (js > null 0.99 quantile and js ≥ {_JS.warn:g})": _JS.model_copy(
        update={"kind": "calibrated"}
    ),
}


def rule_status(
    rule: ThresholdConfig | CandidateRule, reference: Histogram, live: Histogram
) -> str:
    """One rule's status for one window."""
    if callable(rule):
        return rule(reference, live)
    value = js_divergence(live.counts, reference.counts)
    context = EvaluationContext(feature="x", metric="js", reference=reference, live=live)
    return evaluate(value, rule, context).status


@dataclass(frozen=True)
class Scenario:
    """A reference distribution and a live one; ``null`` when they are the same."""

    name: str
    null: bool
    reference: Callable[[np.random.Generator, int], tuple[Bins, np.ndarray]]
    live_probs: Callable[[Bins], np.ndarray]


@dataclass(frozen=True)
class Law:
    """A numeric law: point masses ``atoms`` (value, mass), the rest ``continuous``; ``missing``."""

    continuous: stats.rv_continuous | None = None
    atoms: tuple[tuple[float, float], ...] = ()
    missing: float = 0.0

    def rvs(self, rng: np.random.Generator, size: int) -> np.ndarray:
        values = (
            self.continuous.rvs(size=size, random_state=rng)
            if self.continuous is not None
            else np.full(size, np.nan)
        )
        u = rng.random(size)
        low = 0.0
        for value, mass in self.atoms:
            values[(u >= low) & (u < low + mass)] = value
            low += mass
        values[rng.random(size) < self.missing] = np.nan
        return values

    def _below(self, x: np.ndarray, closed: bool) -> np.ndarray:
        """P(X < x), or P(X ≤ x) when ``closed``, among non-missing values."""
        atom_mass = sum(mass for _, mass in self.atoms)
        out = np.zeros_like(x, dtype=np.float64)
        if self.continuous is not None:
            out += (1.0 - atom_mass) * self.continuous.cdf(x)
        for value, mass in self.atoms:
            out += mass * ((value <= x) if closed else (value < x))
        return out

    def slot_probs(self, bins: Bins) -> np.ndarray:
        assert isinstance(bins, NumericBins)
        edges = np.asarray(bins.edges)
        below = self._below(edges, closed=False)
        upto_last = float(self._below(edges[-1:], closed=True)[0])
        interior = np.diff(below)
        interior[-1] = upto_last - below[-2]
        probs = np.concatenate([[below[0]], interior, [1.0 - upto_last]]) * (1 - self.missing)
        out: np.ndarray = np.maximum(np.append(probs, self.missing), 0.0)
        return out


def _numeric(name: str, reference: Law, live: Law, null: bool) -> Scenario:
    def fit(rng: np.random.Generator, size: int) -> tuple[Bins, np.ndarray]:
        values = reference.rvs(rng, size)
        bins = fit_numeric_bins(values, strategy="quantile", bins=10)
        return bins, bins.count(values)

    return Scenario(name, null, fit, live.slot_probs)


_CATEGORY_BINS = fit_categorical_bins(np.array(list("abcde")))


def _categorical(name: str, shift: float, null: bool) -> Scenario:
    shares = CATEGORY_SHARES.copy()
    if shift:
        others = np.arange(shares.size) != 1
        shares[1] += shift
        shares[others] *= (1.0 - shares[1]) / shares[others].sum()

    def reference(rng: np.random.Generator, size: int) -> tuple[Bins, np.ndarray]:
        counts = np.zeros(_CATEGORY_BINS.n_bins, dtype=np.int64)
        counts[:5] = rng.multinomial(size, CATEGORY_SHARES)
        return _CATEGORY_BINS, counts

    def live_probs(bins: Bins) -> np.ndarray:
        probs = np.zeros(bins.n_bins)
        probs[:5] = shares
        return probs

    return Scenario(name, null, reference, live_probs)


ZIPF_CATEGORIES, ZIPF_TOP_K = 2_000, 50
_ZIPF = 1.0 / np.arange(1, ZIPF_CATEGORIES + 1)
_ZIPF /= _ZIPF.sum()
_ZIPF_LABELS = [f"c{i}" for i in range(ZIPF_CATEGORIES)]


def _zipf(name: str, new_share: float, null: bool) -> Scenario:
    """2,000 Zipf(1) categories, top 50 kept; live: one brand-new category takes ``new_share``."""

    def reference(rng: np.random.Generator, size: int) -> tuple[Bins, np.ndarray]:
        counts = dict(zip(_ZIPF_LABELS, rng.multinomial(size, _ZIPF).tolist(), strict=True))
        bins = fit_categorical_bins_from_counts(counts, top_k=ZIPF_TOP_K)
        return bins, bins.count_labels(counts)

    def live_probs(bins: Bins) -> np.ndarray:
        assert isinstance(bins, CategoricalBins)
        slot = {label: i for i, label in enumerate(bins.vocabulary)}
        probs = np.zeros(bins.n_bins)
        for label, p in zip(_ZIPF_LABELS, _ZIPF * (1 - new_share), strict=True):
            if label in slot:
                probs[slot[label]] += p
            elif label in bins.pooled:
                probs[bins.other_index or 0] += p
            else:
                probs[bins.unseen_index] += p
        probs[bins.unseen_index] += new_share
        return probs

    return Scenario(name, null, reference, live_probs)


NORMAL = Law(stats.norm())
FLAG = Law(atoms=((0.0, 0.7), (1.0, 0.3)))
TRIPLE = Law(atoms=((0.0, 0.5), (1.0, 0.3), (2.0, 0.2)))
ZEROS = Law(stats.lognorm(s=1.0), atoms=((0.0, 0.6),))
WITH_MISSING = Law(stats.norm(), missing=0.05)


def _sentinel(share: float) -> Law:
    return Law(stats.norm(), atoms=((999_999.0, share),))


SCENARIOS = (
    _numeric("no drift, normal", NORMAL, NORMAL, True),
    _categorical("no drift, 5 categories", 0.0, True),
    _numeric("no drift, 0/1 flag (30 %) declared numeric", FLAG, FLAG, True),
    _numeric("no drift, {0, 1, 2} (0.5 / 0.3 / 0.2)", TRIPLE, TRIPLE, True),
    _zipf("no drift, 2,000 Zipf categories, top_k 50", 0.0, True),
    _numeric("no drift, 60 % zeros + lognormal", ZEROS, ZEROS, True),
    _numeric("no drift, normal with 5 % missing", WITH_MISSING, WITH_MISSING, True),
    _numeric("normal, mean +0.1σ", NORMAL, Law(stats.norm(loc=0.1)), False),
    _numeric("normal, mean +0.3σ", NORMAL, Law(stats.norm(loc=0.3)), False),
    _numeric(
        "lognormal, scale ×1.1",
        Law(stats.lognorm(s=1.0)),
        Law(stats.lognorm(s=1.0, scale=1.1)),
        False,
    ),
    _categorical("one category's share +0.05 (0.25 → 0.30)", 0.05, False),
    _numeric(
        "0/1 flag declared numeric, 30 % → 60 %", FLAG, Law(atoms=((0.0, 0.4), (1.0, 0.6))), False
    ),
    _numeric(
        "{0, 1, 2}: 0.1 moves from 1 to 2",
        TRIPLE,
        Law(atoms=((0.0, 0.5), (1.0, 0.2), (2.0, 0.3))),
        False,
    ),
    _numeric("sentinel 999999 in 1 % of rows", NORMAL, _sentinel(0.01), False),
    _numeric("sentinel 999999 in 5 % of rows", NORMAL, _sentinel(0.05), False),
    _zipf("one new category at 5 %, Zipf top_k 50", 0.05, False),
    _zipf("one new category at 30 %, Zipf top_k 50", 0.30, False),
    _numeric("all-null live window (reference 5 % missing)", WITH_MISSING, Law(missing=1.0), False),
    _numeric(
        "60 % zeros, lognormal part scale ×1.2 (js ≈ 0.0021)",
        ZEROS,
        Law(stats.lognorm(s=1.0, scale=1.2), atoms=((0.0, 0.6),)),
        False,
    ),
    _numeric(
        "60 % zeros, lognormal part scale ×1.1 (js ≈ 0.0006, a small real shift)",
        ZEROS,
        Law(stats.lognorm(s=1.0, scale=1.1), atoms=((0.0, 0.6),)),
        False,
    ),
)


def wilson(hits: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion."""
    if n == 0:
        return 0.0, 1.0
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def cell(hits: int, n: int) -> str:
    lo, hi = wilson(hits, n)
    return f"{100 * hits / n:.1f} % [{100 * lo:.1f}–{100 * hi:.1f}]"


def _cell(args: tuple[int, int, int, int, tuple[str, ...]]) -> tuple[int, int, dict[str, int]]:
    """Hits per rule for one (scenario, n) cell; seeded by the cell, not by the worker."""
    s_index, n_index, reps, seed, names = args
    scenario, n = SCENARIOS[s_index], SIZES[n_index]
    rules = {**RULES, **CALIBRATED}
    rng = np.random.default_rng([seed, s_index, n_index])
    hits = dict.fromkeys(names, 0)
    for _ in range(reps):
        bins, ref_counts = scenario.reference(rng, N_REFERENCE)
        reference = Histogram(bins, ref_counts)
        live = Histogram(bins, rng.multinomial(n, scenario.live_probs(bins)))
        for name in names:
            hits[name] += rule_status(rules[name], reference, live) in ("warn", "critical")
    return s_index, n_index, hits


def unconditional(
    reps: int,
    seed: int,
    *,
    drift_reps: int | None = None,
    jobs: int = 1,
    rules: tuple[str, ...] | None = None,
    null_only: bool = False,
    scenario_filter: str | None = None,
    sizes: tuple[int, ...] = SIZES,
) -> str:
    """The main table: per rule and scenario, the share of windows flagged at each n.

    ``scenario_filter`` keeps the scenarios whose name contains it (case-insensitive);
    ``sizes`` the live sizes (a subset of :data:`SIZES`).
    """
    names = rules or tuple(RULES)
    wanted = (scenario_filter or "").lower()
    cells = [
        (s, j, reps if scenario.null else (drift_reps or reps), seed, names)
        for s, scenario in enumerate(SCENARIOS)
        for j, n in enumerate(SIZES)
        if (scenario.null or not null_only) and wanted in scenario.name.lower() and n in sizes
    ]
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            done = list(pool.map(_cell, cells))
    else:
        done = [_cell(c) for c in cells]
    results: dict[tuple[str, int], list[str]] = {}
    for (s_index, n_index, hits), cell_args in zip(done, cells, strict=True):
        for name in names:
            results.setdefault((name, s_index), [""] * len(SIZES))[n_index] = cell(
                hits[name], cell_args[2]
            )
    shown = [j for j, n in enumerate(SIZES) if n in sizes]
    header = "| rule | scenario | " + " | ".join(f"n = {SIZES[j]:,}" for j in shown) + " |"
    lines = [header, "|---|---|" + "---|" * len(shown)]
    for name in names:
        for s_index, scenario in enumerate(SCENARIOS):
            if (name, s_index) not in results:
                continue
            label = ("false alarms: " if scenario.null else "detected: ") + scenario.name
            row = [results[(name, s_index)][j] for j in shown]
            lines.append(f"| {name} | {label} | " + " | ".join(row) + " |")
    return "\n".join(lines)


def conditional(references: int, windows: int, seed: int) -> str:
    """No drift, conditional on one reference draw: how many reference draws alarm persistently.

    Per reference size and live size: the mean false-alarm rate over all (reference, window)
    pairs, and the share of reference draws that flag at least half of their live windows — a
    reference whose own sampling error the live data can resolve.
    """
    rules = {
        k: v for k, v in RULES.items() if not k.startswith("constant")
    }  # the default, the test alone and the old default
    sizes = (1_000, 10_000, 100_000)
    lines = [
        "| reference rows | rule | " + " | ".join(f"n = {n:,}" for n in sizes) + " |",
        "|---|---|" + "---|" * len(sizes),
    ]
    scenario = SCENARIOS[0]
    for n_ref in (1_000, 10_000, 100_000):
        per_rule: dict[str, list[str]] = {name: [] for name in rules}
        for n in sizes:
            rates: dict[str, list[float]] = {name: [] for name in rules}
            for r in range(references):
                rng = np.random.default_rng([seed, n_ref, n, r])
                bins, ref_counts = scenario.reference(rng, n_ref)
                reference = Histogram(bins, ref_counts)
                probs = scenario.live_probs(bins)
                hits = dict.fromkeys(rules, 0)
                for _ in range(windows):
                    live = Histogram(bins, rng.multinomial(n, probs))
                    for name, rule in rules.items():
                        hits[name] += rule_status(rule, reference, live) != "ok"
                for name in rules:
                    rates[name].append(hits[name] / windows)
            for name in rules:
                values = np.asarray(rates[name])
                persistent = int(np.count_nonzero(values >= 0.5))
                per_rule[name].append(
                    f"{100 * values.mean():.1f} %; {persistent}/{references} references"
                )
        for name in rules:
            lines.append(f"| {n_ref:,} | {name} | " + " | ".join(per_rule[name]) + " |")
    return "\n".join(lines)


# --- the monitor's error budget: many features, one window ---------------------------------------

MONITOR_FEATURES = (10, 50, 300, 1_000)
MONITOR_SIZES = (50, 1_000, 100_000)
MONITOR_WINDOWS = {10: 1_000, 50: 500, 300: 200, 1_000: 100}
"""No-drift windows per monitor size and live size (1,000 features at n = 100,000: half, for the
run time); ``--quick`` takes a tenth."""
REFERENCE_EVERY = 20
"""Windows per reference draw: every feature's reference (and bins) is drawn afresh this often."""
CHUNK = 50
"""Windows per task of the process pool (its own seed), so two workers share a big cell."""
LOGNORMAL = Law(stats.lognorm(s=1.0))
MONITOR_LAWS = (
    SCENARIOS[0],  # normal
    _numeric("no drift, lognormal", LOGNORMAL, LOGNORMAL, True),  # skewed
    SCENARIOS[1],  # 5 categories
    SCENARIOS[5],  # 60 % zeros + lognormal
)
"""Feature i of a monitor follows law i mod 4, independently of the others."""
MONITOR_DRIFTS: dict[str, tuple[Scenario, int, int, int]] = {
    # name: (the drifting features' scenario, how many drift, monitor size, live size)
    "normal, mean +0.3σ, 1 of 50 features, n = 1,000": (SCENARIOS[8], 1, 50, 1_000),
    "one new category at 5 % (Zipf top_k 50), 1 of 50, n = 1,000": (SCENARIOS[15], 1, 50, 1_000),
    "normal, mean +0.1σ, 10 of 50 features, n = 2,000": (SCENARIOS[7], 10, 50, 2_000),
    "normal, mean +1σ, 1 of 300 features, n = 50": (
        _numeric("normal, mean +1σ", NORMAL, Law(stats.norm(loc=1.0)), False),
        1,
        300,
        50,
    ),
}
CORRECTIONS = ("none", "bh", "holm")
"""``none`` and ``bh`` are driftwatch's (``correct``); Holm's step-down is computed here only to
compare: the same p-values (after ``correct``'s permutation refinement) and effects."""
_MONITOR_JS = DEFAULT_THRESHOLDS["js"]  # 20,000 permutations: BH's bar is alpha / m


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values, in input order (for the comparison only)."""
    m = p_values.size
    order = np.argsort(p_values, kind="stable")
    scaled = np.minimum(1.0, np.maximum.accumulate(p_values[order] * (m - np.arange(m))))
    out = np.empty(m)
    out[order] = scaled
    return out


def _spec(index: int, law: Scenario) -> FeatureSpec:
    kind: Literal["numeric", "categorical"] = "categorical" if "categor" in law.name else "numeric"
    return FeatureSpec(f"f{index}", kind, BinningConfig(), ("js",), {"js": _MONITOR_JS}, 0.5)


def _window(
    specs: list[FeatureSpec],
    references: list[Histogram],
    probs: list[np.ndarray],
    n: int,
    rng: np.random.Generator,
) -> tuple[FeatureOutcome, ...]:
    """Every feature of one live window scored by the default rule (no correction yet).

    The rule's drift test runs first on its own: a feature with ``p ≥ alpha`` is ``ok`` under
    every correction (an adjusted p-value is at least the raw one), so only its p-value is kept
    (it still counts in the family); the others go through the whole rule (``evaluate``).
    """
    js = _MONITOR_JS
    outcomes = []
    for spec, reference, p in zip(specs, references, probs, strict=True):
        live = Histogram(reference.bins, rng.multinomial(n, p))
        test = drift_test(
            live,
            reference,
            interior_weight=INTERIOR_WEIGHT,
            permutations=js.permutations,
            seed=js.seed,
            min_expected=js.min_expected,
        )
        value: float | None = None
        if test.p_value >= js.alpha:
            kind = f"drift-test:{test.interior.method}"
            verdict = Verdict("ok", js.warn, js.critical, "significance", test.p_value, kind)
        else:
            value = js_divergence(live.counts, reference.counts)
            context = EvaluationContext(spec.name, "js", reference, live)
            verdict = evaluate(value, js, context)
        metric = MetricOutcome("js", value, "bits", verdict.status, verdict)
        outcomes.append(
            FeatureOutcome(spec.name, spec.kind, verdict.status, (metric,), reference, live)
        )
    return tuple(outcomes)


def _flagged(
    outcomes: tuple[FeatureOutcome, ...], specs: list[FeatureSpec]
) -> dict[str, list[bool]]:
    """Per correction, which features of the window are at warn or worse."""
    breaching = ("warn", "critical")
    corrected = correct(outcomes, specs)
    verdicts = [f.metrics[0].verdict for f in corrected]  # raw p-values (refined if they were)
    p = np.array([v.p_value if v and v.p_value is not None else 1.0 for v in verdicts])
    holm_p = holm(p)
    return {
        "none": [f.status in breaching for f in outcomes],
        "bh": [f.status in breaching for f in corrected],
        "holm": [
            v is not None
            and v.effect is not None
            and significance_status(v.effect, float(q), _MONITOR_JS) in breaching
            for v, q in zip(verdicts, holm_p, strict=True)
        ],
    }


def _monitor_chunk(args: tuple[int, int, int, int, int, str | None]) -> dict[str, list[int]]:
    """One chunk of windows of a monitor cell: per correction, [windows with any alert, windows,
    drifted-feature detections, drifted-feature windows]."""
    features, n, windows, seed, chunk, drift = args
    drifting, k = (MONITOR_DRIFTS[drift][0], MONITOR_DRIFTS[drift][1]) if drift else (None, 0)
    laws = [drifting if i < k and drifting else MONITOR_LAWS[i % 4] for i in range(features)]
    specs = [_spec(i, law) for i, law in enumerate(laws)]
    tag = list(MONITOR_DRIFTS).index(drift) + 1 if drift else 0
    rng = np.random.default_rng([seed, features, n, tag, chunk])
    counts = {c: [0, 0, 0, 0] for c in CORRECTIONS}
    references: list[Histogram] = []
    probs: list[np.ndarray] = []
    for w in range(windows):
        if w % REFERENCE_EVERY == 0:
            references, probs = [], []
            for law in laws:
                bins, ref_counts = law.reference(rng, N_REFERENCE)
                references.append(Histogram(bins, ref_counts))
                probs.append(law.live_probs(bins))
        for correction, flags in _flagged(_window(specs, references, probs, n, rng), specs).items():
            c = counts[correction]
            c[0] += any(flags[k:])  # an alert from a feature that did not drift
            c[1] += 1
            c[2] += sum(flags[:k])
            c[3] += k
    return counts


def _run_chunks(
    cells: list[tuple[int, int, int, str | None]], seed: int, jobs: int
) -> dict[tuple[int, int, str | None], dict[str, list[int]]]:
    tasks = [
        (features, n, min(CHUNK, windows - start), seed, start // CHUNK, drift)
        for features, n, windows, drift in cells
        for start in range(0, windows, CHUNK)
    ]
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            done = list(pool.map(_monitor_chunk, tasks))
    else:
        done = [_monitor_chunk(t) for t in tasks]
    totals: dict[tuple[int, int, str | None], dict[str, list[int]]] = {}
    for task, counts in zip(tasks, done, strict=True):
        key = (task[0], task[1], task[5])
        total = totals.setdefault(key, {c: [0, 0, 0, 0] for c in CORRECTIONS})
        for correction, values in counts.items():
            total[correction] = [a + b for a, b in zip(total[correction], values, strict=True)]
    return totals


def monitor_tables(seed: int, *, scale: float = 1.0, jobs: int = 1) -> str:
    """Windows with any feature alert (no drift) per monitor size and live size, and the power
    on the drifting features when some of a monitor's features drift, per correction."""
    null_cells = [
        (features, n, max(10, round(MONITOR_WINDOWS[features] * scale * half)), None)
        for features in MONITOR_FEATURES
        for n in MONITOR_SIZES
        for half in [0.5 if features * n >= 100_000_000 else 1.0]
    ]
    drift_cells = [  # 300 windows, 100 for the 300-feature monitor
        (m, n, max(10, round(min(300, 30_000 / m) * scale)), name)
        for name, (_, _, m, n) in MONITOR_DRIFTS.items()
    ]
    totals = _run_chunks(null_cells + drift_cells, seed, jobs)
    lines = [
        "| features | live n | windows | `none` | `bh` (default) | Holm |",
        "|---|---|---|---|---|---|",
    ]
    for features, n, windows, _ in null_cells:
        row = totals[(features, n, None)]
        shown = [cell(row[c][0], row[c][1]) for c in CORRECTIONS]
        lines.append(f"| {features:,} | {n:,} | {windows} | " + " | ".join(shown) + " |")
    lines += [
        "",
        "| drift | windows | detected `none` | `bh` (default) | Holm | "
        "other features alerting: `none` | `bh` | Holm |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for features, n, windows, name in drift_cells:
        row = totals[(features, n, name)]
        power = [cell(row[c][2], row[c][3]) for c in CORRECTIONS]
        others = [cell(row[c][0], row[c][1]) for c in CORRECTIONS]
        lines.append(f"| {name} | {windows} | " + " | ".join(power + others) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CI-sized run (fewer repetitions)")
    parser.add_argument("--reps", type=int, help="repetitions per no-drift cell (1000; quick 100)")
    parser.add_argument("--drift-reps", type=int, help="repetitions per drift cell (300; quick 40)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--calibrated", action="store_true", help="also the calibrated kind")
    parser.add_argument("--conditional", action="store_true", help="also the conditional table")
    parser.add_argument(
        "--null-only", action="store_true", help="only the no-drift scenarios (use with --reps)"
    )
    parser.add_argument(
        "--rules", type=int, help="only the first RULES rules (2: the default and the test alone)"
    )
    parser.add_argument(
        "--scenario", help="only the scenarios whose name contains this text (e.g. Zipf)"
    )
    parser.add_argument(
        "--sizes",
        type=lambda text: tuple(int(v) for v in text.split(",")),
        default=SIZES,
        help="comma-separated live sizes, a subset of 50,200,1000,10000,100000 (default all)",
    )
    parser.add_argument(
        "--monitors",
        action="store_true",
        help="instead: the monitor-level tables (windows with any alert, none / bh / Holm)",
    )
    parser.add_argument("--seed", type=int, default=20261127)
    args = parser.parse_args(argv)
    if args.monitors:
        started = time.perf_counter()
        scale = 0.1 if args.quick else 1.0
        print("## Monitor level: windows with any feature alert, and the power cost\n")
        print(monitor_tables(args.seed, scale=scale, jobs=args.jobs))
        print(f"\n(finished in {time.perf_counter() - started:.0f} s)")
        return 0
    reps = args.reps or (100 if args.quick else 1000)
    drift_reps = args.drift_reps or (40 if args.quick else 300)
    names = (*RULES, *CALIBRATED) if args.calibrated else tuple(RULES)
    names = names[: args.rules] if args.rules else names
    started = time.perf_counter()
    print(
        f"## Unconditional: fresh reference ({N_REFERENCE:,} rows) and live window per repetition"
    )
    print(
        f"\n{reps} repetitions per no-drift cell, {drift_reps} per drift cell, seed {args.seed}; "
        "share of windows flagged (95 % Wilson interval)\n"
    )
    table = unconditional(
        reps,
        args.seed,
        drift_reps=drift_reps,
        jobs=args.jobs,
        rules=names,
        null_only=args.null_only,
        scenario_filter=args.scenario,
        sizes=args.sizes,
    )
    print(table)
    if args.conditional:
        references, windows = (10, 4) if args.quick else (200, 10)
        print("\n## Conditional on one reference draw: false alarms with no drift")
        print(
            f"\n{references} reference draws × {windows} live windows each, normal data: mean "
            "false-alarm rate; reference draws flagging at least half of their windows\n"
        )
        print(conditional(references, windows, args.seed))
    print(f"\n(finished in {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
