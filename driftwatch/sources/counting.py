"""Count one chunk's feature columns on frozen bins, columns in parallel.

The one place where a pandas chunk meets the engine on the counting side: the monitor uses it for
every in-process chunk and the Dask source runs the very same function on each partition, so the
counts agree by construction. A column that cannot be converted yields its error message instead
of counts, and the other columns are still counted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from driftwatch.engine import Bins, CategoricalBins
from driftwatch.engine.parallel import run_all
from driftwatch.errors import ColumnError
from driftwatch.sources.columns import category_counts, numeric_values

__all__ = ["FeatureBins", "count_frame", "merge_counts"]


@dataclass(frozen=True)
class FeatureBins:
    """A feature's column name, kind (``numeric`` or ``categorical``) and frozen bins."""

    name: str
    kind: str
    bins: Bins


Counted = np.ndarray | str  # counts per slot, or why the column could not be counted


def _count_column(series: pd.Series, feature: FeatureBins, where: str) -> np.ndarray:
    bins = feature.bins
    if feature.kind == "numeric":
        return bins.count(numeric_values(series, column=feature.name, where=where))
    assert isinstance(bins, CategoricalBins)
    return bins.count_labels(*category_counts(series))


def count_frame(
    frame: pd.DataFrame, features: Sequence[FeatureBins], where: str
) -> dict[str, Counted]:
    """Counts per slot of each feature's column in ``frame`` (or a ColumnError's message).

    Args:
        frame: one chunk holding every feature's column.
        features: what to count, and on which bins.
        where: the data's description (``live sql table t on ...``) for error messages.
    """
    futures = run_all(partial(_count_column, frame[f.name], f, where) for f in features)
    out: dict[str, Counted] = {}
    for feature, future in zip(features, futures, strict=True):
        try:
            out[feature.name] = future.result()
        except ColumnError as exc:
            out[feature.name] = str(exc)
    return out


def merge_counts(total: Mapping[str, Counted], part: Mapping[str, Counted]) -> dict[str, Counted]:
    """Sum two partial results feature by feature; an error on either side is kept."""
    merged: dict[str, Counted] = {}
    for name in total.keys() | part.keys():
        a, b = total.get(name), part.get(name)
        if a is None or b is None:
            merged[name] = a if b is None else b  # type: ignore[assignment]
        elif isinstance(a, str):
            merged[name] = a
        elif isinstance(b, str):
            merged[name] = b
        else:
            merged[name] = a + b
    return merged
