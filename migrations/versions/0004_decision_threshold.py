"""feature_results.decision_threshold, exposed by both dashboard views

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 22:30:00

Under the ``significance`` rule the stored ``warn_threshold`` is only the magnitude floor: a
healthy feature's line sits above "warn" most of the time at small n. ``decision_threshold`` is the
metric value at which the rule fires at that window's n (the larger of the magnitude seen through
the bias and the value whose test p equals alpha), so a dashboard can plot the real line. Nullable:
rows written before this revision have none.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Only runs that finished count: a failed run has no results, a running one is not yet visible.
FINISHED = "('succeeded', 'no_data')"


def _columns(decision: bool) -> str:
    extra = " f.decision_threshold," if decision else ""
    return f"""
    f.monitor, f.feature, f.kind, f.metric, f.value, f.unit, f.status, f.threshold_kind,
    f.warn_threshold, f.critical_threshold,{extra} f.n_reference, f.n_live,
    f.missing_share, f.unseen_share, f.p_value, f.reason, f.window_start, f.window_end, f.run_id
"""


def _timeseries(columns: str) -> str:
    return f"""
CREATE VIEW feature_timeseries AS
SELECT {columns}
FROM feature_results f
JOIN runs r ON r.id = f.run_id
WHERE r.status IN {FINISHED}
"""


def _latest(columns: str) -> str:
    return f"""
CREATE VIEW latest_feature_results AS
SELECT {columns.replace("f.monitor", "latest.monitor")}
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


FEATURE_TIMESERIES = _timeseries(_columns(decision=True))
LATEST_FEATURE_RESULTS = _latest(_columns(decision=True))
# 0003's definitions, restored by downgrade.
OLD_FEATURE_TIMESERIES = _timeseries(_columns(decision=False))
OLD_LATEST_FEATURE_RESULTS = _latest(_columns(decision=False))


def upgrade() -> None:
    op.execute("DROP VIEW latest_feature_results")
    op.execute("DROP VIEW feature_timeseries")
    with op.batch_alter_table("feature_results") as batch:
        batch.add_column(sa.Column("decision_threshold", sa.Double(), nullable=True))
    op.execute(FEATURE_TIMESERIES)
    op.execute(LATEST_FEATURE_RESULTS)


def downgrade() -> None:
    op.execute("DROP VIEW latest_feature_results")
    op.execute("DROP VIEW feature_timeseries")
    with op.batch_alter_table("feature_results") as batch:
        batch.drop_column("decision_threshold")
    op.execute(OLD_FEATURE_TIMESERIES)
    op.execute(OLD_LATEST_FEATURE_RESULTS)
