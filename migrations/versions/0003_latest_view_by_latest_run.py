"""dashboard views: "latest" = the latest finished run of each monitor; reason and threshold kind

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 17:20:00

0002's ``latest_feature_results`` ranked every feature_results row with a window function, so a
dashboard asking "what is drifting now?" sorted the whole table: ~1 s at 10^6 rows on PostgreSQL
(benchmarks/dashboard_queries.py). This revision ranks the *runs* instead (one row per window,
~100x fewer) and fetches the winning runs' rows through ``ix_feature_results_run_id``; a filter
on ``monitor`` reaches the ranking, so it reads only that monitor's runs.

It also answers the question better: the latest state of a monitor is its latest finished run, so a
feature removed from the config no longer shows its last (possibly critical) value forever. Both
views gain ``threshold_kind`` and ``reason`` (why a row is ``no_data`` or ``error``).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Only runs that finished count: a failed run has no results, a running one is not yet visible.
FINISHED = "('succeeded', 'no_data')"

_COLUMNS = """
    f.monitor, f.feature, f.kind, f.metric, f.value, f.unit, f.status, f.threshold_kind,
    f.warn_threshold, f.critical_threshold, f.n_reference, f.n_live,
    f.missing_share, f.unseen_share, f.p_value, f.reason, f.window_start, f.window_end, f.run_id
"""

FEATURE_TIMESERIES = f"""
CREATE VIEW feature_timeseries AS
SELECT {_COLUMNS}
FROM feature_results f
JOIN runs r ON r.id = f.run_id
WHERE r.status IN {FINISHED}
"""

LATEST_FEATURE_RESULTS = f"""
CREATE VIEW latest_feature_results AS
SELECT {_COLUMNS.replace("f.monitor", "latest.monitor")}
FROM (
    SELECT ranked.id, ranked.monitor
    FROM (
        SELECT r.id, r.monitor,
               ROW_NUMBER() OVER (
                   PARTITION BY r.monitor ORDER BY r.window_end DESC, r.id DESC
               ) AS recency
        FROM runs r
        WHERE r.status IN {FINISHED}
    ) ranked
    WHERE ranked.recency = 1
) latest
JOIN feature_results f ON f.run_id = latest.id
"""

# 0002's definitions, restored by downgrade.
_OLD_COLUMNS = """
    f.monitor, f.feature, f.kind, f.metric, f.value, f.unit, f.status,
    f.warn_threshold, f.critical_threshold, f.n_reference, f.n_live,
    f.missing_share, f.unseen_share, f.p_value, f.window_start, f.window_end, f.run_id
"""

OLD_FEATURE_TIMESERIES = f"""
CREATE VIEW feature_timeseries AS
SELECT {_OLD_COLUMNS}
FROM feature_results f
JOIN runs r ON r.id = f.run_id
WHERE r.status IN {FINISHED}
"""

OLD_LATEST_FEATURE_RESULTS = f"""
CREATE VIEW latest_feature_results AS
SELECT {_OLD_COLUMNS.replace("f.", "ranked.")}
FROM (
    SELECT f.*,
           ROW_NUMBER() OVER (
               PARTITION BY f.monitor, f.feature, f.metric
               ORDER BY f.window_end DESC, f.run_id DESC
           ) AS recency
    FROM feature_results f
    JOIN runs r ON r.id = f.run_id
    WHERE r.status IN {FINISHED}
) ranked
WHERE ranked.recency = 1
"""


def upgrade() -> None:
    op.execute("DROP VIEW latest_feature_results")
    op.execute("DROP VIEW feature_timeseries")
    op.execute(FEATURE_TIMESERIES)
    op.execute(LATEST_FEATURE_RESULTS)


def downgrade() -> None:
    op.execute("DROP VIEW latest_feature_results")
    op.execute("DROP VIEW feature_timeseries")
    op.execute(OLD_FEATURE_TIMESERIES)
    op.execute(OLD_LATEST_FEATURE_RESULTS)
