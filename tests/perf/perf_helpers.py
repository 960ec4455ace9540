"""Shared helpers of the performance-path tests: awkward data written to every kind of source.

Every test here compares a fast path (chunked reading, threads, SQL pushdown, Dask) with the plain
in-memory engine on the same rows, and asks for identical counts.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from driftwatch import parse_config
from driftwatch.engine import Histogram
from driftwatch.monitor import MonitorRunner
from driftwatch.results import RunOutcome

NUMERIC = ["x", "steps", "wide"]
CATEGORICAL = ["city", "code"]

SOURCE_KINDS = [
    "csv",
    "parquet-file",
    "parquet-dir",
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.postgresql),
    "dataframe",
]


def awkward_frame(rows: int, seed: int, *, drift: bool = False) -> pd.DataFrame:
    """Numbers with NaN and ±inf, a discrete column, and categories with missing and unseen ones.

    ``drift`` shifts the numbers (so some fall outside the reference range) and brings categories
    the reference never had.
    """
    rng = np.random.default_rng(seed)
    shift = 1.5 if drift else 0.0
    x = rng.normal(shift, 1.0, rows)
    x[rng.random(rows) < 0.05] = np.nan
    x[::97] = np.inf
    x[::89] = -np.inf
    steps = rng.integers(0, 4, rows).astype(np.float64) + (1 if drift else 0)
    wide = rng.lognormal(shift, 1.0, rows)
    cities = np.array(["oslo", "lima", "pune", "kyiv", "zz-new" if drift else "oslo"], dtype=object)
    city = cities[rng.integers(0, 5, rows)]
    city[rng.random(rows) < 0.03] = None
    code = rng.integers(0, 60 + (10 if drift else 0), rows)  # beyond top_k=50: pooled, unseen
    return pd.DataFrame(
        {
            "ts": pd.date_range("2024-01-01", periods=rows, freq="min"),
            "x": x,
            "steps": steps,
            "wide": wide,
            "city": city,
            "code": code,
        }
    )


def write_source(
    kind: str, frame: pd.DataFrame, folder: Path, name: str, db_url: str | None
) -> dict[str, Any]:
    """Store ``frame`` as ``kind`` and return the source's config block."""
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "csv":
        path = folder / f"{name}.csv"
        frame.to_csv(path, index=False)
        return {"type": "csv", "path": str(path)}
    if kind == "parquet-file":
        path = folder / f"{name}.parquet"
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=1234)
        return {"type": "parquet", "path": str(path)}
    if kind == "parquet-dir":
        directory = folder / name
        directory.mkdir()
        for part, rows in enumerate(np.array_split(np.arange(len(frame)), 3)):
            table = pa.Table.from_pandas(frame.iloc[rows], preserve_index=False)
            pq.write_table(table, directory / f"part-{part}.parquet", row_group_size=777)
        return {"type": "parquet", "path": str(directory)}
    if kind in ("sqlite", "postgresql"):
        assert db_url is not None
        table = f"dw_{name}_{uuid.uuid4().hex[:8]}"
        engine = sa.create_engine(db_url)
        try:
            frame.to_sql(table, engine, index=False)
        finally:
            engine.dispose()
        return {"type": "sql", "url": db_url, "table": table}
    assert kind == "dataframe"
    return {"type": "dataframe", "name": name}


def runner_for(
    reference: dict[str, Any],
    live: dict[str, Any],
    *,
    frames: dict[str, pd.DataFrame] | None = None,
    defaults: dict[str, Any] | None = None,
    binning: dict[str, Any] | None = None,
    features: dict[str, list[str]] | None = None,
) -> MonitorRunner:
    """A store-less runner of one monitor ``m`` watching every feature of :func:`awkward_frame`."""
    monitor: dict[str, Any] = {
        "name": "m",
        "reference": reference,
        "live": live,
        "features": features or {"numeric": NUMERIC, "categorical": CATEGORICAL},
        "thresholds": {
            "js": {"kind": "constant", "warn": 0.05, "critical": 0.1},
            "kl": {"kind": "constant", "warn": 0.1, "critical": 0.25},
        },
    }
    if binning is not None:
        monitor["binning"] = binning
    config = parse_config({"defaults": {"min_rows": 1, **(defaults or {})}, "monitors": [monitor]})
    return MonitorRunner(config, frames=frames)


def histograms(outcome: RunOutcome) -> dict[str, tuple[Histogram | None, Histogram | None]]:
    """Per feature: (reference, live) histograms of a computed run; fails on a failed run."""
    assert outcome.status == "succeeded", outcome.error
    return {f.name: (f.reference, f.live) for f in outcome.features}


def compute(runner: MonitorRunner) -> RunOutcome:
    return runner.compute(runner.config.monitor("m"))
