"""False alarms and detection power of driftwatch's alert rules, by live-window size.

A seeded simulation through driftwatch's own code path (engine binning, ``Histogram``,
:func:`driftwatch.evaluate.evaluate` with :class:`~driftwatch.config.ThresholdConfig`), printing
Markdown tables with 95 % Wilson intervals:

1. per scenario and live size n in {50, 200, 1 000, 10 000, 100 000}, the share of windows flagged
   ``warn`` or worse on ``js`` by each rule. Every repetition draws a fresh reference of 10 000
   rows (bins fitted on it, 10 quantile bins for numeric data, as driftwatch does) and a fresh
   live window. Live counts are drawn as Multinomial(n, P(bin) under the live distribution) —
   exactly the distribution of binning n raw rows on those edges, without generating them.
2. conditional on one reference draw: the false-alarm rate over many live windows, per reference
   draw, for references of 1 000 and 10 000 rows (the reference's own sampling error).

    python benchmarks/stat_power.py            # the full run recorded in benchmarks/README.md
    python benchmarks/stat_power.py --quick    # CI-sized: fewer repetitions, same code path
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from driftwatch.config import DEFAULT_THRESHOLDS, ThresholdConfig
from driftwatch.engine import Histogram, fit_categorical_bins, fit_numeric_bins, js_divergence
from driftwatch.engine.binning import Bins, NumericBins
from driftwatch.evaluate import evaluate
from driftwatch.thresholds import EvaluationContext

N_REFERENCE = 10_000
SIZES = (50, 200, 1_000, 10_000, 100_000)
CATEGORY_SHARES = np.array([0.35, 0.25, 0.20, 0.12, 0.08])

_JS = DEFAULT_THRESHOLDS["js"]
RULES: dict[str, ThresholdConfig] = {
    f"default (significance: G-test p < 0.01 and js ≥ {_JS.warn:g})": _JS,
    "G-test p < 0.01 alone (no magnitude)": _JS.model_copy(update={"warn": None, "critical": None}),
    f"calibrated (js > null 0.99 quantile and js ≥ {_JS.warn:g})": _JS.model_copy(
        update={"kind": "calibrated"}
    ),
    "constant js ≥ 0.05 (the old fixed default)": ThresholdConfig(kind="constant", warn=0.05),
    f"constant js ≥ {_JS.warn:g}": ThresholdConfig(kind="constant", warn=_JS.warn),
}


@dataclass(frozen=True)
class Scenario:
    """A reference distribution and a live one; ``null`` when they are the same."""

    name: str
    null: bool
    reference: Callable[[np.random.Generator, int], tuple[Bins, np.ndarray]]
    live_probs: Callable[[Bins], np.ndarray]


def _numeric(
    name: str, base: stats.rv_continuous, live: stats.rv_continuous, null: bool
) -> Scenario:
    def reference(rng: np.random.Generator, size: int) -> tuple[Bins, np.ndarray]:
        values = base.rvs(size=size, random_state=rng)
        bins = fit_numeric_bins(values, strategy="quantile", bins=10)
        return bins, bins.count(values)

    def live_probs(bins: Bins) -> np.ndarray:
        assert isinstance(bins, NumericBins)
        cdf = live.cdf(np.asarray(bins.edges))
        return np.concatenate([[cdf[0]], np.diff(cdf), [1.0 - cdf[-1], 0.0]])

    return Scenario(name, null, reference, live_probs)


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


NORMAL = stats.norm()
SCENARIOS = (
    _numeric("no drift, normal", NORMAL, NORMAL, True),
    _categorical("no drift, 5 categories", 0.0, True),
    _numeric("normal, mean +0.1σ", NORMAL, stats.norm(loc=0.1), False),
    _numeric("normal, mean +0.3σ", NORMAL, stats.norm(loc=0.3), False),
    _numeric("lognormal, scale ×1.1", stats.lognorm(s=1.0), stats.lognorm(s=1.0, scale=1.1), False),
    _categorical("one category's share +0.05 (0.25 → 0.30)", 0.05, False),
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


def flags(reference: Histogram, live: Histogram) -> dict[str, bool]:
    """Which rules flag this window (js at warn or worse)."""
    value = js_divergence(live.counts, reference.counts)
    context = EvaluationContext(feature="x", metric="js", reference=reference, live=live)
    return {
        name: evaluate(value, rule, context).status in ("warn", "critical")
        for name, rule in RULES.items()
    }


def unconditional(reps: int, seed: int) -> str:
    lines = []
    header = "| rule | scenario | " + " | ".join(f"n = {n:,}" for n in SIZES) + " |"
    lines += [header, "|---|---|" + "---|" * len(SIZES)]
    results: dict[tuple[str, str], list[str]] = {}
    for s_index, scenario in enumerate(SCENARIOS):
        for n_index, n in enumerate(SIZES):
            rng = np.random.default_rng([seed, s_index, n_index])
            hits = dict.fromkeys(RULES, 0)
            for _ in range(reps):
                bins, ref_counts = scenario.reference(rng, N_REFERENCE)
                live_counts = rng.multinomial(n, scenario.live_probs(bins))
                for name, flagged in flags(
                    Histogram(bins, ref_counts), Histogram(bins, live_counts)
                ).items():
                    hits[name] += flagged
            for name in RULES:
                results.setdefault((name, scenario.name), []).append(cell(hits[name], reps))
    for name in RULES:
        for scenario in SCENARIOS:
            label = ("false alarms: " if scenario.null else "detected: ") + scenario.name
            lines.append(
                f"| {name} | {label} | " + " | ".join(results[(name, scenario.name)]) + " |"
            )
    return "\n".join(lines)


def conditional(references: int, windows: int, seed: int) -> str:
    """No drift, conditional on one reference draw: how many reference draws alarm persistently.

    Per reference size and live size: the mean false-alarm rate over all (reference, window)
    pairs, and the share of reference draws that flag at least half of their live windows — a
    reference whose own sampling error the live data can resolve.
    """
    rules = {k: v for k, v in RULES.items() if not k.startswith("constant")}
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
                    value = js_divergence(live.counts, reference.counts)
                    context = EvaluationContext("x", "js", reference, live)
                    for name, rule in rules.items():
                        hits[name] += evaluate(value, rule, context).status != "ok"
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CI-sized run (fewer repetitions)")
    parser.add_argument("--reps", type=int, help="repetitions per cell (default 1000, quick 60)")
    parser.add_argument("--seed", type=int, default=20261127)
    args = parser.parse_args(argv)
    reps = args.reps or (60 if args.quick else 1000)
    references, windows = (10, 4) if args.quick else (200, 10)
    started = time.perf_counter()
    print(
        f"## Unconditional: fresh reference ({N_REFERENCE:,} rows) and live window per repetition"
    )
    print(
        f"\n{reps} repetitions per cell, seed {args.seed}; share of windows flagged "
        "(95 % Wilson interval)\n"
    )
    print(unconditional(reps, args.seed))
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
