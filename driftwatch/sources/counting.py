"""Count chunks of feature columns on frozen bins: a histogram per feature, or its problem.

The one place where a pandas chunk meets the engine on the counting side. ``Source.count``'s
default reads chunks and counts them here, the SQLite fallback of SQL pushdown counts its fetched
rows here, and the Dask source runs :func:`count_frame` on every partition, so the counts agree
by construction. Chunk results merge with the engine's ``Histogram.__add__``, which checks that
the bins agree. A column that cannot be converted becomes a :class:`~driftwatch.results.Problem`
(its first one is kept and the column is not counted again); the other columns are still counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Literal

import pandas as pd

from driftwatch.engine import Bins, CategoricalBins, Histogram
from driftwatch.engine.parallel import run_all
from driftwatch.errors import ColumnError
from driftwatch.results import Problem
from driftwatch.sources.columns import category_counts, feature_values

__all__ = ["Counted", "Counts", "FeatureBins", "count_chunks", "count_frame"]

Counted = Histogram | Problem
"""One feature's counts on its bins, or why its column could not be counted."""


@dataclass(frozen=True)
class FeatureBins:
    """A feature's column name, kind and frozen bins: what to count, and on which slots."""

    name: str
    kind: Literal["numeric", "categorical", "datetime"]
    bins: Bins


@dataclass(frozen=True)
class Counts:
    """What a source counted: each feature's histogram or problem (never both), and the rows."""

    histograms: dict[str, Histogram]
    problems: dict[str, Problem]
    n_rows: int

    @classmethod
    def zero(cls, features: Sequence[FeatureBins]) -> Counts:
        """Empty histograms for every feature and no rows: the identity of :meth:`add`."""
        return cls({f.name: Histogram.empty(f.bins) for f in features}, {}, 0)

    def add(self, part: Mapping[str, Counted], rows: int) -> Counts:
        """These counts plus one chunk's (or partition's) ``part`` of ``rows`` rows.

        Histograms merge with ``+`` (bins must agree); a feature's first problem is kept, and
        whatever a later part holds for it is dropped.
        """
        histograms, problems = dict(self.histograms), dict(self.problems)
        for name, counted in part.items():
            if name in problems:
                continue
            if isinstance(counted, Problem):
                problems[name] = counted
                histograms.pop(name, None)
                continue
            previous = histograms.get(name)
            histograms[name] = counted if previous is None else previous + counted
        return Counts(histograms, problems, self.n_rows + rows)

    def pending(self, features: Sequence[FeatureBins]) -> list[FeatureBins]:
        """The ``features`` still worth counting: those without a problem yet."""
        return [f for f in features if f.name not in self.problems]

    def results(self) -> dict[str, Counted]:
        """Histograms and problems in one mapping, by feature name."""
        return {**self.histograms, **self.problems}


def _count_column(series: pd.Series, feature: FeatureBins, where: str) -> Histogram:
    bins = feature.bins
    if feature.kind != "categorical":
        values = feature_values(series, kind=feature.kind, column=feature.name, where=where)
        return Histogram(bins, bins.count(values))
    assert isinstance(bins, CategoricalBins)
    return Histogram(bins, bins.count_labels(*category_counts(series)))


def count_frame(
    frame: pd.DataFrame, features: Sequence[FeatureBins], where: str
) -> dict[str, Counted]:
    """Each feature's histogram over ``frame`` (or the problem its column has), columns on threads.

    Args:
        frame: one chunk holding every feature's column (read in place, never copied).
        features: what to count, and on which bins.
        where: the prefix of error messages, the source's role (``monitor 'weather' live``).
    """
    futures = run_all(partial(_count_column, frame[f.name], f, where) for f in features)
    out: dict[str, Counted] = {}
    for feature, future in zip(features, futures, strict=True):
        try:
            out[feature.name] = future.result()
        except ColumnError as exc:
            out[feature.name] = Problem("error", str(exc))
    return out


def count_chunks(
    chunks: Iterable[pd.DataFrame], features: Sequence[FeatureBins], where: str
) -> Counts:
    """:func:`count_frame` over every chunk, merged; a feature with a problem is not counted again.

    Chunks are counted as they arrive and then dropped, so memory stays at one chunk.
    """
    counts = Counts.zero(features)
    for chunk in chunks:
        counts = counts.add(count_frame(chunk, counts.pending(features), where), len(chunk))
    return counts
