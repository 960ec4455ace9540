"""Computing scheduled windows exactly once, whatever the number of schedulers on one database.

Every fire of a monitor's job (and the scheduler's start) computes, in order, the windows owed
since the monitor's last done window — the window ending at the fire time, plus those missed while
the process was down, coalesced or delayed, at most ``max_catchup`` of them. ``backfill`` computes
a given range of history. Each window goes through :meth:`WindowRunner.run_window`: skip it if a
done run exists, claim it in the database (waiting while another scheduler computes it), check
again, compute and save it through :func:`driftwatch.api.run_monitors` (one transaction) while a
heartbeat renews the claim's lease, release the claim, and log one structured line.

A claim is a lease: a scheduler that dies mid-run stops renewing it, and another one takes the
window over once the lease has expired. "Last done window" counts runs of
:data:`~driftwatch.windows.SCHEDULER_TRIGGERS` only.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from driftwatch.alerts.outbox import dispatch_pending
from driftwatch.config import Config, MonitorConfig
from driftwatch.errors import DriftwatchError, SchedulerError
from driftwatch.logevents import Outage, log_event
from driftwatch.results import RunOutcome, RunStatus, Trigger
from driftwatch.runs import run_monitors
from driftwatch.store import claims
from driftwatch.store.repository import Store
from driftwatch.store.status import notifications_of_run
from driftwatch.timeutil import Clock, TimeWindow, as_utc, system_clock
from driftwatch.windows import SCHEDULER_TRIGGERS, MonitorSchedule

__all__ = [
    "BatchReport",
    "WindowAction",
    "WindowResult",
    "WindowRunner",
    "default_owner",
]

log = logging.getLogger("driftwatch.scheduler")

WindowAction = Literal["computed", "done", "busy", "stopped"]
"""What happened to a window: computed now, already done, claimed elsewhere too long, stopped."""

RunFunction = Callable[..., list[RunOutcome]]
"""The signature of :func:`driftwatch.api.run_monitors` (injectable for tests)."""


def default_owner() -> str:
    """This process's name in claims and ``runs.claimed_by``: host, pid and a random tag."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class WindowResult:
    """What happened to one window: computed (see ``outcome``) or left alone, and why."""

    monitor: str
    window: TimeWindow
    trigger: Trigger
    action: WindowAction
    outcome: RunOutcome | None = None
    alerts: int = 0

    @property
    def status(self) -> RunStatus | WindowAction:
        """The run's status when computed, else the action (``done``, ``busy``, ``stopped``)."""
        return self.outcome.status if self.outcome is not None else self.action


@dataclass(frozen=True)
class BatchReport:
    """The windows one catch-up or backfill went through, oldest first."""

    monitor: str
    results: tuple[WindowResult, ...] = ()
    skipped: int = 0
    """Owed windows beyond ``max_catchup``, given up."""

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def computed(self) -> int:
        return sum(1 for r in self.results if r.action == "computed")


class _Heartbeat:
    """Renews a claim's lease every third of its TTL while the window is being computed.

    It stops renewing once ``abandon`` is set (a stop whose grace ran out): the claim then
    expires after its lease and another scheduler (or this one, restarted) retries the window.
    """

    def __init__(
        self, renew: Callable[[], bool], ttl: timedelta, label: str, abandon: threading.Event
    ) -> None:
        self._renew = renew
        self._period = max(ttl.total_seconds() / 3, 0.05)
        self._label = label
        self._abandon = abandon
        self._outage = Outage(log, f"renewing the claim on {label}")
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"claim {label}", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._done.wait(self._period) and not self._abandon.is_set():
            try:
                if not self._renew():
                    log.warning("claim on %s was taken over by another scheduler", self._label)
                    return
            except DriftwatchError as exc:
                self._outage.failed(exc)
            else:
                self._outage.succeeded()


@dataclass
class WindowRunner:
    """Computes a config's scheduled windows against one store, each window exactly once."""

    config: Config
    store: Store
    owner: str = field(default_factory=default_owner)
    clock: Clock = system_clock
    claim_ttl: timedelta = timedelta(seconds=60)
    """Lease of a claim; a crashed scheduler's window is taken over this long after its death."""
    claim_wait: timedelta = timedelta(minutes=10)
    """How long to wait for another scheduler's claim before leaving the rest for a later fire."""
    stop: threading.Event = field(default_factory=threading.Event)
    """Set it to stop after the window in flight (SIGTERM)."""
    abandon: threading.Event = field(default_factory=threading.Event)
    """Set when a stop's grace ran out: runs in flight are left, their claims left to expire."""
    run: RunFunction = run_monitors
    poll: float = 0.2

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._in_flight = 0
        self._catching_up: dict[str, bool] = {}
        """Monitors whose catch-up is running → whether a fire arrived meanwhile."""
        self._outages: dict[str, Outage] = {}

    def _outage(self, what: str) -> Outage:
        with self._lock:
            found = self._outages.get(what)
            if found is None:
                found = self._outages[what] = Outage(log, what)
            return found

    @property
    def in_flight(self) -> int:
        """Windows being computed right now."""
        return self._in_flight

    def wait_idle(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the windows in flight; True when none is left."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
        return True

    # --- one window ------------------------------------------------------------------------------

    def run_window(
        self, monitor: str, window: TimeWindow, trigger: Trigger, *, rerun: bool = False
    ) -> WindowResult:
        """Compute ``window`` of ``monitor`` unless it is done (``rerun`` recomputes it)."""
        if not rerun and claims.window_done(self.store, monitor, window):
            return WindowResult(monitor, window, trigger, "done")
        waited = self._claim(monitor, window)
        if waited != "claimed":
            return WindowResult(monitor, window, trigger, waited)
        with self._lock:
            self._in_flight += 1
        try:
            if not rerun and claims.window_done(self.store, monitor, window):
                return WindowResult(monitor, window, trigger, "done")  # finished while we waited
            started = time.perf_counter()
            label = f"{monitor} {window}"
            with _Heartbeat(self._renewer(monitor, window), self.claim_ttl, label, self.abandon):
                outcome = self._compute(monitor, window, trigger, rerun)
            duration = time.perf_counter() - started
        finally:
            # Given up at shutdown (abandon): the claim stays until its lease expires, then the
            # window is retried (by another scheduler, or by this one restarted).
            abandoned = self.abandon.is_set()
            if not abandoned:
                try:
                    claims.release_claim(self.store, monitor, window, owner=self.owner)
                except DriftwatchError as exc:  # the lease expires by itself
                    log.warning("could not release the claim on %s %s: %s", monitor, window, exc)
            with self._lock:
                self._in_flight -= 1
                self._lock.notify_all()
        if abandoned:
            return WindowResult(monitor, window, trigger, "stopped")
        alerts = 0
        if outcome.run_id is not None:
            try:
                alerts = notifications_of_run(self.store, outcome.run_id)
            except DriftwatchError as exc:
                log.warning("could not count the notifications of run %s: %s", outcome.run_id, exc)
        result = WindowResult(monitor, window, trigger, "computed", outcome, alerts)
        _log_run(result, duration, self.owner)
        return result

    def _renewer(self, monitor: str, window: TimeWindow) -> Callable[[], bool]:
        """Renew this runner's claim on ``window``; False once another scheduler holds it."""

        def renew() -> bool:
            now = self.clock()
            return claims.renew_claim(
                self.store, monitor, window, owner=self.owner, now=now, ttl=self.claim_ttl
            )

        return renew

    def _claim(
        self, monitor: str, window: TimeWindow
    ) -> Literal["claimed", "done", "busy", "stopped"]:
        """Claim the window, waiting while a live claim of another scheduler holds it."""
        deadline = time.monotonic() + self.claim_wait.total_seconds()
        while True:
            now = self.clock()
            attempt = claims.claim_window(
                self.store, monitor, window, owner=self.owner, now=now, ttl=self.claim_ttl
            )
            if attempt.acquired:
                if attempt.taken_over:
                    log.warning(
                        "took over the expired claim on %s %s (its scheduler stopped mid-run)",
                        monitor,
                        window,
                    )
                return "claimed"
            if claims.window_done(self.store, monitor, window):
                return "done"
            if time.monotonic() >= deadline:
                waited = self.claim_wait.total_seconds()
                log.warning(
                    "window %s of %s is still claimed by %s after %ss; leaving it for later",
                    window,
                    monitor,
                    attempt.owner,
                    waited,
                )
                return "busy"
            if self.stop.wait(self.poll):
                return "stopped"

    def _compute(
        self, monitor: str, window: TimeWindow, trigger: Trigger, rerun: bool
    ) -> RunOutcome:
        config = self._replacing(monitor) if rerun else self.config
        try:
            outcomes = self.run(
                config,
                self.store,
                [monitor],
                window=window,
                trigger=trigger,
                clock=self.clock,
                claimed_by=self.owner,
            )
            return outcomes[0]
        except Exception as exc:  # a bug in one run never stops the scheduler: record it failed
            log.exception("run of %s %s raised", monitor, window)
            now = self.clock()
            failed = RunOutcome.failure(
                monitor,
                window,
                f"{type(exc).__name__}: {exc}",
                started_at=now,
                finished_at=now,
                trigger=trigger,
                claimed_by=self.owner,
            )
            try:
                saved = self.store.save_run(failed)
            except DriftwatchError as store_exc:
                log.error("could not record the failed run of %s: %s", monitor, store_exc)
                return failed
            return replace(failed, run_id=saved.run_id)

    def _replacing(self, monitor: str) -> Config:
        """The config with ``on_rerun: replace`` for ``monitor`` (backfill --rerun)."""
        monitors = tuple(
            m.model_copy(update={"on_rerun": "replace"}) if m.name == monitor else m
            for m in self.config.monitors
        )
        return self.config.model_copy(update={"monitors": monitors})

    # --- batches ---------------------------------------------------------------------------------

    def scheduled_monitors(self) -> list[MonitorConfig]:
        return [m for m in self.config.monitors if m.schedule is not None]

    def catch_up(self, monitor: str, *, startup: bool = False) -> BatchReport:
        """Compute the windows ``monitor`` owes now, oldest first.

        The window ending at the latest fire time is ``scheduled``, older ones ``catchup`` (at
        ``startup`` every owed window was missed, so all are ``catchup``).
        """
        config = self.config.monitor(monitor)
        schedule = MonitorSchedule(config)
        last_end = claims.last_done_window_end(self.store, monitor, SCHEDULER_TRIGGERS)
        plan = schedule.owed(last_end, self.clock(), config.max_catchup)
        if plan.skipped:
            before = plan.windows[0].start
            log_event(
                log,
                logging.WARNING,
                "catchup_skipped",
                {
                    "monitor": monitor,
                    "skipped": plan.skipped,
                    "max_catchup": config.max_catchup,
                    "before": before,
                },
                note=(
                    f"{plan.skipped} missed windows before {before.isoformat()} exceed "
                    f"max_catchup={config.max_catchup} and are not computed "
                    "(use `driftwatch backfill` for them)"
                ),
            )
        results = []
        for index, window in enumerate(plan.windows):
            if self.stop.is_set():
                break
            latest = index == len(plan.windows) - 1
            trigger: Trigger = "scheduled" if latest and not startup else "catchup"
            result = self.run_window(monitor, window, trigger)
            results.append(result)
            if result.action in ("busy", "stopped"):
                break  # keep windows in order: the rest waits for a later fire
        return BatchReport(monitor, tuple(results), plan.skipped)

    def backfill(
        self,
        monitor: str,
        since: datetime,
        until: datetime,
        *,
        rerun: bool = False,
        max_windows: int = 10_000,
        on_window: Callable[[int, int, WindowResult | None], None] | None = None,
    ) -> BatchReport:
        """Compute every window of ``monitor``'s schedule inside ``[since, until]``, oldest first.

        Windows already done are skipped unless ``rerun``; failed ones are computed again.
        ``on_window(k, n, result)`` hears of progress: once with ``(0, n, None)`` before the first
        window, then after each of the ``n`` windows (for a progress bar).
        """
        if as_utc(since) >= as_utc(until):
            raise SchedulerError(
                f"backfill needs --since before --until, found {as_utc(since).isoformat()} and "
                f"{as_utc(until).isoformat()}"
            )
        schedule = MonitorSchedule(self.config.monitor(monitor))
        windows = schedule.windows_between(since, until, max_windows)
        results: list[WindowResult] = []
        if on_window is not None:
            on_window(0, len(windows), None)
        for window in windows:
            if self.stop.is_set():
                break
            results.append(self.run_window(monitor, window, "backfill", rerun=rerun))
            if on_window is not None:
                on_window(len(results), len(windows), results[-1])
        return BatchReport(monitor, tuple(results))

    # --- the scheduler's job handlers ------------------------------------------------------------

    def fire(self, monitor: str) -> None:
        """A fire of ``monitor``'s job; never raises (one bad monitor never stops the others)."""
        self._serially(monitor, startup=False)

    def startup(self, monitor: str) -> None:
        """The start-up catch-up of ``monitor`` (a job of its own on the pool); never raises."""
        self._serially(monitor, startup=True)

    def _serially(self, monitor: str, *, startup: bool) -> None:
        """One catch-up of ``monitor`` at a time: a fire that arrives during one (the start-up
        catch-up, a long run) makes it plan again when it ends, instead of holding a worker."""
        if self.stop.is_set():
            return
        try:
            self.config.monitor(monitor)
        except DriftwatchError:
            log.warning("job of monitor %r is not in this scheduler's config; ignored", monitor)
            return
        with self._lock:
            if monitor in self._catching_up:
                self._catching_up[monitor] = True
                return
            self._catching_up[monitor] = False
        outage = self._outage(f"job of monitor {monitor!r}")
        try:
            while not self.stop.is_set():
                try:
                    self.catch_up(monitor, startup=startup)
                except DriftwatchError as exc:  # e.g. the database is unreachable: retried
                    outage.failed(exc)
                except Exception as exc:
                    outage.failed(f"{type(exc).__name__}: {exc}", exc_info=True)
                else:
                    outage.succeeded()
                startup = False
                with self._lock:
                    if not self._catching_up[monitor]:
                        break
                    self._catching_up[monitor] = False
        finally:
            with self._lock:
                del self._catching_up[monitor]

    def dispatch(self) -> None:
        """Deliver due notifications of the outbox; never raises."""
        if self.stop.is_set():
            return
        outage = self._outage("outbox dispatch")
        try:
            report = dispatch_pending(self.store, self.config, clock=self.clock, stop=self.stop)
        except DriftwatchError as exc:  # the results database went away: retried every tick
            outage.failed(f"{exc}; retrying at every tick")
            return
        except Exception as exc:
            outage.failed(f"{type(exc).__name__}: {exc}; retrying at every tick", exc_info=True)
            return
        outage.succeeded()
        if report.attempted:
            counts = {"delivered": report.delivered, "retried": report.retried, "dead": report.dead}
            log_event(log, logging.INFO, "outbox", counts)


def _log_run(result: WindowResult, duration: float, owner: str) -> None:
    """The one line of a computed window (README "Scheduling" documents its fields)."""
    outcome = result.outcome
    assert outcome is not None
    fields: dict[str, Any] = {
        "monitor": result.monitor,
        "window_start": result.window.start,
        "window_end": result.window.end,
        "trigger": result.trigger,
        "status": outcome.status,
        "duration_s": round(duration, 3),
        "rows": outcome.n_live,
        "features_drifted": outcome.n_drifted,
        "alerts_sent": result.alerts,
        "run_id": outcome.run_id,
        "owner": owner,
    }
    if outcome.error:
        fields["error"] = outcome.error
    level = logging.WARNING if outcome.status == "failed" else logging.INFO
    log_event(log, level, "run", fields)
