"""dashboard views: latest result per monitor x feature x metric, and per-feature time series

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Only runs that finished count: a failed run has no results, a running one is not yet visible.
_COLUMNS = """
    f.monitor, f.feature, f.kind, f.metric, f.value, f.unit, f.status,
    f.warn_threshold, f.critical_threshold, f.n_reference, f.n_live,
    f.missing_share, f.unseen_share, f.p_value, f.window_start, f.window_end, f.run_id
"""

FEATURE_TIMESERIES = f"""
CREATE VIEW feature_timeseries AS
SELECT {_COLUMNS}
FROM feature_results f
JOIN runs r ON r.id = f.run_id
WHERE r.status IN ('succeeded', 'no_data')
"""

LATEST_FEATURE_RESULTS = f"""
CREATE VIEW latest_feature_results AS
SELECT {_COLUMNS.replace("f.", "ranked.")}
FROM (
    SELECT f.*,
           ROW_NUMBER() OVER (
               PARTITION BY f.monitor, f.feature, f.metric
               ORDER BY f.window_end DESC, f.run_id DESC
           ) AS recency
    FROM feature_results f
    JOIN runs r ON r.id = f.run_id
    WHERE r.status IN ('succeeded', 'no_data')
) ranked
WHERE ranked.recency = 1
"""


def upgrade() -> None:
    op.execute(FEATURE_TIMESERIES)
    op.execute(LATEST_FEATURE_RESULTS)


def downgrade() -> None:
    op.execute("DROP VIEW latest_feature_results")
    op.execute("DROP VIEW feature_timeseries")
