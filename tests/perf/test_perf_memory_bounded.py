"""Memory is bounded by ``chunk_rows`` (Dask: by the partition size) for every source.

Each case counts, in a fresh interpreter, the same columns of a dataset and of one four times
its size, and reads from the OS how far the process's peak RSS rose above its RSS before the
count (the high-water mark is reset through ``/proc/self/clear_refs`` first): the growth must
stay flat (at most a quarter more, plus a few MiB of allocator noise), where reading
the data whole would grow four-fold. The reference fit is measured the same way, with a
``reference_sample_rows`` below both sizes, so its sample is capped too. No timing is asserted.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from tests.helpers import printed_json, run_python

ROWS = 200_000
NUMERIC = [f"x{i}" for i in range(6)]
CHUNK_ROWS = 20_000
SAMPLE_ROWS = 50_000

pytestmark = pytest.mark.slow

PROBE = """
import json, sys
from driftwatch import parse_config
from driftwatch.config import resolve_features
from driftwatch.engine import fit_categorical_bins, fit_numeric_bins
from driftwatch.reference import fit_reference
from driftwatch.sources import open_source
from driftwatch.sources.counting import FeatureBins
import numpy as np

source_config, mode, numeric = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3].split(",")
chunk_rows, sample_rows = int(sys.argv[4]), int(sys.argv[5])
config = parse_config({"monitors": [{"name": "m", "reference": source_config,
    "live": source_config, "features": {"numeric": numeric, "categorical": ["c"]}}]})
monitor = config.monitors[0]
source = open_source(monitor.reference)
bins = fit_numeric_bins(np.linspace(-3, 3, 1000), bins=10)
features = [FeatureBins(c, "numeric", bins) for c in numeric]
features.append(FeatureBins("c", "categorical", fit_categorical_bins(np.array(["a", "b"]))))
source.count(features[:1], chunk_rows=1_000)  # warm up: imports, pools, the first buffers
def peak():  # the OS's high-water mark of this process's RSS (VmHWM), in MiB
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
with open("/proc/self/clear_refs", "w") as reset:  # the high-water mark restarts from now
    reset.write("5")
before = rss()
if mode == "count":
    rows = source.count(features, chunk_rows=chunk_rows).n_rows
else:
    fitted = fit_reference(source, resolve_features(config, monitor), chunk_rows=chunk_rows,
                           sample_rows=sample_rows)
    rows = fitted.n_rows
print(json.dumps({"rows": rows, "growth_mib": peak() - before}))
"""


def frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = {name: rng.normal(size=rows) for name in NUMERIC}
    data["c"] = rng.choice(np.array(["a", "b", "c", "d"], dtype=object), size=rows)
    return pd.DataFrame(data)


def write(kind: str, rows: int, folder: Path) -> dict[str, object]:
    """The dataset of ``rows`` rows as ``kind``, and its source config."""
    folder.mkdir(parents=True)
    data = frame(rows, seed=rows)
    if kind.startswith("parquet"):
        path = folder / "data.parquet"
        groups = rows if kind == "parquet-one-row-group" else 25_000
        pq.write_table(pa.Table.from_pandas(data, preserve_index=False), path, groups)
        return {"type": "parquet", "path": str(path)}
    if kind == "csv":
        path = folder / "data.csv"
        data.to_csv(path, index=False)
        return {"type": "csv", "path": str(path)}
    if kind == "sql":
        url = f"sqlite:///{folder / 'data.db'}"
        engine = sa.create_engine(url)
        try:
            data.to_sql("data", engine, index=False, chunksize=50_000)
        finally:
            engine.dispose()
        return {"type": "sql", "url": url, "table": "data"}
    assert kind == "dask"
    for part, rows_of_part in enumerate(np.array_split(np.arange(rows), rows // 25_000)):
        data.iloc[rows_of_part].to_parquet(folder / f"part-{part:03d}.parquet", index=False)
    return {"type": "dask", "path": str(folder), "format": "parquet"}


def growth(source: dict[str, object], mode: str) -> dict[str, float]:
    done = run_python(
        *("-c", PROBE, json.dumps(source), mode, ",".join(NUMERIC)),
        *(str(CHUNK_ROWS), str(SAMPLE_ROWS)),
        env={"DRIFTWATCH_THREADS": "2"},
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return dict(printed_json(done))


@pytest.mark.parametrize(
    ("kind", "mode"),
    [
        pytest.param("parquet-one-row-group", "count", id="parquet-one-row-group"),
        pytest.param("parquet-small-row-groups", "count", id="parquet-small-row-groups"),
        pytest.param("csv", "count", id="csv"),
        pytest.param("sql", "count", id="sql"),
        pytest.param("dask", "count", id="dask-partitions"),
        pytest.param("parquet-one-row-group", "fit", id="parquet-reference-fit"),
        pytest.param("csv", "fit", id="csv-reference-fit"),
    ],
)
def test_four_times_the_rows_take_no_more_memory(kind: str, mode: str, tmp_path: Path) -> None:
    small = growth(write(kind, ROWS, tmp_path / "small"), mode)
    large = growth(write(kind, 4 * ROWS, tmp_path / "large"), mode)
    assert small["rows"] == ROWS and large["rows"] == 4 * ROWS
    # Read whole, a CSV grows from 47 to 190 MiB here; streamed, the growths are 13 - 55 MiB and
    # the same at both sizes.
    assert large["growth_mib"] <= 1.25 * small["growth_mib"] + 8, (small, large)
