"""A Parquet file in one huge row group is counted in memory bounded by ``chunk_rows``.

pyarrow's default row group is 1Mi rows (what ``pandas.to_parquet`` writes); decoding one whole
would hold every column of it at once. The source streams inside the row group instead. The
measure is the peak of pyarrow's memory pool (every decoded buffer lives there) in a fresh
process, against the same process reading the same file whole, so the test depends neither on
the machine nor on what the interpreter's imports left in the OS's high-water mark.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.helpers import printed_json, run_python

ROWS = 2_000_000
COLUMNS = 8

pytestmark = pytest.mark.slow

PROBE = """
import json, sys
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from driftwatch.config import ParquetSourceConfig
from driftwatch.engine import fit_numeric_bins
from driftwatch.sources import open_source
from driftwatch.sources.counting import FeatureBins
path, mode, columns = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
bins = fit_numeric_bins(np.linspace(-3, 3, 1000), bins=10)
pool = pa.default_memory_pool()
before = pool.max_memory()
if mode == "whole":
    table = pq.read_table(path, columns=columns)
    rows = table.num_rows
else:
    source = open_source(ParquetSourceConfig(type="parquet", path=path))
    counts = source.count([FeatureBins(c, "numeric", bins) for c in columns], chunk_rows=50_000)
    rows = counts.n_rows
after = pool.max_memory()
print(json.dumps({"rows": rows, "growth_mib": (after - before) / 2**20}))
"""


def peak_growth(path: Path, mode: str, columns: list[str]) -> dict[str, float]:
    done = run_python("-c", PROBE, str(path), mode, ",".join(columns), timeout=600, check=True)
    return dict(printed_json(done))


def test_one_row_group_file_is_counted_in_a_fraction_of_its_decoded_size(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    names = [f"x{i}" for i in range(COLUMNS)]
    path = tmp_path / "one-group.parquet"
    table = pa.table({n: rng.normal(size=ROWS) for n in names})
    pq.write_table(table, path, row_group_size=ROWS)
    del table
    assert pq.ParquetFile(path).metadata.num_row_groups == 1
    whole = peak_growth(path, "whole", names)
    streamed = peak_growth(path, "count", names)
    assert streamed["rows"] == whole["rows"] == ROWS
    decoded_mib = ROWS * COLUMNS * 8 / 2**20  # 122 MiB of float64
    # The whole read holds at least half of the decoded size in the pool, the streamed count a
    # fraction of that.
    assert whole["growth_mib"] > 0.5 * decoded_mib, whole
    assert streamed["growth_mib"] < 0.3 * whole["growth_mib"], (streamed, whole)
