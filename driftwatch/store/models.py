"""SQLAlchemy tables of the results database.

Tidy, dashboard-friendly tables (one row per run, per feature × metric, per histogram, per alert,
per notification). The schema changes only through Alembic revisions in ``migrations/``; these
models are what ``alembic check`` compares the migrations against.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from driftwatch.name_lengths import (
    FEATURE_NAME_LENGTH,
    METRIC_NAME_LENGTH,
    MONITOR_NAME_LENGTH,
    SINK_NAME_LENGTH,
)

__all__ = [
    "Alert",
    "Base",
    "FeatureResult",
    "HistogramRow",
    "Notification",
    "ReferenceProfile",
    "Run",
    "Silence",
    "UTCDateTime",
    "WindowClaim",
]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored as UTC and returned timezone-aware, on SQLite as on PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to the store; pass an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy's declarative hook)
        datetime: UTCDateTime(),
        dict[str, Any]: sa.JSON(),
        Any: sa.JSON(),
    }


class ReferenceProfile(Base):
    """Fitted bins and reference counts of one reference dataset under one binning config."""

    __tablename__ = "reference_profiles"
    __table_args__ = (sa.UniqueConstraint("monitor", "fingerprint", "config_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    monitor: Mapped[str] = mapped_column(sa.String(MONITOR_NAME_LENGTH))
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    config_hash: Mapped[str] = mapped_column(sa.String(64))
    source: Mapped[str] = mapped_column(sa.Text)
    n_rows: Mapped[int] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime]
    features: Mapped[dict[str, Any]]
    """{feature: {"bins": Bins.to_dict(), "counts": [...]} or {"error": "..."}}"""


class Run(Base):
    """One computation of one monitor over one live window; (monitor, window) is unique."""

    __tablename__ = "runs"
    __table_args__ = (
        sa.UniqueConstraint("monitor", "window_start", "window_end"),
        # "latest finished run of a monitor": a backward scan of one monitor's entries, id
        # breaking ties (latest_feature_results, migration 0006).
        sa.Index("ix_runs_monitor_window_end_id", "monitor", "window_end", "id"),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'failed', 'no_data')", name="status"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    monitor: Mapped[str] = mapped_column(sa.String(MONITOR_NAME_LENGTH))
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    status: Mapped[str] = mapped_column(sa.String(16))
    trigger: Mapped[str] = mapped_column(sa.String(16), default="manual")
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    duration_seconds: Mapped[float | None]
    n_reference: Mapped[int | None] = mapped_column(sa.BigInteger)
    n_live: Mapped[int | None] = mapped_column(sa.BigInteger)
    n_features: Mapped[int | None]
    n_drifted: Mapped[int | None]
    dataset_drift: Mapped[bool | None]
    profile_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("reference_profiles.id", ondelete="SET NULL")
    )
    claimed_by: Mapped[str | None] = mapped_column(sa.String(200))
    error: Mapped[str | None] = mapped_column(sa.Text)
    reference_kind: Mapped[str] = mapped_column(
        sa.String(16), default="source", server_default="source"
    )
    """Where the histograms' reference counts came from: ``source`` (the profile), ``rolling``,
    ``expanding`` or ``previous`` (the sum of stored windows listed in ``reference_windows``)."""
    reference_windows: Mapped[Any | None]
    """The summed windows, ``[{"window_start", "window_end", "n_live"}, ...]``; None for a
    source, ``[]`` for a dynamic reference that fell back to its bootstrap profile."""


class FeatureResult(Base):
    """One metric of one feature in one run: the row dashboards plot."""

    __tablename__ = "feature_results"
    __table_args__ = (
        sa.UniqueConstraint("run_id", "feature", "metric"),
        sa.Index("ix_feature_results_series", "monitor", "feature", "metric", "window_end"),
        sa.CheckConstraint(
            "status IN ('ok', 'warn', 'critical', 'no_data', 'error')", name="status"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    monitor: Mapped[str] = mapped_column(sa.String(MONITOR_NAME_LENGTH))
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    feature: Mapped[str] = mapped_column(sa.String(FEATURE_NAME_LENGTH))
    kind: Mapped[str] = mapped_column(sa.String(16))
    metric: Mapped[str] = mapped_column(sa.String(METRIC_NAME_LENGTH))
    value: Mapped[float | None]
    unit: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16))
    threshold_kind: Mapped[str | None] = mapped_column(sa.String(32))
    warn_threshold: Mapped[float | None]
    critical_threshold: Mapped[float | None]
    decision_threshold: Mapped[float | None]
    n_reference: Mapped[int | None] = mapped_column(sa.BigInteger)
    n_live: Mapped[int | None] = mapped_column(sa.BigInteger)
    missing_share: Mapped[float | None]
    unseen_share: Mapped[float | None]
    smoothing: Mapped[float | None]
    log_base: Mapped[float | None]
    p_value: Mapped[float | None]
    p_value_adjusted: Mapped[float | None]
    test: Mapped[str | None] = mapped_column(sa.String(32))
    dof: Mapped[int | None]
    reason: Mapped[str | None] = mapped_column(sa.Text)
    explanation: Mapped[dict[str, Any] | None]


class HistogramRow(Base):
    """Reference and live histograms of one feature in one run: enough to recompute any metric."""

    __tablename__ = "histograms"
    __table_args__ = (sa.UniqueConstraint("run_id", "feature"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    feature: Mapped[str] = mapped_column(sa.String(FEATURE_NAME_LENGTH))
    kind: Mapped[str] = mapped_column(sa.String(16))
    labels: Mapped[Any]
    edges: Mapped[Any | None]
    reference_counts: Mapped[Any]
    live_counts: Mapped[Any]


class Alert(Base):
    """Lifecycle state of one (monitor, feature, metric); feature '*' is the dataset-level alert."""

    __tablename__ = "alerts"
    __table_args__ = (
        sa.UniqueConstraint("monitor", "feature", "metric"),
        sa.CheckConstraint("state IN ('ok', 'pending', 'firing', 'no_data')", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    monitor: Mapped[str] = mapped_column(sa.String(MONITOR_NAME_LENGTH))
    feature: Mapped[str] = mapped_column(sa.String(FEATURE_NAME_LENGTH))
    metric: Mapped[str] = mapped_column(sa.String(METRIC_NAME_LENGTH))
    state: Mapped[str] = mapped_column(sa.String(16))
    severity: Mapped[str | None] = mapped_column(sa.String(16))
    breach_count: Mapped[int] = mapped_column(default=0)
    value: Mapped[float | None]
    threshold: Mapped[float | None]
    since: Mapped[datetime | None]
    last_notified_at: Mapped[datetime | None]
    last_run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("runs.id", ondelete="SET NULL"))
    last_window_end: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class Silence(Base):
    """Notifications of a monitor (and optionally one feature) are muted until ``ends_at``."""

    __tablename__ = "silences"

    id: Mapped[int] = mapped_column(primary_key=True)
    monitor: Mapped[str] = mapped_column(sa.String(MONITOR_NAME_LENGTH), index=True)
    feature: Mapped[str | None] = mapped_column(sa.String(FEATURE_NAME_LENGTH))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime]


class Notification(Base):
    """The outbox: a notification written with its run, delivered later by the dispatcher."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_due", "status", "next_attempt_at"),
        sa.CheckConstraint("status IN ('pending', 'sent', 'dead')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    sink: Mapped[str] = mapped_column(sa.String(SINK_NAME_LENGTH))
    event: Mapped[str] = mapped_column(sa.String(16))
    monitor: Mapped[str] = mapped_column(sa.String(MONITOR_NAME_LENGTH))
    feature: Mapped[str | None] = mapped_column(sa.String(FEATURE_NAME_LENGTH))
    metric: Mapped[str | None] = mapped_column(sa.String(METRIC_NAME_LENGTH))
    severity: Mapped[str | None] = mapped_column(sa.String(16))
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("runs.id", ondelete="SET NULL"))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class WindowClaim(Base):
    """A scheduler's claim on a (monitor, window) before computing it: one window, one run."""

    __tablename__ = "window_claims"
    __table_args__ = (sa.UniqueConstraint("monitor", "window_start", "window_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    monitor: Mapped[str] = mapped_column(sa.String(MONITOR_NAME_LENGTH))
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    owner: Mapped[str] = mapped_column(sa.String(200))
    claimed_at: Mapped[datetime]
    expires_at: Mapped[datetime]
