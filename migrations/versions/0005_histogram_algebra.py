"""histogram algebra: runs.reference_kind/reference_windows and the window_histograms view

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 01:00:00

A run of a monitor with a dynamic reference (``rolling``/``expanding``/``previous``) compares its
live window with the sum of stored windows; ``runs.reference_kind`` says which kind of reference
was used and ``runs.reference_windows`` lists the summed windows and their rows, so any stored
value can be recomputed from the store. Rows written before this revision used their reference
source: ``reference_kind`` is ``'source'`` for them.

``window_histograms`` has one row per finished run × feature × bin, with the live and reference
counts, so a dashboard can add windows up in SQL (the roll-ups ``driftwatch compare`` does).
The histograms store their bins and counts as JSON arrays; the view unnests them with each
engine's own JSON functions (``json_each`` on SQLite, ``json_array_elements_text`` on
PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Only runs that finished count: a failed run has no histograms, a running one is not yet visible.
FINISHED = "('succeeded', 'no_data')"

WINDOW_HISTOGRAMS_SQLITE = f"""
CREATE VIEW window_histograms AS
SELECT r.monitor, h.feature, h.kind,
       CAST(b.key AS INTEGER) AS bin,
       CAST(b.value AS TEXT) AS label,
       r.window_start, r.window_end,
       CAST(json_extract(h.live_counts, '$[' || b.key || ']') AS INTEGER) AS live_count,
       CAST(json_extract(h.reference_counts, '$[' || b.key || ']') AS INTEGER)
           AS reference_count,
       r.profile_id, r.id AS run_id
FROM histograms h
JOIN runs r ON r.id = h.run_id
JOIN json_each(h.labels) b
WHERE r.status IN {FINISHED}
"""

WINDOW_HISTOGRAMS_POSTGRESQL = f"""
CREATE VIEW window_histograms AS
SELECT r.monitor, h.feature, h.kind,
       CAST(b.ordinality - 1 AS INTEGER) AS bin,
       b.value AS label,
       r.window_start, r.window_end,
       CAST(h.live_counts ->> CAST(b.ordinality - 1 AS INTEGER) AS BIGINT) AS live_count,
       CAST(h.reference_counts ->> CAST(b.ordinality - 1 AS INTEGER) AS BIGINT)
           AS reference_count,
       r.profile_id, r.id AS run_id
FROM histograms h
JOIN runs r ON r.id = h.run_id
CROSS JOIN LATERAL json_array_elements_text(h.labels) WITH ORDINALITY AS b(value, ordinality)
WHERE r.status IN {FINISHED}
"""


def upgrade() -> None:
    # Plain ALTER TABLE, not a batch: a batch would rebuild ``runs`` on SQLite, and dropping it
    # (foreign keys on) would cascade into every table that references a run.
    op.add_column(
        "runs", sa.Column("reference_kind", sa.String(16), nullable=False, server_default="source")
    )
    op.add_column("runs", sa.Column("reference_windows", sa.JSON(), nullable=True))
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.execute(WINDOW_HISTOGRAMS_POSTGRESQL if postgresql else WINDOW_HISTOGRAMS_SQLITE)


def downgrade() -> None:
    op.execute("DROP VIEW window_histograms")
    op.drop_column("runs", "reference_windows")  # SQLite >= 3.35 drops a column in place
    op.drop_column("runs", "reference_kind")
