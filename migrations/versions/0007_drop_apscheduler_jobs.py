"""drop apscheduler_jobs: the scheduler's jobs live in its memory, no pickle is read from here

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-09 01:00:00

Up to 0006, ``driftwatch schedule`` kept its jobs in APScheduler's ``SQLAlchemyJobStore``, the
table ``apscheduler_jobs`` (created by APScheduler, not by a migration). That store unpickles
``job_state``: a row written by anyone who can write to the results database (a dashboard's
account, say) would run code in every scheduler. The scheduler now builds its jobs from the
config at start and keeps them in memory, so the table is dropped, with any rows in it.

The downgrade leaves it out: driftwatch of revision 0006 creates the table (empty) when its
scheduler starts, as it did on a database that had never been scheduled.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DROP TABLE IF EXISTS apscheduler_jobs")


def downgrade() -> None:
    pass
