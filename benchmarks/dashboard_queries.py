"""Benchmark: the dashboard views on a large history, on PostgreSQL and SQLite, with the plans.

Creates a scratch database (on the PostgreSQL server, or a SQLite file in a temporary folder),
migrates it to head, fills it inside the database (``generate_series`` on PostgreSQL, a recursive
CTE on SQLite: no Python loop), then prints the plan and the median timing of the dashboard
questions. Exits 1 when a query reads feature_results without an index.

    PYTHONPATH=. python benchmarks/dashboard_queries.py postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    PYTHONPATH=. python benchmarks/dashboard_queries.py sqlite
    PYTHONPATH=. python benchmarks/dashboard_queries.py sqlite --shape 1m

Shapes: ``50k`` (default) is 50,000 runs (5 monitors × 10,000 windows) × 25 features × 2 metrics
= 2.5·10⁶ feature_results rows, the shape issue 17 measured; ``1m`` is 10 monitors × 1,000
windows × 50 features × 2 metrics = 10⁶ rows. Every 97th window is a failed run (no results).

Not part of the test suite: it takes ~1 min and, for PostgreSQL, needs a server.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from driftwatch.store.database import connect, upgrade

SHAPES = {  # monitors, windows, features, metrics
    "50k": (5, 10_000, 25, 2),
    "1m": (10, 1_000, 50, 2),
}

PG_FILL = """
INSERT INTO runs (id, monitor, window_start, window_end, status, trigger, started_at)
SELECT m * :windows + w + 1, 'monitor-' || m,
       TIMESTAMPTZ '2024-01-01' + w * INTERVAL '1 hour',
       TIMESTAMPTZ '2024-01-01' + (w + 1) * INTERVAL '1 hour',
       CASE WHEN w % 97 = 5 THEN 'failed' ELSE 'succeeded' END, 'schedule',
       TIMESTAMPTZ '2024-01-01' + (w + 1) * INTERVAL '1 hour'
FROM generate_series(0, :monitors - 1) m, generate_series(0, :windows - 1) w;
SELECT setval(pg_get_serial_sequence('runs', 'id'), (SELECT max(id) FROM runs));

INSERT INTO feature_results (run_id, monitor, window_start, window_end, feature, kind, metric,
                             value, unit, status, n_live)
SELECT r.id, r.monitor, r.window_start, r.window_end, 'feature-' || f, 'numeric',
       (ARRAY['js', 'kl'])[k + 1], random() * 0.2, (ARRAY['bits', 'nats'])[k + 1],
       'ok', 1000
FROM runs r, generate_series(0, :features - 1) f, generate_series(0, :metrics - 1) k
WHERE r.status = 'succeeded';
ANALYZE;
"""

SQLITE_FILL = """
WITH RECURSIVE m(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM m WHERE i + 1 < :monitors),
               w(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM w WHERE i + 1 < :windows)
INSERT INTO runs (id, monitor, window_start, window_end, status, trigger, started_at)
SELECT m.i * :windows + w.i + 1, 'monitor-' || m.i,
       datetime('2024-01-01', '+' || w.i || ' hours'),
       datetime('2024-01-01', '+' || (w.i + 1) || ' hours'),
       CASE WHEN w.i % 97 = 5 THEN 'failed' ELSE 'succeeded' END, 'schedule',
       datetime('2024-01-01', '+' || (w.i + 1) || ' hours')
FROM m, w;

WITH RECURSIVE f(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM f WHERE i + 1 < :features),
               k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < :metrics)
INSERT INTO feature_results (run_id, monitor, window_start, window_end, feature, kind, metric,
                             value, unit, status, n_live)
SELECT r.id, r.monitor, r.window_start, r.window_end, 'feature-' || f.i, 'numeric',
       CASE k.i WHEN 0 THEN 'js' ELSE 'kl' END, abs(random() % 1000) / 5000.0,
       CASE k.i WHEN 0 THEN 'bits' ELSE 'nats' END, 'ok', 1000
FROM runs r, f, k
WHERE r.status = 'succeeded';
ANALYZE;
"""

QUERIES = {
    "time series (30 days of one feature's js)": """
        SELECT window_end AS time, value FROM feature_timeseries
        WHERE monitor = 'monitor-3' AND feature = 'feature-7' AND metric = 'js'
          AND window_end >= '2024-01-10' AND window_end < '2024-02-09'
        ORDER BY window_end
    """,
    "latest, one monitor": """
        SELECT feature, metric, value, status FROM latest_feature_results
        WHERE monitor = 'monitor-3' ORDER BY feature, metric
    """,
    "latest, every monitor": """
        SELECT monitor, feature, metric, value, status FROM latest_feature_results
        ORDER BY monitor, feature, metric
    """,
    "drifting now, per monitor": """
        SELECT monitor, COUNT(DISTINCT CASE WHEN status IN ('warn', 'critical') THEN feature END)
        FROM latest_feature_results GROUP BY monitor ORDER BY monitor
    """,
}


def pg_plan(connection: sa.Connection, sql: str) -> tuple[list[str], float]:
    plan = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}").scalar_one()
    top = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
    nodes: list[str] = []

    def walk(node: dict[str, object], depth: int) -> None:
        label = str(node["Node Type"])
        if "Index Name" in node:
            label += f" using {node['Index Name']}"
        if "Relation Name" in node:
            label += f" on {node['Relation Name']}"
        label += f" (rows={node.get('Actual Rows')}, loops={node.get('Actual Loops')})"
        nodes.append("  " * depth + label)
        for child in node.get("Plans", []):  # type: ignore[attr-defined]
            walk(child, depth + 1)

    walk(top["Plan"], 0)
    return nodes, float(top["Execution Time"])


def sqlite_plan(connection: sa.Connection, sql: str) -> list[str]:
    rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
    depth: dict[int, int] = {0: -1}
    lines = []
    for node, parent, _unused, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + str(detail))
    return lines


def median_ms(connection: sa.Connection, sql: str, repeat: int = 7) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        connection.exec_driver_sql(sql).all()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A fresh database: a SQLite file, or a database created (and dropped) on the server."""
    if server_url == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    name = f"dw_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        url = sa.engine.make_url(server_url).set(database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("server_url", help="URL of a database on a PostgreSQL server, or sqlite")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="50k")
    args = parser.parse_args()
    monitors, windows, features, metrics = SHAPES[args.shape]
    uses_index = {}
    with scratch_database(args.server_url) as url:
        engine = connect(url)
        upgrade(engine)
        sqlite = engine.dialect.name == "sqlite"
        started = time.perf_counter()
        params = {
            "monitors": monitors,
            "windows": windows,
            "features": features,
            "metrics": metrics,
        }
        with engine.begin() as connection:
            for statement in filter(str.strip, (SQLITE_FILL if sqlite else PG_FILL).split(";\n")):
                connection.execute(sa.text(statement), params)
        with engine.connect() as connection:
            runs = connection.exec_driver_sql("SELECT count(*) FROM runs").scalar()
            rows = connection.exec_driver_sql("SELECT count(*) FROM feature_results").scalar()
        print(
            f"{engine.dialect.name}: filled {runs:,} runs, {rows:,} feature_results rows in "
            f"{time.perf_counter() - started:.1f} s"
        )
        with engine.connect() as connection:
            for title, sql in QUERIES.items():
                server = ""
                if sqlite:
                    nodes = sqlite_plan(connection, sql)
                else:
                    pg_plan(connection, sql)  # warm the cache
                    nodes, executed = pg_plan(connection, sql)
                    server = f", EXPLAIN ANALYZE execution {executed:.2f} ms"
                ms = median_ms(connection, sql)
                print(f"\n== {title}: {ms:.1f} ms (median of 7 from Python{server})")
                print("\n".join(nodes))
                index = "series" if title.startswith("time series") else "run_id"
                # SQLite names the index of a UNIQUE(run_id, ...) constraint automatically.
                names = [f"ix_feature_results_{index}"]
                if sqlite and index == "run_id":
                    names.append("sqlite_autoindex_feature_results")
                uses_index[title] = any(name in n for n in nodes for name in names)
        engine.dispose()
    for title, used in uses_index.items():
        print(f"{title}: reads feature_results through an index: {used}")
    return 0 if all(uses_index.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
