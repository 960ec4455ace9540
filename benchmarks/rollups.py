"""Benchmark: roll-ups and dynamic references from the store, as the stored history grows.

Stores N daily windows of one monitor (20 features × 12 bins, through ``Store.save_run``, the
real write path) in a scratch database, then times what ``driftwatch compare`` and a monitor
with a dynamic reference read from it: the roll-up of the last 30 days, of the whole history,
and the reference of the next window under ``rolling`` (7 windows) and ``expanding``. Prints one
table row per N; none of these reads a row of data, only stored counts.

    PYTHONPATH=. python benchmarks/rollups.py                      # SQLite in a temp folder
    PYTHONPATH=. python benchmarks/rollups.py --database postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Not part of the test suite. With --database a scratch database is created on that server (and
dropped afterwards).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from driftwatch.engine import Bins, Histogram, fit_numeric_bins
from driftwatch.profile import Profile
from driftwatch.results import FeatureOutcome, RunOutcome
from driftwatch.store import Store
from driftwatch.store.rollups import dynamic_reference, rollup
from driftwatch.timeutil import TimeWindow

FEATURES, ROWS = 20, 1_000
T0 = datetime(2020, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)


@contextmanager
def scratch(server: str | None) -> Iterator[str]:
    if server is None:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    name = f"dw_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def fill(store: Store, windows: int) -> dict[str, Bins]:
    rng = np.random.default_rng(0)
    reference = rng.normal(size=10_000)
    bins = fit_numeric_bins(reference, strategy="quantile", bins=10)
    names = [f"f{i:02d}" for i in range(FEATURES)]
    profile = Profile({n: Histogram.of(reference, bins) for n in names}, {}, len(reference))
    profile_id = store.save_profile(
        monitor="bench", fingerprint="f", config_hash="h", source="bench",
        n_rows=len(reference), features=profile.to_json(), created_at=T0,
    )  # fmt: skip
    for i in range(windows):
        live = Histogram.of(rng.normal(0.001 * i, size=ROWS), bins)
        features = tuple(
            FeatureOutcome(n, "numeric", "ok", (), reference=profile.histograms[n], live=live)
            for n in names
        )
        store.save_run(
            RunOutcome(
                monitor="bench", window=TimeWindow(T0 + i * DAY, T0 + (i + 1) * DAY),
                status="succeeded", started_at=T0, finished_at=T0, duration_seconds=0.0,
                features=features, n_live=ROWS, profile_id=profile_id,
            )
        )  # fmt: skip
    return {n: bins for n in names}


def timed(call: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def measure(url: str, windows: int) -> list[float]:
    """Milliseconds of: the last 30 days' roll-up, the whole one, rolling:7 and expanding."""
    store = Store.open(url)
    try:
        bins = fill(store, windows)
        end = T0 + windows * DAY
        last30, whole = TimeWindow(end - 30 * DAY, end), TimeWindow(T0, end)
        return [
            timed(lambda: rollup(store, "bench", last30)),
            timed(lambda: rollup(store, "bench", whole)),
            timed(lambda: dynamic_reference(store, "bench", end, 7, bins, "rolling")),
            timed(lambda: dynamic_reference(store, "bench", end, None, bins, "expanding")),
        ]
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=None, help="a PostgreSQL server URL")
    parser.add_argument("--windows", type=int, nargs="+", default=[30, 365, 1825])
    args = parser.parse_args()
    print(f"{FEATURES} features x 12 bins per window; median of 5, milliseconds")
    print("| stored windows | roll-up, last 30 | roll-up, all | rolling:7 ref | expanding ref |")
    print("|---:|---:|---:|---:|---:|")
    for windows in args.windows:
        with scratch(args.database) as url:
            cells = measure(url, windows)
        print(f"| {windows:,} | " + " | ".join(f"{c:,.1f}" for c in cells) + " |")


if __name__ == "__main__":
    main()
