"""An injectable clock (``driftwatch.timeutil.Clock``) that only moves when the test moves it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    """Returns ``now``; the test sets ``now`` or calls :meth:`advance`."""

    def __init__(self, start: datetime = datetime(2026, 1, 1, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta = timedelta(hours=1)) -> datetime:
        self.now += delta
        return self.now
