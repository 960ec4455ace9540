"""driftwatch benchmark: the engine against the naive numpy way, whole runs, memory and I/O floors.

    python benchmarks/bench.py [--rows 1000000] [--large-rows 5000000] [--quick] [--pg-url URL]

Generates a seeded reference + live pair as Parquet under ``benchmarks/data/`` (20 float64
features — normal, lognormal, uniform, bimodal, four of them with 1 % NaN — and 5 string
categoricals with 5–50 Zipf-like categories; 6 features drift in the live data), then prints one
Markdown table, every figure measured in this run:

- engine throughput (cells/s) for quantile bins, uniform bins and categoricals, against the naive
  way (per column ``np.searchsorted`` + ``np.bincount``; ``Series.value_counts`` for categories)
  on the same in-memory arrays, as a ratio;
- the memory-bandwidth floor: one reduction pass (``sum``) over the same float64 data;
- whole ``driftwatch run`` wall time and peak RSS (from the OS, per subprocess) on the Parquet
  files at ``--rows`` and ``--large-rows``: with a fresh database (the reference is fitted) and
  with a stored reference profile (the scheduled case: only the live data is read and binned);
- the I/O floor: a bare ``pyarrow`` read of the same columns, interpreter start included;
- with ``--pg-url``: a 1M-row PostgreSQL live table counted with ``pushdown: true`` against
  fetch-and-bin.

``--quick`` uses 100k / 500k rows and fewer repetitions (under a minute on a CI machine).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"
sys.path.insert(0, str(ROOT))

NUMERIC = [f"x{i:02d}" for i in range(20)]
CATEGORICAL = [f"c{i}" for i in range(5)]
SHAPES = ["normal", "lognormal", "uniform", "bimodal"]
WITH_NAN = {"x03", "x07", "x11", "x15"}
DRIFTED = {"x00", "x05", "x10", "x15", "c1", "c3"}
CATEGORY_COUNTS = [5, 10, 20, 35, 50]
ROW_GROUP = 250_000


# --- data ---------------------------------------------------------------------------------------


def _numeric(rng: np.random.Generator, shape: str, n: int, drift: bool) -> np.ndarray:
    shift = 0.3 if drift else 0.0
    if shape == "normal":
        return rng.normal(shift, 1.0 + shift, n)
    if shape == "lognormal":
        return rng.lognormal(shift, 1.0, n)
    if shape == "uniform":
        return rng.uniform(0.0 + shift, 1.0 + shift, n)
    which = rng.random(n) < (0.3 + shift)
    return np.where(which, rng.normal(-2.0, 0.5, n), rng.normal(2.0, 0.7, n))


def _categorical(rng: np.random.Generator, k: int, n: int, drift: bool) -> pa.Array:
    weights = 1.0 / np.arange(1, k + 1) ** 1.1
    if drift:
        weights = weights[::-1].copy()
    codes = rng.choice(k, size=n, p=weights / weights.sum())
    labels = pa.array([f"cat_{j:02d}" for j in range(k)])
    return pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), labels).cast(pa.string())


def _columns(rng: np.random.Generator, n: int, live: bool, numeric: list[str]) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    for i, name in enumerate(numeric):
        x = _numeric(rng, SHAPES[i % 4], n, live and name in DRIFTED)
        if name in WITH_NAN:
            x[rng.random(n) < 0.01] = np.nan
        columns[name] = pa.array(x)
    for name, k in zip(CATEGORICAL, CATEGORY_COUNTS, strict=True):
        columns[name] = _categorical(rng, k, n, live and name in DRIFTED)
    return columns


def write_table(
    path: Path, rows: int, seed: int, live: bool, layout: str, numeric: list[str]
) -> None:
    """Write one seeded table of ``rows`` rows.

    ``layout="small"`` writes row groups of 250k rows; ``layout="default"`` writes the whole table
    with ``pq.write_table``'s default row groups (1Mi rows: what ``pandas.to_parquet`` produces).
    """
    rng = np.random.default_rng(seed)
    if layout == "default":
        pq.write_table(pa.table(_columns(rng, rows, live, numeric)), path)
        return
    writer = None
    for start in range(0, rows, ROW_GROUP):
        table = pa.table(_columns(rng, min(ROW_GROUP, rows - start), live, numeric))
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=ROW_GROUP)
    assert writer is not None
    writer.close()


def wide_numeric(features: int) -> list[str]:
    return [f"x{i:03d}" for i in range(features)]


def dataset(rows: int, layout: str = "default", features: int = 20) -> tuple[Path, Path]:
    """The reference and live Parquet files of ``rows`` rows (generated once, then reused)."""
    DATA.mkdir(parents=True, exist_ok=True)
    numeric = NUMERIC if features == 20 else wide_numeric(features)
    tag = f"{rows}-{layout}" + ("" if features == 20 else f"-{features}")
    ref, live = DATA / f"reference-{tag}.parquet", DATA / f"live-{tag}.parquet"
    for path, seed, is_live in ((ref, 1, False), (live, 2, True)):
        if not path.exists() or pq.ParquetFile(path).metadata.num_rows != rows:
            write_table(path, rows, seed, is_live, layout, numeric)
    return ref, live


def write_config(
    tag: str, ref: Path, live: Path, database: Path, numeric: list[str] = NUMERIC
) -> Path:
    """A driftwatch config monitoring every feature of the pair, with the default rules."""
    import yaml

    config = {
        "database": f"sqlite:///{database}",
        "monitors": [
            {
                "name": "bench",
                "reference": {"type": "parquet", "path": str(ref)},
                "live": {"type": "parquet", "path": str(live)},
                "features": {"numeric": numeric, "categorical": CATEGORICAL},
            }
        ],
    }
    path = DATA / f"bench-{tag}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


# --- measuring ----------------------------------------------------------------------------------


def compile_package() -> None:
    """Write driftwatch's and its migrations' bytecode, as ``pip install`` does for a wheel.

    A checkout run with ``PYTHONDONTWRITEBYTECODE=1`` (set on some CI machines and this one) never
    caches it, so each measured process would compile every driftwatch module from source
    (~0.1 s), which no installed copy does; the libraries compared with are compiled already.
    """
    import compileall

    for folder in ("driftwatch", "migrations"):
        compileall.compile_dir(ROOT / folder, quiet=1)


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    """The fastest of ``repeat`` timed calls, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


MEASURE_SCRIPT = """
import json, resource, subprocess, sys, time
command = json.loads(sys.argv[1])
start = time.perf_counter()
done = subprocess.run(command, capture_output=True, text=True, check=False)
wall = time.perf_counter() - start
if done.returncode not in (0, 1):
    sys.stderr.write(done.stdout + done.stderr)
    raise SystemExit(f"{command} exited {done.returncode}")
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
print(json.dumps({"seconds": wall, "peak_mib": peak}))
"""


def measure_child(command: list[str]) -> dict[str, float]:
    """Run ``command`` under a fresh measuring process: wall seconds and its peak RSS (MiB).

    The measuring process imports only the standard library: a child's peak RSS counts the
    pages it shares with its parent between fork and exec, so a parent that had imported numpy
    and pandas (~110 MiB) would put a floor under every figure.
    """
    probe = [sys.executable, "-c", MEASURE_SCRIPT, json.dumps(command)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(probe, check=True, capture_output=True, text=True, env=env, cwd=ROOT)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


READ_SCRIPT = (
    "import pyarrow.parquet as pq, sys; cols = sys.argv[1].split(','); "
    "[pq.read_table(p, columns=cols) for p in sys.argv[2:]]"
)
STACK_IMPORTS = "import sqlalchemy, sqlalchemy.dialects.sqlite, pydantic, yaml"
"""What any run that stores its results must import on this design, whatever driftwatch does:
SQLAlchemy's core with the SQLite dialect (the store), pydantic and PyYAML (the config)."""
STACK_READ_SCRIPT = f"{STACK_IMPORTS}; {READ_SCRIPT}"
"""The stack floor: the bare read in a process that first imports :data:`STACK_IMPORTS`. The
distance from the I/O floor to it is start-up that no change inside driftwatch can remove."""


def whole_runs(rows: int, layout: str, features: int, repeat: int) -> dict[str, dict[str, float]]:
    """Fresh-database and stored-profile ``driftwatch run`` on one pair, and its I/O floors."""
    ref, live = dataset(rows, layout, features)
    numeric = NUMERIC if features == 20 else wide_numeric(features)
    tag = f"{rows}-{layout}-{features}"
    database = DATA / f"bench-{tag}.db"
    config = write_config(tag, ref, live, database, numeric)
    command = [sys.executable, "-m", "driftwatch", "run", "--config", str(config)]
    fresh, stored = [], []
    for _ in range(repeat):
        database.unlink(missing_ok=True)
        fresh.append(measure_child(command))  # fits the reference profile and stores it
        stored.append(measure_child(command))  # reuses it: only live data is read and binned
    database.unlink(missing_ok=True)
    columns = ",".join(numeric + CATEGORICAL)
    read = [sys.executable, "-c", READ_SCRIPT, columns]
    read_both = [measure_child([*read, str(ref), str(live)]) for _ in range(repeat)]
    read_live = [measure_child([*read, str(live)]) for _ in range(repeat)]
    stack = [sys.executable, "-c", STACK_READ_SCRIPT, columns]
    stack_both = [measure_child([*stack, str(ref), str(live)]) for _ in range(repeat)]
    stack_live = [measure_child([*stack, str(live)]) for _ in range(repeat)]
    start = [measure_child([sys.executable, "-c", "pass"]) for _ in range(repeat)]
    return {
        "fresh": best(fresh),
        "stored": best(stored),
        "read_both": best(read_both),
        "read_live": best(read_live),
        "stack_both": best(stack_both),
        "stack_live": best(stack_live),
        "interpreter": best(start),
    }


def best(runs: list[dict[str, float]]) -> dict[str, float]:
    """The fastest run (its own peak RSS with it)."""
    return min(runs, key=lambda r: r["seconds"])


def scheduled(rows: int, windows: int) -> dict[str, float]:
    """Per-window cost inside one running process with a stored profile (start-up excluded)."""
    ref, live = dataset(rows)
    tag = f"{rows}-scheduled"
    database = DATA / f"bench-{tag}.db"
    database.unlink(missing_ok=True)
    config = write_config(tag, ref, live, database, NUMERIC)
    probe = [sys.executable, __file__, "--scheduled", str(config), str(windows)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(probe, check=True, capture_output=True, text=True, env=env, cwd=ROOT)
    database.unlink(missing_ok=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _scheduled(config: str, windows: int) -> None:
    """(Inside the measuring process.) One fitting run, then ``windows`` timed runs.

    The peaks are the OS's high-water mark of this process (VmHWM), reset first: it would
    otherwise start at the benchmark parent's RSS, which this process was forked from.
    """
    with open("/proc/self/clear_refs", "w") as reset:
        reset.write("5")
    import driftwatch

    start = time.perf_counter()
    driftwatch.run_monitor(config, "bench")  # fits and stores the reference profile
    first = time.perf_counter() - start
    fit_peak = _high_water_mib()
    times = []
    for _ in range(windows):
        start = time.perf_counter()
        driftwatch.run_monitor(config, "bench")  # the stored profile: live data only
        times.append(time.perf_counter() - start)
    peak = _high_water_mib()
    times.sort()
    result = {
        "first": first,
        "median": times[len(times) // 2],
        "min": times[0],
        "fit_peak_mib": fit_peak,
        "peak_mib": peak,
    }
    print(json.dumps(result))


def _high_water_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def engine_throughput(rows: int, repeat: int) -> dict[str, float]:
    """Cells/s of the engine and of the naive way on the same in-memory live arrays."""
    from driftwatch.engine import fit_categorical_bins, fit_numeric_bins
    from driftwatch.engine.parallel import run_all, thread_count
    from driftwatch.engine.slots import count_by_search

    ref_path, live_path = dataset(rows)
    ref = pq.read_table(ref_path).to_pandas()
    live = pq.read_table(live_path).to_pandas()
    ref_x = [ref[c].to_numpy() for c in NUMERIC]
    live_x = [live[c].to_numpy() for c in NUMERIC]
    cells = rows * len(NUMERIC)
    out: dict[str, float] = {"threads": float(thread_count())}

    for strategy in ("quantile", "uniform"):
        bins = [fit_numeric_bins(x, strategy=strategy, bins=10) for x in ref_x]
        edges = [np.asarray(b.edges) for b in bins]

        def naive(edges: list[np.ndarray] = edges) -> None:
            for e, x in zip(edges, live_x, strict=True):
                np.bincount(np.searchsorted(e, x), minlength=e.size + 1)

        def engine(bins: list[Any] = bins) -> None:
            for f in run_all(partial_count(b, x) for b, x in zip(bins, live_x, strict=True)):
                f.result()

        for b, e, x in zip(bins, edges, live_x, strict=True):  # the fast path's exact answer
            assert np.array_equal(b.count(x), count_by_search(x, e))
        out[f"{strategy}_naive"] = cells / best_of(repeat, naive)
        out[f"{strategy}_engine"] = cells / best_of(repeat, engine)

    def naive_fit_and_count() -> None:  # the "plain numpy script", per column
        for r, x in zip(ref_x, live_x, strict=True):
            e = np.quantile(r[np.isfinite(r)], np.linspace(0, 1, 11))
            np.bincount(np.searchsorted(e, r), minlength=12)
            np.bincount(np.searchsorted(e, x), minlength=12)

    out["naive_script_seconds"] = best_of(1, naive_fit_and_count)
    cat_cells = rows * len(CATEGORICAL)
    cat_bins = [fit_categorical_bins(ref[c].to_numpy()) for c in CATEGORICAL]
    series = [live[c] for c in CATEGORICAL]

    def cat_naive() -> None:
        for s in series:
            s.value_counts(dropna=False)

    def cat_engine() -> None:
        jobs = [partial_codes(b, s) for b, s in zip(cat_bins, series, strict=True)]
        for f in run_all(jobs):
            f.result()

    out["categorical_naive"] = cat_cells / best_of(repeat, cat_naive)
    out["categorical_engine"] = cat_cells / best_of(repeat, cat_engine)
    out["bandwidth"] = cells / best_of(repeat, lambda: [x.sum() for x in live_x])
    return out


def partial_count(bins: Any, values: np.ndarray) -> Callable[[], np.ndarray]:
    return lambda: bins.count(values)


def partial_codes(bins: Any, series: pd.Series) -> Callable[[], np.ndarray]:
    from driftwatch.sources.columns import category_counts

    return lambda: bins.count_labels(*category_counts(series))


def pushdown_row(pg_url: str, rows: int, repeat: int) -> dict[str, float]:
    """Live counts of a ``rows``-row PostgreSQL table: pushdown against fetch-and-bin."""
    import sqlalchemy as sa

    from driftwatch.config import SqlSourceConfig
    from driftwatch.engine import fit_categorical_bins, fit_numeric_bins
    from driftwatch.sources import open_source
    from driftwatch.sources.counting import FeatureBins

    ref_path, live_path = dataset(rows)
    ref = pq.read_table(ref_path).to_pandas()
    table = f"bench_live_{rows}"
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        exists = conn.execute(sa.text("SELECT to_regclass(:t)"), {"t": table}).scalar()
        count = conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() if exists else 0
    if count != rows:
        _load_pg(engine, table, live_path)
    features = [
        FeatureBins(c, "numeric", fit_numeric_bins(ref[c].to_numpy(), bins=10)) for c in NUMERIC
    ] + [
        FeatureBins(c, "categorical", fit_categorical_bins(ref[c].to_numpy())) for c in CATEGORICAL
    ]
    results: dict[str, float] = {}
    for pushdown in (True, False):
        config = SqlSourceConfig(type="sql", url=pg_url, table=table, pushdown=pushdown)
        source = open_source(config)

        def run(source: Any = source) -> None:
            source.count(features, chunk_rows=250_000)  # in the database, or fetched and binned

        results["pushdown" if pushdown else "fetch"] = best_of(repeat, run)
    engine.dispose()
    return results


def _load_pg(engine: Any, table: str, path: Path) -> None:
    frame = pq.read_table(path).to_pandas()
    columns = ", ".join(
        [f"{c} double precision" for c in NUMERIC] + [f"{c} text" for c in CATEGORICAL]
    )
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(f"CREATE TABLE {table} ({columns})")
        names = ", ".join(NUMERIC + CATEGORICAL)
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in frame.itertuples(index=False):
                copy.write_row(row)
        cursor.execute(f"ANALYZE {table}")
        raw.commit()
    finally:
        raw.close()


# --- report -------------------------------------------------------------------------------------


def _rate(value: float) -> str:
    return f"{value / 1e6:,.0f} M cells/s"


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores, {mem:.0f} GiB RAM, {platform.platform()}, Python "
        f"{platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"pyarrow {pa.__version__}"
    )


NAIVE_SCRIPT = """
import sys, numpy as np, pandas as pd
cols = sys.argv[1].split(","); ref = pd.read_parquet(sys.argv[2], columns=cols)
live = pd.read_parquet(sys.argv[3], columns=cols)
for c in cols:
    if ref[c].dtype.kind == "f":
        r, x = ref[c].to_numpy(), live[c].to_numpy()
        e = np.quantile(r[np.isfinite(r)], np.linspace(0, 1, 11))
        np.bincount(np.searchsorted(e, r), minlength=12)
        np.bincount(np.searchsorted(e, x), minlength=12)
    else:
        ref[c].value_counts(dropna=False); live[c].value_counts(dropna=False)
"""

NANNYML_SCRIPT = """
import sys, pandas as pd, nannyml as nml
cols = sys.argv[1].split(","); ref = pd.read_parquet(sys.argv[2], columns=cols)
live = pd.read_parquet(sys.argv[3], columns=cols)
calc = nml.UnivariateDriftCalculator(column_names=cols, chunk_number=1,
    continuous_methods=["jensen_shannon"], categorical_methods=["jensen_shannon"])
calc.fit(ref); calc.calculate(live)
"""

EVIDENTLY_SCRIPT = """
import sys, pandas as pd
from evidently import Report
from evidently.metrics import ValueDrift
cols = sys.argv[1].split(","); ref = pd.read_parquet(sys.argv[2], columns=cols)
live = pd.read_parquet(sys.argv[3], columns=cols)
report = Report([ValueDrift(column=c, method="jensenshannon") for c in cols])
report.run(current_data=live, reference_data=ref)
"""


def whole_process(python: str, script: str, rows: int, repeat: int) -> dict[str, float]:
    """Best of ``repeat`` runs of ``script`` under ``python`` on the default-layout pair."""
    ref, live = dataset(rows)
    command = [python, "-c", script, ",".join(NUMERIC + CATEGORICAL), str(ref), str(live)]
    return best([measure_child(command) for _ in range(repeat)])


def progress(message: str) -> None:
    """A line on stderr as each part finishes (the table comes at the end, on stdout)."""
    print(message, file=sys.stderr, flush=True)


def _cell(run: dict[str, float], floor: float) -> str:
    return f"{run['seconds']:.2f} s, peak {run['peak_mib']:.0f} MiB | {run['seconds'] / floor:.2f}×"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--large-rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="100k/500k rows, fewer repeats")
    parser.add_argument("--pg-url", default=None, help="PostgreSQL URL for the pushdown row")
    parser.add_argument("--nannyml", default=None, help="a Python with nannyml installed")
    parser.add_argument("--evidently", default=None, help="a Python with evidently installed")
    parser.add_argument("--scheduled", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scheduled:
        _scheduled(args.scheduled[0], int(args.scheduled[1]))
        return
    rows, large = (100_000, 500_000) if args.quick else (args.rows, args.large_rows)
    wide_rows = 20_000 if args.quick else 200_000
    repeat = 2 if args.quick else args.repeat
    started = time.perf_counter()
    compile_package()
    load_start = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    engine = engine_throughput(rows, repeat)
    cases = [
        (rows, "default", 20),
        (rows, "small", 20),
        (large, "default", 20),
        (large, "small", 20),
    ]
    cases.append((wide_rows, "default", 300))
    progress(f"engine throughput done: {engine}")
    runs = {}
    for case in cases:
        runs[case] = whole_runs(*case, repeat=repeat)
        progress(f"whole runs {case}: {runs[case]}")
    sched = scheduled(rows, 5)
    progress(f"scheduled: {sched}")
    startup = start_up(rows, repeat)
    progress(f"start-up: {startup}")
    naive = whole_process(sys.executable, NAIVE_SCRIPT, rows, repeat)
    progress(f"naive script: {naive}")
    others = {}
    if args.nannyml:
        others["NannyML (UnivariateDriftCalculator, JS, 25 columns)"] = whole_process(
            args.nannyml, NANNYML_SCRIPT, rows, 1
        )
    if args.evidently:
        others["Evidently (Report of 25 × ValueDrift, JS)"] = whole_process(
            args.evidently, EVIDENTLY_SCRIPT, rows, 1
        )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        f"machine: {machine()}",
        f"load average (1, 5, 15 min) at the start: {load_start}; at the end: {load}",
        f"repeats: best of {repeat}; whole benchmark {time.perf_counter() - started:.0f} s",
        "bytecode: driftwatch's compiled before measuring, as `pip install` does",
        "",
        "| measurement | value | ratio |",
        "|---|---|---|",
    ]
    threads = int(engine["threads"])
    for kind in ("quantile", "uniform", "categorical"):
        eng, slow = engine[f"{kind}_engine"], engine[f"{kind}_naive"]
        lines.append(
            f"| {kind} counting, engine ({threads} threads) vs naive, {rows:,} × "
            f"{20 if kind != 'categorical' else 5} | {_rate(eng)} vs {_rate(slow)} "
            f"| **{eng / slow:.1f}×** naive |"
        )
    for (n, layout, features), r in runs.items():
        floor, live_floor = r["read_both"]["seconds"], r["read_live"]["seconds"]
        what = f"{n:,} rows × {features + 5}, {layout} row groups"
        lines += [
            f"| I/O floor: bare pyarrow read of both files + interpreter, {what} "
            f"| {_cell(r['read_both'], floor)} floor |",
            f"| I/O floor: bare pyarrow read of the live file + interpreter, {what} "
            f"| {_cell(r['read_live'], live_floor)} live floor |",
            f"| stack floor: the bare read of both files after `{STACK_IMPORTS}`, {what} "
            f"| {_cell(r['stack_both'], floor)} floor |",
            f"| stack floor: the bare read of the live file after `{STACK_IMPORTS}`, {what} "
            f"| {_cell(r['stack_live'], live_floor)} live floor |",
            f"| `driftwatch run`, fresh database (reference fitted), {what} "
            f"| {_cell(r['fresh'], floor)} floor |",
            f"| `driftwatch run`, stored reference profile, {what} "
            f"| {_cell(r['stored'], live_floor)} live floor |",
        ]
    small = runs[(rows, "default", 20)]
    floor, live_floor = small["read_both"]["seconds"], small["read_live"]["seconds"]
    lines.append(
        f"| naive script, whole process (pandas read, quantile edges, searchsorted + bincount, "
        f"value_counts), {rows:,} rows | {_cell(naive, floor)} floor |"
    )
    for name, run in others.items():
        lines.append(f"| {name}, whole process, {rows:,} rows | {_cell(run, floor)} floor |")
    lines.append(
        f"| scheduled process: per-window `run_monitor` with the stored profile inside one "
        f"process (start-up excluded), {rows:,} rows, median of 5 | {sched['median']:.2f} s "
        f"(min {sched['min']:.2f} s; first, fitting run {sched['first']:.2f} s), process peak "
        f"{sched['peak_mib']:.0f} MiB | {sched['median'] / live_floor:.2f}× live floor |"
    )
    for layout in ("default", "small"):
        big = runs[(large, layout, 20)]
        one = runs[(rows, layout, 20)]
        for case in ("fresh", "stored"):
            lines.append(
                f"| peak RSS {large:,} / {rows:,} rows, {case}, {layout} row groups "
                f"| {big[case]['peak_mib']:.0f} / {one[case]['peak_mib']:.0f} MiB "
                f"| {big[case]['peak_mib'] / one[case]['peak_mib']:.2f}× |"
            )
    lines.append(
        f"| interpreter start (`python -c pass`) | {small['interpreter']['seconds']:.2f} s, "
        f"peak {small['interpreter']['peak_mib']:.0f} MiB | |"
    )
    for name, run in startup.items():
        lines.append(
            f"| `driftwatch {name}` (start-up) | {run['seconds']:.2f} s, peak "
            f"{run['peak_mib']:.0f} MiB | {run['seconds'] / small['interpreter']['seconds']:.1f}× "
            "interpreter |"
        )
    if args.pg_url:
        pg = pushdown_row(args.pg_url, rows, repeat)
        lines.append(
            f"| PostgreSQL live table, {rows:,} rows × 25: pushdown vs fetch-and-bin "
            f"| {pg['pushdown']:.2f} s vs {pg['fetch']:.2f} s "
            f"| **{pg['fetch'] / pg['pushdown']:.1f}×** |"
        )
    lines += ["", *targets(runs, rows, large, others)]
    print("\n".join(lines))


def start_up(rows: int, repeat: int) -> dict[str, dict[str, float]]:
    """``driftwatch --version``, ``--help`` and ``validate`` (of the 1M-row Parquet config)."""
    ref, live = dataset(rows)
    config = write_config("startup", ref, live, DATA / "bench-startup.db")
    base = [sys.executable, "-m", "driftwatch"]
    commands = {
        "--version": [*base, "--version"],
        "--help": [*base, "--help"],
        "validate --config <parquet config>": [*base, "validate", "--config", str(config)],
    }
    return {n: best([measure_child(c) for _ in range(repeat)]) for n, c in commands.items()}


def targets(
    runs: dict[tuple[int, str, int], dict[str, dict[str, float]]],
    rows: int,
    large: int,
    others: dict[str, dict[str, float]],
) -> list[str]:
    """The issue's "done when" figures from this run, each with whether it is met."""

    def row(what: str, value: float, limit: float, unit: str, at_least: bool = False) -> str:
        met = value >= limit if at_least else value <= limit
        sign = "≥" if at_least else "≤"
        return f"| {what} | {value:.2f}{unit} | {sign} {limit:g}{unit} | {'yes' if met else 'no'} |"

    one = runs[(rows, "default", 20)]
    fresh, stored = one["fresh"], one["stored"]
    lines = [
        "| target (default row groups unless said) | measured | limit | met? |",
        "|---|---|---|---|",
        row(
            f"fresh run / bare read of both files, {rows:,} rows",
            fresh["seconds"] / one["read_both"]["seconds"],
            1.5,
            "×",
        ),
        row(
            f"stored-profile run / bare read of the live file, {rows:,} rows",
            stored["seconds"] / one["read_live"]["seconds"],
            1.5,
            "×",
        ),
        row(
            f"stack floor (no driftwatch code) / bare read of both files, {rows:,} rows",
            one["stack_both"]["seconds"] / one["read_both"]["seconds"],
            1.5,
            "×",
        ),
        row(
            f"stack floor (no driftwatch code) / bare read of the live file, {rows:,} rows",
            one["stack_live"]["seconds"] / one["read_live"]["seconds"],
            1.5,
            "×",
        ),
        row(f"peak RSS, fresh run, {rows:,} rows", fresh["peak_mib"], 450, " MiB"),
        row(f"peak RSS, stored-profile run, {rows:,} rows", stored["peak_mib"], 450, " MiB"),
    ]
    for layout in ("default", "small"):
        for case in ("fresh", "stored"):
            big, small = runs[(large, layout, 20)][case], runs[(rows, layout, 20)][case]
            lines.append(
                row(
                    f"peak RSS {large:,} / {rows:,} rows, {case}, {layout} row groups",
                    big["peak_mib"] / small["peak_mib"],
                    1.2,
                    "×",
                )
            )
    goals = {"NannyML": 25.0, "Evidently": 15.0}
    for name, run in others.items():
        goal = next(v for k, v in goals.items() if name.startswith(k))
        lines.append(
            row(
                f"{name.split(' ')[0]} whole process / driftwatch fresh run, {rows:,} rows",
                run["seconds"] / fresh["seconds"],
                goal,
                "×",
                at_least=True,
            )
        )
    return lines


if __name__ == "__main__":
    main()
