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

On a columnar source (Parquet, where reading some columns costs only those columns) the sampled
features are read in groups, one pass over the data per group, so the sample never holds more
than :data:`SAMPLE_BUDGET` bytes (values and keys) whatever the number of features, and a pass
reads at most ``COLUMNS_PER_PASS`` (32) columns: each column
is still decoded once, and every group draws the same row keys, so the edges are those of one
pass holding every column. Other sources are read once, all columns at a time: their sample is
``8 × (features + 1) × min(rows, 1.25 × sample_rows)`` bytes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np

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
from driftwatch.sources._common import COLUMNS_PER_PASS, report_rows
from driftwatch.sources.base import RowsRead
from driftwatch.sources.counting import Chunk, Counts, FeatureBins

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


SAMPLE_BUDGET = 64 * 2**20
"""Bytes the reference sample may hold on a columnar source (values and row keys)."""


@dataclass
class _Pass:
    """What one read of the reference collects: a sample of its numeric group and their ranges,
    category counts and ``fixed``-edge counts (the last two on the first pass only)."""

    sample: RowSample
    ranges: dict[str, _Range]
    categories: dict[str, _Categories]
    fixed: Counts
    problems: dict[str, Problem]
    n_rows: int


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
    :data:`~driftwatch.sources.base.RowsRead`); later passes (more groups of numeric features on
    a columnar source, the count on sampled edges) are not reported.

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
    total = source.row_total()
    groups = _groups(source, sampled, sample_rows, total)

    histograms: dict[str, Histogram] = {}
    later: list[FeatureBins] = []
    n_rows = 0
    previous: RowSample | None = None
    for number, group in enumerate(groups):
        first = number == 0
        read = _read(
            source,
            group,
            categorical if first else [],
            fixed if first else [],
            chunk_rows=chunk_rows,
            sample_rows=sample_rows,
            expected_rows=total,
            on_rows=on_rows if first else None,
            reuse=previous,
        )
        if first:
            n_rows = read.n_rows
            if n_rows == 0:
                raise SourceError(
                    f"{where}: the reference data has no rows (after its time filter); "
                    "point 'reference' at a non-empty dataset"
                )
            _finish_counted(read, categorical, histograms, problems)
        problems.update(read.problems)
        later += _fit_group(read, group, histograms, problems)
        previous = read.sample  # its buffer holds the next group's sample
        del read
    del previous  # the last sample's buffer goes before the second pass reads
    if later:  # the second pass: every reference row on the bins fitted from the sample
        second = source.count(later, chunk_rows=chunk_rows)
        histograms.update(second.histograms)
        problems.update(second.problems)
    return FittedReference(histograms, problems, n_rows)


def _groups(
    source: Source, sampled: list[FeatureSpec], sample_rows: int, total: int | None
) -> list[list[FeatureSpec]]:
    """The sampled features cut into groups whose sample fits :data:`SAMPLE_BUDGET` (columnar
    sources), or one group (others). There is always a first group, maybe empty."""
    if not sampled or not source.columnar:
        return [sampled]
    rows = RowSample.buffer_rows(sample_rows)
    if total is not None:
        rows = max(1, min(rows, total))
    per_pass = max(1, SAMPLE_BUDGET // (8 * rows) - 1)  # one column of the budget holds the keys
    per_pass = min(per_pass, COLUMNS_PER_PASS)  # and pyarrow's per-column buffers stay bounded
    return [sampled[i : i + per_pass] for i in range(0, len(sampled), per_pass)]


def _read(
    source: Source,
    sampled: list[FeatureSpec],
    categorical: list[FeatureSpec],
    fixed: list[FeatureBins],
    *,
    chunk_rows: int,
    sample_rows: int,
    expected_rows: int | None,
    on_rows: RowsRead | None,
    reuse: RowSample | None = None,
) -> _Pass:
    """One pass over the reference: sample ``sampled``, count ``categorical`` and ``fixed``
    (in ``reuse``'s memory: the previous pass's finished sample)."""
    sample = RowSample(sample_rows, len(sampled), expected_rows=expected_rows, reuse=reuse)
    read = _Pass(
        sample=sample,
        ranges={s.name: _Range() for s in sampled},
        categories={s.name: _Categories() for s in categorical},
        fixed=Counts.zero(fixed),
        problems={},
        n_rows=0,
    )
    label = source.role
    # The exact ranges are needed only once the sample stops holding every row: until then they
    # are the sample's own, taken from it when the first row is about to be left out.
    tracking = False

    def numeric(spec: FeatureSpec, chunk: Chunk) -> np.ndarray:
        values = chunk.numeric(spec.name, label, spec.kind)
        if tracking:
            read.ranges[spec.name].add(values)
        return values

    names = list(dict.fromkeys([*(s.name for s in sampled), *(s.name for s in categorical)]))
    names += [f.name for f in fixed if f.name not in names]
    chunks = source.chunks(names, chunk_rows=chunk_rows)
    for chunk in report_rows(chunks, on_rows, expected_rows):
        rows = len(chunk)
        read.n_rows += rows
        if fixed:
            read.fixed = read.fixed.add(chunk.count(read.fixed.pending(fixed), label), rows)
        if not tracking and read.sample.rows_seen + rows > read.sample.capacity:
            for j, spec in enumerate(sampled):
                read.ranges[spec.name].add(read.sample.values(j))
            tracking = True
        numeric_futures = run_all(partial(numeric, s, chunk) for s in sampled)
        count_futures = run_all(partial(chunk.categories, s.name) for s in categorical)
        columns = []
        for spec, future in zip(sampled, numeric_futures, strict=True):
            try:
                columns.append(future.result())
            except ColumnError as exc:
                read.problems.setdefault(spec.name, Problem("error", str(exc)))
                columns.append(np.full(rows, np.nan))
        read.sample.add(columns)
        for spec, counted in zip(categorical, count_futures, strict=True):
            read.categories[spec.name].add(*counted.result())
    read.sample.seal()  # before the threads of the fit read it
    return read


def _finish_counted(
    read: _Pass,
    categorical: list[FeatureSpec],
    histograms: dict[str, Histogram],
    problems: dict[str, Problem],
) -> None:
    """The first pass's ``fixed``-edge and categorical histograms (or their problems)."""
    problems.update(read.fixed.problems)
    for name, counted in read.fixed.histograms.items():
        if counted.n_valid == 0:
            problems[name] = Problem(
                "error", "reference: no finite reference values to fit bins on"
            )
        else:
            histograms[name] = counted
    for spec in categorical:
        seen = read.categories[spec.name]
        try:
            bins = fit_categorical_bins_from_counts(seen.counts, top_k=spec.binning.top_k)
        except EngineError as exc:
            problems[spec.name] = Problem("error", f"reference: {exc}")
            continue
        histograms[spec.name] = Histogram(bins, bins.count_labels(seen.counts, seen.missing))


def _fit_group(
    read: _Pass,
    group: list[FeatureSpec],
    histograms: dict[str, Histogram],
    problems: dict[str, Problem],
) -> list[FeatureBins]:
    """Fit the group's bins on its sample (counted from it when it holds the whole reference);
    the features whose rows must still be counted on their bins, in a later pass."""
    sample = read.sample

    def fit(j: int, spec: FeatureSpec) -> tuple[NumericBins, np.ndarray | None]:
        # One sort per column: the edges are read off it and, when the sample is the whole
        # reference, so are its counts (binary searches for the edges, not a pass). It sorts
        # the sample's own buffer in place: this fit is the sample's last reader.
        extremes: list[float] = []
        if not sample.exhaustive:  # the exact range joins the sample: edges span the reference
            span = read.ranges[spec.name]
            extremes = [span.low, span.high] if span.low <= span.high else []
        ordered = sample.sorted_values(j, extremes)
        binning = spec.binning
        bins = fit_numeric_bins(
            ordered, strategy=binning.strategy, bins=binning.bins, presorted=True
        )
        if spec.kind == "datetime":  # the same edges, in epoch seconds, labelled as timestamps
            bins = replace(bins, axis="time")
        return bins, bins.count_sorted(ordered) if sample.exhaustive else None

    todo = [(j, spec) for j, spec in enumerate(group) if spec.name not in problems]
    later: list[FeatureBins] = []
    fits = run_all(partial(fit, j, s) for j, s in todo)
    for (_, spec), done in zip(todo, fits, strict=True):
        try:
            numeric_bins, counts = done.result()
        except EngineError as exc:
            problems[spec.name] = Problem("error", f"reference: {exc}")
            continue
        if counts is not None:
            histograms[spec.name] = Histogram(numeric_bins, counts)
        else:
            later.append(FeatureBins(spec.name, spec.kind, numeric_bins))
    return later


def _fixed_bins(spec: FeatureSpec) -> Bins:
    return NumericBins(edges=tuple(spec.binning.edges or ()), strategy="fixed")
