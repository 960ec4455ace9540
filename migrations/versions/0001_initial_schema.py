"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27 16:43:31.069734
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reference_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("monitor", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("config_hash", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("n_rows", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_profiles")),
        sa.UniqueConstraint(
            "monitor",
            "fingerprint",
            "config_hash",
            name=op.f("uq_reference_profiles_monitor_fingerprint_config_hash"),
        ),
    )
    op.create_table(
        "silences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("monitor", sa.String(length=200), nullable=False),
        sa.Column("feature", sa.String(length=300), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_silences")),
    )
    with op.batch_alter_table("silences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_silences_monitor"), ["monitor"], unique=False)

    op.create_table(
        "window_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("monitor", sa.String(length=200), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_window_claims")),
        sa.UniqueConstraint(
            "monitor",
            "window_start",
            "window_end",
            name=op.f("uq_window_claims_monitor_window_start_window_end"),
        ),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("monitor", sa.String(length=200), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_seconds", sa.Double(), nullable=True),
        sa.Column("n_reference", sa.BigInteger(), nullable=True),
        sa.Column("n_live", sa.BigInteger(), nullable=True),
        sa.Column("n_features", sa.Integer(), nullable=True),
        sa.Column("n_drifted", sa.Integer(), nullable=True),
        sa.Column("dataset_drift", sa.Boolean(), nullable=True),
        sa.Column("profile_id", sa.Integer(), nullable=True),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'failed', 'no_data')", name=op.f("ck_runs_status")
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["reference_profiles.id"],
            name=op.f("fk_runs_profile_id_reference_profiles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
        sa.UniqueConstraint(
            "monitor",
            "window_start",
            "window_end",
            name=op.f("uq_runs_monitor_window_start_window_end"),
        ),
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index("ix_runs_monitor_window_end", ["monitor", "window_end"], unique=False)

    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("monitor", sa.String(length=200), nullable=False),
        sa.Column("feature", sa.String(length=300), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=True),
        sa.Column("breach_count", sa.Integer(), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("threshold", sa.Double(), nullable=True),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.Column("last_window_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('ok', 'pending', 'firing', 'no_data')", name=op.f("ck_alerts_state")
        ),
        sa.ForeignKeyConstraint(
            ["last_run_id"],
            ["runs.id"],
            name=op.f("fk_alerts_last_run_id_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint(
            "monitor", "feature", "metric", name=op.f("uq_alerts_monitor_feature_metric")
        ),
    )
    op.create_table(
        "feature_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("monitor", sa.String(length=200), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("feature", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("threshold_kind", sa.String(length=32), nullable=True),
        sa.Column("warn_threshold", sa.Double(), nullable=True),
        sa.Column("critical_threshold", sa.Double(), nullable=True),
        sa.Column("n_reference", sa.BigInteger(), nullable=True),
        sa.Column("n_live", sa.BigInteger(), nullable=True),
        sa.Column("missing_share", sa.Double(), nullable=True),
        sa.Column("unseen_share", sa.Double(), nullable=True),
        sa.Column("smoothing", sa.Double(), nullable=True),
        sa.Column("log_base", sa.Double(), nullable=True),
        sa.Column("p_value", sa.Double(), nullable=True),
        sa.Column("p_value_adjusted", sa.Double(), nullable=True),
        sa.Column("test", sa.String(length=32), nullable=True),
        sa.Column("dof", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("explanation", sa.JSON(), nullable=True),
        sa.CheckConstraint(
            "status IN ('ok', 'warn', 'critical', 'no_data', 'error')",
            name=op.f("ck_feature_results_status"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_feature_results_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feature_results")),
        sa.UniqueConstraint(
            "run_id", "feature", "metric", name=op.f("uq_feature_results_run_id_feature_metric")
        ),
    )
    with op.batch_alter_table("feature_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feature_results_run_id"), ["run_id"], unique=False)
        batch_op.create_index(
            "ix_feature_results_series",
            ["monitor", "feature", "metric", "window_end"],
            unique=False,
        )

    op.create_table(
        "histograms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("feature", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("edges", sa.JSON(), nullable=True),
        sa.Column("reference_counts", sa.JSON(), nullable=False),
        sa.Column("live_counts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_histograms_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_histograms")),
        sa.UniqueConstraint("run_id", "feature", name=op.f("uq_histograms_run_id_feature")),
    )
    with op.batch_alter_table("histograms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_histograms_run_id"), ["run_id"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("sink", sa.String(length=200), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("monitor", sa.String(length=200), nullable=False),
        sa.Column("feature", sa.String(length=300), nullable=True),
        sa.Column("metric", sa.String(length=32), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'dead')", name=op.f("ck_notifications_status")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_notifications_run_id_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_notifications_idempotency_key")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_due", ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_due")

    op.drop_table("notifications")
    with op.batch_alter_table("histograms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_histograms_run_id"))

    op.drop_table("histograms")
    with op.batch_alter_table("feature_results", schema=None) as batch_op:
        batch_op.drop_index("ix_feature_results_series")
        batch_op.drop_index(batch_op.f("ix_feature_results_run_id"))

    op.drop_table("feature_results")
    op.drop_table("alerts")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index("ix_runs_monitor_window_end")

    op.drop_table("runs")
    op.drop_table("window_claims")
    with op.batch_alter_table("silences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_silences_monitor"))

    op.drop_table("silences")
    op.drop_table("reference_profiles")
