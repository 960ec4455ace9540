"""latest_feature_results: one index probe per monitor instead of ranking every run

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 01:10:00

0003's view ranked every finished run with ``ROW_NUMBER() OVER (PARTITION BY monitor ...)``, so
"what is drifting now?" sorted the whole ``runs`` table: 180-225 ms at 50,000 runs. This revision
finds the monitors with a loose index scan (a recursive CTE that jumps from one monitor to the
next through the index: one probe per monitor, not one row per run), takes each monitor's latest
finished run with one backward probe of ``ix_runs_monitor_window_end_id`` (monitor, window_end, id;
it replaces 0001's (monitor, window_end), its prefix), then reads that run's rows through
``ix_feature_results_run_id``. The cost follows the number of monitors and features, not the
history. The rows and columns are 0004's: same latest run (newest window_end, then highest id,
among succeeded and no_data runs).

"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Only runs that finished count: a failed run has no results, a running one is not yet visible.
FINISHED = "('succeeded', 'no_data')"

_COLUMNS = """
    f.monitor, f.feature, f.kind, f.metric, f.value, f.unit, f.status, f.threshold_kind,
    f.warn_threshold, f.critical_threshold, f.decision_threshold, f.n_reference, f.n_live,
    f.missing_share, f.unseen_share, f.p_value, f.reason, f.window_start, f.window_end, f.run_id
"""

# The monitor column comes from `latest`, so a dashboard's `WHERE monitor = ...` filters the
# monitors before any feature_results row is read.
LATEST_FEATURE_RESULTS = f"""
CREATE VIEW latest_feature_results AS
WITH RECURSIVE monitors(monitor) AS (
    SELECT (SELECT r.monitor FROM runs r ORDER BY r.monitor LIMIT 1)
    UNION ALL
    SELECT (SELECT r.monitor FROM runs r WHERE r.monitor > monitors.monitor
            ORDER BY r.monitor LIMIT 1)
    FROM monitors
    WHERE monitors.monitor IS NOT NULL
)
SELECT {_COLUMNS.replace("f.monitor", "latest.monitor")}
FROM (
    SELECT m.monitor,
           (SELECT r.id FROM runs r
            WHERE r.monitor = m.monitor AND r.status IN {FINISHED}
            ORDER BY r.window_end DESC, r.id DESC
            LIMIT 1) AS run_id
    FROM monitors m
    WHERE m.monitor IS NOT NULL
) latest
JOIN feature_results f ON f.run_id = latest.run_id
"""

# 0004's definition, restored by downgrade.
OLD_LATEST_FEATURE_RESULTS = f"""
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


def upgrade() -> None:
    op.execute("DROP VIEW latest_feature_results")
    with op.batch_alter_table("runs") as batch:
        batch.create_index(
            "ix_runs_monitor_window_end_id", ["monitor", "window_end", "id"], unique=False
        )
        batch.drop_index("ix_runs_monitor_window_end")
    op.execute(LATEST_FEATURE_RESULTS)


def downgrade() -> None:
    op.execute("DROP VIEW latest_feature_results")
    with op.batch_alter_table("runs") as batch:
        batch.create_index("ix_runs_monitor_window_end", ["monitor", "window_end"], unique=False)
        batch.drop_index("ix_runs_monitor_window_end_id")
    op.execute(OLD_LATEST_FEATURE_RESULTS)
