"""A wide CSV file: reading a few of its columns costs memory for those columns, not the file's.

pandas' C parser splits every field of a row whatever ``usecols`` says, so a parse of
``chunk_rows`` rows of a 5,000-column file held all 5,000 columns (reading 100 of them peaked at
917 MB). The read runs in a fresh interpreter, which reports how far its peak RSS rose above its
RSS once everything is imported (``VmHWM``: ``ru_maxrss`` would report at least the RSS of the
process that started it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
COLUMNS = 5_000
ROWS = 4_000

PROBE = """
import json, sys
from driftwatch.config import CsvSourceConfig
from driftwatch.engine import NumericBins
from driftwatch.sources import open_source
from driftwatch.sources.counting import FeatureBins

def status(key):  # MiB; VmHWM is this process's peak RSS (ru_maxrss keeps the parent's at exec)
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024

source = open_source(CsvSourceConfig(type="csv", path=sys.argv[1]))
bins = NumericBins(edges=tuple(float(x) for x in range(10)))
features = [FeatureBins(f"c{i}", "numeric", bins) for i in range(0, 5000, 50)]
source.columns()  # the header read and every import
before = status("VmRSS")
rows = source.count(features).n_rows
peak = status("VmHWM")
print(json.dumps({"rows": rows, "growth_mib": peak - before, "peak_mib": peak}))
"""


def write_wide_csv(path: Path, rows: int, columns: int) -> None:
    """``rows`` rows of one-digit numbers in ``columns`` columns ``c0`` … (written at once)."""
    rng = np.random.default_rng(0)
    cells = np.full((rows, 2 * columns), ord(","), dtype=np.uint8)
    cells[:, 0::2] = rng.integers(ord("0"), ord("9") + 1, (rows, columns), dtype=np.uint8)
    cells[:, -1] = ord("\n")
    header = ",".join(f"c{i}" for i in range(columns)) + "\n"
    path.write_bytes(header.encode() + cells.tobytes())


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_reading_100_of_5000_columns_stays_small(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    write_wide_csv(path, ROWS, COLUMNS)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    measured = json.loads(done.stdout.splitlines()[-1])
    assert measured["rows"] == ROWS
    # The whole file in one parse rose ~255 MiB (20M fields); a parse of ≤ 2M fields ~85 MiB,
    # most of it pyarrow's shape check. A generous bound, far from both.
    assert measured["growth_mib"] < 150, measured
    assert measured["peak_mib"] < 300, measured
