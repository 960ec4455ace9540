"""Benchmark: the dashboard views at 10^6 feature_results rows on PostgreSQL, with EXPLAIN.

Creates a scratch database on the server, migrates it to head, fills it server-side with
``generate_series`` (no Python loop: a few seconds), then shows the plan and the timing of the
two dashboard questions. Exits 1 when a query reads feature_results without an index.

    PYTHONPATH=. python benchmarks/dashboard_queries.py postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Not part of the test suite: it takes ~30 s and needs a PostgreSQL server.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid

import sqlalchemy as sa

from driftwatch.store.database import connect, upgrade

MONITORS, FEATURES, METRICS, WINDOWS = 10, 50, 2, 1000  # 10 * 50 * 2 * 1000 = 10^6 rows

FILL = """
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
FROM runs r, generate_series(0, :features - 1) f, generate_series(0, :metrics - 1) k;
ANALYZE;
"""

QUERIES = {
    "time series (30 days of one feature's js)": """
        SELECT window_end AS time, value FROM feature_timeseries
        WHERE monitor = 'monitor-3' AND feature = 'feature-7' AND metric = 'js'
          AND window_end >= TIMESTAMPTZ '2024-01-10' AND window_end < TIMESTAMPTZ '2024-02-09'
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
}


def explain(connection: sa.Connection, sql: str) -> tuple[list[str], float]:
    plan = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}").scalar_one()
    top = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
    nodes: list[str] = []

    def walk(node: dict[str, object], depth: int) -> None:
        label = str(node["Node Type"])
        if "Index Name" in node:
            label += f" using {node['Index Name']}"
        if "Relation Name" in node:
            label += f" on {node['Relation Name']}"
        nodes.append("  " * depth + label)
        for child in node.get("Plans", []):  # type: ignore[attr-defined]
            walk(child, depth + 1)

    walk(top["Plan"], 0)
    return nodes, float(top["Execution Time"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("server_url", help="SQLAlchemy URL of any database on the server")
    args = parser.parse_args()
    name = f"dw_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(args.server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        url = sa.engine.make_url(args.server_url).set(database=name)
        engine = connect(url.render_as_string(hide_password=False))
        upgrade(engine)
        started = time.perf_counter()
        params = {"monitors": MONITORS, "features": FEATURES, "metrics": METRICS}
        with engine.begin() as connection:
            for statement in filter(str.strip, FILL.split(";\n")):
                connection.execute(sa.text(statement), {**params, "windows": WINDOWS})
        with engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT count(*) FROM feature_results").scalar()
        print(f"filled {rows:,} feature_results rows in {time.perf_counter() - started:.1f} s")
        uses_index = {}
        with engine.connect() as connection:
            for title, sql in QUERIES.items():
                explain(connection, sql)  # warm the cache
                nodes, ms = explain(connection, sql)
                print(f"\n== {title}: {ms:.1f} ms")
                print("\n".join(nodes))
                index = "series" if title.startswith("time series") else "run_id"
                uses_index[title] = any(f"ix_feature_results_{index}" in n for n in nodes)
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    for title, used in uses_index.items():
        print(f"{title}: reads feature_results through an index: {used}")
    return 0 if all(uses_index.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
