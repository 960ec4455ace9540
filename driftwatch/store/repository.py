"""The results store: every write of a run happens here, in one transaction.

A run is keyed by (monitor, window_start, window_end). Saving a run writes the run row, its
feature results and its histograms together — plus whatever the ``in_transaction`` hook adds (the
alert lifecycle and the notification outbox) — so a crash leaves the whole run or nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from driftwatch.errors import StoreError, redact_url
from driftwatch.results import verdict_columns
from driftwatch.store.database import check_schema, connect, ensure_schema, one_line
from driftwatch.store.models import FeatureResult, HistogramRow, ReferenceProfile, Run

if TYPE_CHECKING:
    from driftwatch.results import RunOutcome

__all__ = ["SaveResult", "Store", "TransactionHook"]

TransactionHook = Callable[[Session, int, "RunOutcome"], None]
"""Called inside the run's transaction with the session, the new run id and the saved outcome."""


@dataclass(frozen=True)
class SaveResult:
    run_id: int | None
    action: Literal["inserted", "replaced", "skipped"]


def _finite_or_none(value: float | None) -> float | None:
    if value is None:
        return None
    return value if math.isfinite(value) else None


class Store:
    """A handle on the results database; owns every transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(
        cls, url: str, *, config_hint: str = "--config FILE", origin: str | None = None
    ) -> Store:
        """Connect, migrating a brand-new database and refusing an out-of-date one; ``origin``
        says where the URL came from, for the fix in messages."""
        engine = connect(url) if origin is None else connect(url, origin=origin)
        try:
            ensure_schema(engine, config_hint=config_hint)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @classmethod
    def open_readonly(
        cls, url: str, *, config_hint: str = "--database URL", origin: str = "the database URL"
    ) -> Store:
        """The existing results database at ``url``, at this driftwatch's schema, to read from.

        Unlike :meth:`open` nothing is created or migrated: a SQLite file that does not exist, a
        PostgreSQL database that does not exist, an empty database and a schema that is behind
        are each refused with one line (StoreError / SchemaOutOfDateError) naming the fix.
        """
        engine = connect(url, create=False, origin=origin)
        try:
            check_schema(engine, config_hint=config_hint, origin=origin)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    @property
    def url(self) -> str:
        return redact_url(self.engine.url.render_as_string(hide_password=True))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on any error."""
        session = self._sessions()
        try:
            with session.begin():
                yield session
        except SQLAlchemyError as exc:
            raise StoreError(f"results database {self.url!r}: {one_line(exc)}") from exc
        finally:
            session.close()

    # --- reference profiles ------------------------------------------------------------------

    def find_profile(
        self, monitor: str, fingerprint: str, config_hash: str
    ) -> ReferenceProfile | None:
        with self.session() as session:
            return session.scalars(
                sa.select(ReferenceProfile).where(
                    ReferenceProfile.monitor == monitor,
                    ReferenceProfile.fingerprint == fingerprint,
                    ReferenceProfile.config_hash == config_hash,
                )
            ).one_or_none()

    def save_profile(
        self,
        *,
        monitor: str,
        fingerprint: str,
        config_hash: str,
        source: str,
        n_rows: int,
        features: Mapping[str, Any],
        created_at: datetime,
    ) -> int:
        """Store a fitted profile; when another process stored the same one first, reuse it."""
        try:
            with self.session() as session:
                profile = ReferenceProfile(
                    monitor=monitor,
                    fingerprint=fingerprint,
                    config_hash=config_hash,
                    source=source,
                    n_rows=n_rows,
                    features=dict(features),
                    created_at=created_at,
                )
                session.add(profile)
                session.flush()
                return profile.id
        except StoreError as exc:
            if not isinstance(exc.__cause__, IntegrityError):
                raise
            existing = self.find_profile(monitor, fingerprint, config_hash)
            if existing is None:
                raise
            return existing.id

    # --- runs ----------------------------------------------------------------------------------

    def save_run(
        self,
        outcome: RunOutcome,
        *,
        on_rerun: Literal["replace", "skip"] = "replace",
        in_transaction: TransactionHook | None = None,
    ) -> SaveResult:
        """Write a run with all its rows atomically; replace or skip an existing same-window run.

        Two writers of the same window race on the unique key: the loser retries once, then sees
        the winner's row and replaces it (or skips), so no duplicate and no error reaches the user.
        """
        for attempt in range(3):
            try:
                return self._save_run_once(outcome, on_rerun, in_transaction)
            except StoreError as exc:
                retryable = isinstance(exc.__cause__, IntegrityError | OperationalError)
                if not retryable or attempt == 2:
                    raise StoreError(
                        f"could not save the run of monitor {outcome.monitor!r} for window "
                        f"{outcome.window_label}: {exc}"
                    ) from exc.__cause__
        raise AssertionError("unreachable")

    def _save_run_once(
        self,
        outcome: RunOutcome,
        on_rerun: Literal["replace", "skip"],
        in_transaction: TransactionHook | None,
    ) -> SaveResult:
        with self.session() as session:
            existing = session.scalars(
                sa.select(Run)
                .where(
                    Run.monitor == outcome.monitor,
                    Run.window_start == outcome.window_start,
                    Run.window_end == outcome.window_end,
                )
                .with_for_update()
            ).one_or_none()
            action: Literal["inserted", "replaced"] = "inserted"
            if existing is not None:
                if outcome.status == "failed" and existing.status != "failed":
                    # A failed recomputation must not erase a good result of the same window.
                    return SaveResult(existing.id, "skipped")
                if on_rerun == "skip" and existing.status != "failed":
                    return SaveResult(existing.id, "skipped")
                session.delete(existing)
                session.flush()
                action = "replaced"
            run = Run(
                monitor=outcome.monitor,
                window_start=outcome.window_start,
                window_end=outcome.window_end,
                status=outcome.status,
                trigger=outcome.trigger,
                started_at=outcome.started_at,
                finished_at=outcome.finished_at,
                duration_seconds=outcome.duration_seconds,
                n_reference=outcome.n_reference,
                n_live=outcome.n_live,
                n_features=len(outcome.features),
                n_drifted=outcome.n_drifted,
                dataset_drift=outcome.dataset_drift,
                profile_id=outcome.profile_id,
                claimed_by=outcome.claimed_by,
                error=outcome.error,
                reference_kind=outcome.reference_used.kind if outcome.reference_used else "source",
                reference_windows=outcome.reference_used.to_json()
                if outcome.reference_used
                else None,
            )
            session.add(run)
            session.flush()
            session.add_all(self._result_rows(run, outcome))
            session.add_all(self._histogram_rows(run, outcome))
            if in_transaction is not None:
                in_transaction(session, run.id, outcome)
            return SaveResult(run.id, action)

    @staticmethod
    def _result_rows(run: Run, outcome: RunOutcome) -> list[FeatureResult]:
        rows = []
        for feature in outcome.features:
            for metric in feature.metrics:
                columns = verdict_columns(metric.verdict)
                columns["decision_threshold"] = _finite_or_none(columns["decision_threshold"])
                rows.append(
                    FeatureResult(
                        run_id=run.id,
                        monitor=outcome.monitor,
                        window_start=outcome.window_start,
                        window_end=outcome.window_end,
                        feature=feature.name,
                        kind=feature.kind,
                        metric=metric.metric,
                        value=_finite_or_none(metric.value),
                        unit=metric.unit,
                        status=metric.status,
                        **columns,
                        n_reference=feature.n_reference,
                        n_live=feature.n_live,
                        missing_share=feature.missing_share,
                        unseen_share=feature.unseen_share,
                        smoothing=metric.smoothing,
                        log_base=metric.log_base,
                        p_value_adjusted=metric.p_value_adjusted,
                        reason=metric.reason or feature.reason,
                        explanation=(
                            {"top_bins": list(feature.explanation)} if feature.explanation else None
                        ),
                    )
                )
        return rows

    @staticmethod
    def _histogram_rows(run: Run, outcome: RunOutcome) -> list[HistogramRow]:
        rows = []
        for feature in outcome.features:
            if feature.reference is None:
                continue
            bins = feature.reference.bins.to_dict()
            live_counts = (
                feature.live.counts.tolist()
                if feature.live is not None
                else [0] * len(feature.reference.counts)
            )
            rows.append(
                HistogramRow(
                    run_id=run.id,
                    feature=feature.name,
                    kind=feature.kind,
                    labels=list(feature.reference.labels),
                    edges=bins.get("edges"),
                    reference_counts=feature.reference.counts.tolist(),
                    live_counts=live_counts,
                )
            )
        return rows
