"""Count chunks of feature columns on frozen bins: a histogram per feature, or its problem.

The one place where a pandas chunk meets the engine on the counting side. A :class:`Chunk` is what
a source hands the reference fit and the counting loop: its rows, one column as float64 values or
category counts, or every feature counted on its bins; :class:`FrameChunk` wraps a pandas frame
(``sources.arrow.ArrowChunk`` an Arrow table, with the same results). ``Source.count``'s
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
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np

from driftwatch.engine import Bins, CategoricalBins, Histogram
from driftwatch.engine.parallel import run_all
from driftwatch.errors import ColumnError
from driftwatch.results import Problem

if TYPE_CHECKING:  # pandas comes with the frames: an Arrow or SQL-pushdown count needs none
    import pandas as pd

__all__ = [
    "Chunk",
    "Counted",
    "Counts",
    "FeatureBins",
    "FrameChunk",
    "count_chunks",
    "count_frame",
]

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


class Chunk(Protocol):
    """One chunk of a source's rows, as the reference fit and the counting loop read it."""

    def __len__(self) -> int:
        """The chunk's rows."""
        ...

    def numeric(self, name: str, where: str, kind: str = "numeric") -> np.ndarray:
        """Column ``name`` as float64 values, NaN where missing (see ``feature_values``): numbers,
        or for ``kind="datetime"`` seconds since the Unix epoch.

        Raises:
            ColumnError: the column holds text that is not a number, or timestamps.
        """
        ...

    def categories(self, name: str) -> tuple[dict[str, int], int]:
        """Each category label's count in column ``name``, and the missing count."""
        ...

    def count(self, features: Sequence[FeatureBins], where: str) -> dict[str, Counted]:
        """Each feature's histogram over the chunk, or its column's problem."""
        ...


@dataclass(frozen=True)
class FrameChunk:
    """A pandas frame as a :class:`Chunk`."""

    frame: pd.DataFrame

    def __len__(self) -> int:
        return len(self.frame)

    def numeric(self, name: str, where: str, kind: str = "numeric") -> np.ndarray:
        from driftwatch.sources.columns import feature_values

        return feature_values(self.frame[name], kind=kind, column=name, where=where)

    def categories(self, name: str) -> tuple[dict[str, int], int]:
        from driftwatch.sources.columns import category_counts

        return category_counts(self.frame[name])

    def count(self, features: Sequence[FeatureBins], where: str) -> dict[str, Counted]:
        return count_frame(self.frame, features, where)


def _count_column(series: pd.Series, feature: FeatureBins, where: str) -> Histogram:
    from driftwatch.sources.columns import category_counts, feature_values

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


def count_chunks(chunks: Iterable[Chunk], features: Sequence[FeatureBins], where: str) -> Counts:
    """Every chunk counted and merged; a feature with a problem is not counted again.

    Chunks are counted as they arrive and then dropped, so memory stays at one chunk.
    """
    counts = Counts.zero(features)
    for chunk in chunks:
        counts = counts.add(chunk.count(counts.pending(features), where), len(chunk))
    return counts
