"""Window claims: one window, one run, even with two schedulers on one database.

Before computing (monitor, window) a scheduler INSERTs a row into ``window_claims``, whose unique
key is the window. The database decides the race: the loser gets a unique violation and leaves the
window to the winner, unless the winner's lease (``expires_at``) has passed — a process killed
mid-run — in which case a conditional UPDATE takes the claim over (only one taker can match the
old ``expires_at``). The holder renews its lease while it computes and deletes the claim once the
run is saved. Lease times come from the caller's clock: schedulers sharing a database need clocks
in sync to well within a lease (NTP does that).

A window counts as *done* once a ``succeeded`` or ``no_data`` run of it exists; ``failed`` runs
are retried.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

from driftwatch.errors import StoreError
from driftwatch.store.models import Run, WindowClaim
from driftwatch.store.repository import Store
from driftwatch.timeutil import TimeWindow

__all__ = [
    "DONE_STATUSES",
    "ClaimAttempt",
    "claim_window",
    "claims_of",
    "done_windows",
    "last_done_window_end",
    "release_claim",
    "renew_claim",
    "window_done",
]

DONE_STATUSES = ("succeeded", "no_data")


@dataclass(frozen=True)
class ClaimAttempt:
    """The result of :func:`claim_window`: ours, or who holds it and until when."""

    acquired: bool
    owner: str
    expires_at: datetime
    taken_over: bool = False
    """True when the claim was an expired one of another owner (a crashed run)."""


def _key(monitor: str, window: TimeWindow) -> sa.ColumnElement[bool]:
    return sa.and_(
        WindowClaim.monitor == monitor,
        WindowClaim.window_start == window.start,
        WindowClaim.window_end == window.end,
    )


def claim_window(
    store: Store,
    monitor: str,
    window: TimeWindow,
    *,
    owner: str,
    now: datetime,
    ttl: timedelta,
) -> ClaimAttempt:
    """Claim ``window`` of ``monitor`` for ``owner`` until ``now + ttl``, if nobody holds it.

    Raises:
        StoreError: the database cannot be reached or refuses the write.
    """
    expires = now + ttl
    for _ in range(3):
        try:
            with store.session() as session:
                session.add(
                    WindowClaim(
                        monitor=monitor,
                        window_start=window.start,
                        window_end=window.end,
                        owner=owner,
                        claimed_at=now,
                        expires_at=expires,
                    )
                )
            return ClaimAttempt(True, owner, expires)
        except StoreError as exc:
            if not isinstance(exc.__cause__, IntegrityError):
                raise
        with store.session() as session:
            taken = cast(
                CursorResult[Any],
                session.execute(
                    sa.update(WindowClaim)
                    .where(_key(monitor, window), WindowClaim.expires_at <= now)
                    .values(owner=owner, claimed_at=now, expires_at=expires)
                    .execution_options(synchronize_session=False)
                ),
            )
            if taken.rowcount == 1:
                return ClaimAttempt(True, owner, expires, taken_over=True)
            holder = session.execute(
                sa.select(WindowClaim.owner, WindowClaim.expires_at).where(_key(monitor, window))
            ).one_or_none()
        if holder is not None:
            return ClaimAttempt(False, holder.owner, holder.expires_at)
        # the holder released it between our INSERT and our look: try again
    raise StoreError(
        f"could not claim window {window} of monitor {monitor!r}: the claim kept changing hands"
    )


def renew_claim(
    store: Store, monitor: str, window: TimeWindow, *, owner: str, now: datetime, ttl: timedelta
) -> bool:
    """Extend ``owner``'s lease to ``now + ttl``; False when the claim is no longer theirs."""
    with store.session() as session:
        result = cast(
            CursorResult[Any],
            session.execute(
                sa.update(WindowClaim)
                .where(_key(monitor, window), WindowClaim.owner == owner)
                .values(expires_at=now + ttl)
                .execution_options(synchronize_session=False)
            ),
        )
        return bool(result.rowcount == 1)


def release_claim(store: Store, monitor: str, window: TimeWindow, *, owner: str) -> None:
    """Delete ``owner``'s claim (a claim taken over by someone else is left alone)."""
    with store.session() as session:
        session.execute(
            sa.delete(WindowClaim)
            .where(_key(monitor, window), WindowClaim.owner == owner)
            .execution_options(synchronize_session=False)
        )


def claims_of(store: Store, monitor: str) -> list[tuple[TimeWindow, str, datetime]]:
    """The claims held on ``monitor``'s windows: (window, owner, expires_at), oldest first."""
    with store.session() as session:
        rows = session.execute(
            sa.select(
                WindowClaim.window_start,
                WindowClaim.window_end,
                WindowClaim.owner,
                WindowClaim.expires_at,
            )
            .where(WindowClaim.monitor == monitor)
            .order_by(WindowClaim.window_start)
        ).all()
    return [(TimeWindow(r.window_start, r.window_end), r.owner, r.expires_at) for r in rows]


def window_done(store: Store, monitor: str, window: TimeWindow) -> bool:
    """Whether a ``succeeded`` or ``no_data`` run of exactly this window exists.

    A manual run does not count: it never blocks backfill or the catch-up, which recompute the
    window and replace it (the series counts only runs of its own, ``last_done_window_end``).
    """
    with store.session() as session:
        found = session.execute(
            sa.select(Run.id)
            .where(
                Run.monitor == monitor,
                Run.window_start == window.start,
                Run.window_end == window.end,
                Run.status.in_(DONE_STATUSES),
                Run.trigger != "manual",
            )
            .limit(1)
        ).first()
    return found is not None


def last_done_window_end(store: Store, monitor: str, triggers: Sequence[str]) -> datetime | None:
    """The newest ``window_end`` of a done run of ``monitor`` made by one of ``triggers``."""
    with store.session() as session:
        value = session.execute(
            sa.select(sa.func.max(Run.window_end)).where(
                Run.monitor == monitor,
                Run.status.in_(DONE_STATUSES),
                Run.trigger.in_(tuple(triggers)),
            )
        ).scalar_one_or_none()
    return value


def done_windows(
    store: Store, monitor: str, triggers: Sequence[str], until: datetime
) -> tuple[datetime | None, int]:
    """The oldest ``window_end`` of a done run by ``triggers`` and how many distinct window ends
    up to ``until`` such runs have (the inputs of the gap count of ``driftwatch status``)."""
    with store.session() as session:
        row = session.execute(
            sa.select(
                sa.func.min(Run.window_end), sa.func.count(sa.distinct(Run.window_end))
            ).where(
                Run.monitor == monitor,
                Run.status.in_(DONE_STATUSES),
                Run.trigger.in_(tuple(triggers)),
                Run.window_end <= until,
            )
        ).one()
    return row[0], int(row[1])
