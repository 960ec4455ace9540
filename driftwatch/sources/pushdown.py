"""SQL pushdown: the database counts the live histograms, only k numbers per feature come back.

Built with SQLAlchemy Core: per feature one ``GROUP BY`` over a bucket expression (numeric
features and the row count joined in one ``UNION ALL`` statement), all read in one transaction
(``REPEATABLE READ`` on PostgreSQL, so every feature sees the same snapshot).

- numeric: ``CASE`` over the frozen edges, with exactly the engine's slots — NULL (and NaN, which
  PostgreSQL stores and orders above every number) → ``__missing__``; ``x < e0`` → lower tail;
  ``[e_i−1, e_i)``; ``x = e_last`` → the closed last bin; anything above (``+inf`` too) → upper
  tail. Edges are bound as float8 parameters, so they compare exactly.
- categorical: ``GROUP BY`` the value itself; each distinct value is labelled in Python by the
  engine's one rule (``3``, ``3.0`` and NUMERIC ``3.00`` are ``"3"``), NULL/NaN → missing,
  values outside the vocabulary → ``__other__`` / ``__unseen__``.

Numeric features need numeric columns (a text column holding numbers is parsed in-process, but
a database cannot compare it with a number): use ``pushdown: false`` for those.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from driftwatch.engine import CategoricalBins, Histogram, NumericBins, category_label, is_missing
from driftwatch.sources.counting import Counts, FeatureBins

__all__ = ["bucket_expression", "count_statements", "counts_from_rows"]

_ROWS = -1  # the feature index of the COUNT(*) branch


def bucket_expression(
    column: ColumnElement[Any], bins: NumericBins, dialect: str
) -> ColumnElement[Any]:
    """The engine's slot of ``column`` on ``bins`` as a SQL ``CASE`` expression."""
    edges = bins.edges
    m = len(edges)

    def edge(value: float) -> ColumnElement[Any]:
        return sa.bindparam(None, float(value), type_=sa.Float(precision=53))

    whens: list[tuple[ColumnElement[bool], int]] = [(column.is_(None), m + 1)]
    if dialect == "postgresql":
        whens.append((column == sa.cast(sa.literal("NaN"), sa.Float(precision=53)), m + 1))
    else:  # IEEE NaN is unequal to itself (SQLite has no NaN: it stores NULL)
        whens.append((column != column, m + 1))
    whens += [(column < edge(e), i) for i, e in enumerate(edges)]
    whens.append((column == edge(edges[-1]), m - 1))
    return sa.case(*whens, else_=m)


def count_statements(
    source: Any,
    features: Sequence[FeatureBins],
    conditions: Sequence[ColumnElement[bool]],
    dialect: str,
) -> list[Any]:
    """The statements whose rows are (feature index, bucket, n).

    One ``UNION ALL`` of every numeric feature's ``GROUP BY`` and the ``COUNT(*)`` (integer
    buckets throughout), then one ``GROUP BY`` per categorical feature: its raw values keep their
    own SQL type (a UNION would force one type on all of them and change their labels).
    """
    numeric: list[Any] = [
        sa.select(
            sa.literal(_ROWS).label("feature"), sa.literal(0).label("bucket"), sa.func.count()
        )
        .select_from(source)
        .where(*conditions)
    ]
    categorical: list[Any] = []
    for index, feature in enumerate(features):
        column = source.c[feature.name]
        if isinstance(feature.bins, NumericBins):
            key: ColumnElement[Any] = bucket_expression(column, feature.bins, dialect)
        else:
            key = column
        # GROUP BY the subquery's column, not the CASE again: PostgreSQL would not see two
        # copies of an expression with bound edges as the same expression.
        keyed = sa.select(key.label("bucket")).select_from(source).where(*conditions)
        inner = keyed.subquery(f"f{index}")
        branch = sa.select(
            sa.literal(index).label("feature"), inner.c.bucket, sa.func.count().label("n")
        ).group_by(inner.c.bucket)
        if isinstance(feature.bins, NumericBins):
            numeric.append(branch)
        else:
            categorical.append(branch)
    first: Any = numeric[0] if len(numeric) == 1 else sa.union_all(*numeric)
    return [first, *categorical]


def counts_from_rows(features: Sequence[FeatureBins], rows: Sequence[Sequence[Any]]) -> Counts:
    """Each feature's histogram, and the row count, from the statements' result rows.

    Categorical buckets are raw values: missing ones (NULL, NaN) go to ``__missing__`` and the
    others are named by the engine's :func:`~driftwatch.engine.category_label`, exactly as the
    in-process path names them.
    """
    numeric: dict[int, np.ndarray] = {}
    labelled: dict[int, tuple[dict[str, int], int]] = {}
    n_rows = 0
    for index, bucket, n in rows:
        index, n = int(index), int(n)
        if index == _ROWS:
            n_rows = n
            continue
        bins = features[index].bins
        if isinstance(bins, NumericBins):
            counts = numeric.setdefault(index, np.zeros(bins.n_bins, dtype=np.int64))
            counts[int(bucket)] += n
            continue
        by_label, missing = labelled.get(index, ({}, 0))
        if is_missing(bucket):
            missing += n
        else:
            label = category_label(bucket)
            by_label[label] = by_label.get(label, 0) + n
        labelled[index] = (by_label, missing)
    histograms: dict[str, Histogram] = {}
    for index, feature in enumerate(features):
        bins = feature.bins
        if isinstance(bins, NumericBins):
            counted = numeric.get(index, np.zeros(bins.n_bins, dtype=np.int64))
        else:
            assert isinstance(bins, CategoricalBins)
            counted = bins.count_labels(*labelled.get(index, ({}, 0)))
        histograms[feature.name] = Histogram(bins, counted)
    return Counts(histograms, {}, n_rows)
