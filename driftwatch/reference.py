"""Fit a monitor's reference profile (frozen bins + reference counts) chunk by chunk.

Memory stays flat whatever the size of the reference:

- categorical features keep one count per distinct category, which add across chunks, so their
  vocabulary and counts are exactly those of the whole reference;
- ``fixed`` numeric edges are known up front, so those features are counted as chunks arrive;
- other numeric features (``quantile``, ``uniform``, ``auto``) are fitted on a bounded uniform
  row sample (:class:`~driftwatch.engine.sampling.RowSample`) plus the exact finite min and max.
  While the reference has at most ``sample_rows`` rows, the sample *is* the reference: edges are
  exactly ``numpy.quantile``'s and the counts come from the held values in the same pass. Beyond
  that the edges carry the sampling error bound documented in ``driftwatch.engine.sampling`` and
  a second pass counts every reference row on them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np
import pandas as pd

from driftwatch.config import FeatureSpec
from driftwatch.engine import (
    Bins,
    Histogram,
    NumericBins,
    fit_categorical_bins_from_counts,
    fit_numeric_bins,
)
from driftwatch.engine.parallel import run_all
from driftwatch.engine.sampling import RowSample
from driftwatch.errors import ColumnError, EngineError, SourceError
from driftwatch.results import Problem
from driftwatch.sources import Source
from driftwatch.sources._common import report_rows
from driftwatch.sources.base import RowsRead
from driftwatch.sources.columns import category_counts, feature_values
from driftwatch.sources.counting import Counts, FeatureBins, count_frame

__all__ = ["FittedReference", "fit_reference"]


@dataclass
class FittedReference:
    """Per feature: a reference histogram, or ``(status, reason)`` for why there is none."""

    histograms: dict[str, Histogram]
    problems: dict[str, Problem]
    n_rows: int


@dataclass
class _Categories:
    counts: dict[str, int] = field(default_factory=dict)
    missing: int = 0

    def add(self, counts: dict[str, int], missing: int) -> None:
        self.missing += missing
        for label, n in counts.items():
            self.counts[label] = self.counts.get(label, 0) + n


@dataclass
class _Range:
    low: float = math.inf
    high: float = -math.inf

    def add(self, values: np.ndarray) -> None:
        finite = np.isfinite(values)
        self.low = min(self.low, float(np.min(values, initial=math.inf, where=finite)))
        self.high = max(self.high, float(np.max(values, initial=-math.inf, where=finite)))


def fit_reference(
    source: Source,
    specs: Sequence[FeatureSpec],
    *,
    chunk_rows: int,
    sample_rows: int,
    on_rows: RowsRead | None = None,
) -> FittedReference:
    """Fit bins and count the reference for every feature of ``specs`` present in ``source``.

    ``on_rows`` hears the rows of the first pass read so far, once per chunk (see
    :data:`~driftwatch.sources.base.RowsRead`); a second pass, when one is needed, is not reported.

    Raises:
        SourceError: the source cannot be read, or the reference has no rows.
    """
    where = source.describe()
    available = set(source.columns())
    problems: dict[str, Problem] = {}
    present = []
    for spec in specs:
        if spec.name in available:
            present.append(spec)
        else:
            problems[spec.name] = Problem(
                "error",
                f"column {spec.name!r} is absent from the reference data ({where}); "
                "fix the feature name or the data",
            )
    fixed = [
        FeatureBins(s.name, s.kind, _fixed_bins(s))
        for s in present
        if s.kind == "numeric" and s.binning.strategy == "fixed"
    ]
    sampled = [s for s in present if s.kind != "categorical" and s.binning.strategy != "fixed"]
    categorical = [s for s in present if s.kind == "categorical"]
    sample = RowSample(sample_rows, len(sampled))
    ranges = {s.name: _Range() for s in sampled}
    categories = {s.name: _Categories() for s in categorical}
    fixed_counts = Counts.zero(fixed)
    n_rows = 0
    label = source.role

    def numeric(spec: FeatureSpec, chunk: pd.DataFrame) -> np.ndarray:
        values = feature_values(chunk[spec.name], kind=spec.kind, column=spec.name, where=label)
        ranges[spec.name].add(values)
        return values

    chunks = source.read([s.name for s in present], chunk_rows=chunk_rows)
    for chunk in report_rows(chunks, on_rows, source.row_total() if on_rows else None):
        rows = len(chunk)
        n_rows += rows
        if fixed:
            part = count_frame(chunk, fixed_counts.pending(fixed), label)
            fixed_counts = fixed_counts.add(part, rows)
        numeric_futures = run_all(partial(numeric, s, chunk) for s in sampled)
        code_futures = run_all(partial(category_counts, chunk[s.name]) for s in categorical)
        columns = []
        for spec, future in zip(sampled, numeric_futures, strict=True):
            try:
                columns.append(future.result())
            except ColumnError as exc:
                problems.setdefault(spec.name, Problem("error", str(exc)))
                columns.append(np.full(rows, np.nan))
        sample.add(columns)
        for spec, codes in zip(categorical, code_futures, strict=True):
            categories[spec.name].add(*codes.result())
    if n_rows == 0:
        raise SourceError(
            f"{where}: the reference data has no rows (after its time filter); "
            "point 'reference' at a non-empty dataset"
        )

    histograms: dict[str, Histogram] = {}
    problems.update(fixed_counts.problems)
    for name, counted in fixed_counts.histograms.items():
        if counted.n_valid == 0:
            problems[name] = Problem(
                "error", "reference: no finite reference values to fit bins on"
            )
        else:
            histograms[name] = counted
    for spec in categorical:
        seen = categories[spec.name]
        try:
            bins = fit_categorical_bins_from_counts(seen.counts, top_k=spec.binning.top_k)
        except EngineError as exc:
            problems[spec.name] = Problem("error", f"reference: {exc}")
            continue
        histograms[spec.name] = Histogram(bins, bins.count_labels(seen.counts, seen.missing))

    def fit_sampled(j: int, spec: FeatureSpec) -> tuple[NumericBins, np.ndarray | None]:
        values = sample.values(j)
        if not sample.exhaustive:  # the exact range joins the sample: edges span the reference
            span = ranges[spec.name]
            extremes = [span.low, span.high] if span.low <= span.high else []
            values = np.concatenate([values, np.asarray(extremes, dtype=np.float64)])
        binning = spec.binning
        bins = fit_numeric_bins(values, strategy=binning.strategy, bins=binning.bins)
        if spec.kind == "datetime":  # the same edges, in epoch seconds, labelled as timestamps
            bins = replace(bins, axis="time")
        return bins, bins.count(values) if sample.exhaustive else None

    sample.seal()  # before the threads below read it
    todo = [(j, spec) for j, spec in enumerate(sampled) if spec.name not in problems]
    later: list[FeatureBins] = []
    fits = run_all(partial(fit_sampled, j, s) for j, s in todo)
    for (_, spec), fit in zip(todo, fits, strict=True):
        try:
            numeric_bins, counts = fit.result()
        except EngineError as exc:
            problems[spec.name] = Problem("error", f"reference: {exc}")
            continue
        if counts is not None:
            histograms[spec.name] = Histogram(numeric_bins, counts)
        else:
            later.append(FeatureBins(spec.name, spec.kind, numeric_bins))
    if later:  # the second pass: every reference row on the bins fitted from the sample
        second = source.count(later, chunk_rows=chunk_rows)
        histograms.update(second.histograms)
        problems.update(second.problems)
    return FittedReference(histograms, problems, n_rows)


def _fixed_bins(spec: FeatureSpec) -> Bins:
    return NumericBins(edges=tuple(spec.binning.edges or ()), strategy="fixed")
