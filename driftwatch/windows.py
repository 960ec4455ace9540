"""Scheduled windows: which windows a monitor owes, and computing each of them exactly once.

Every fire of a monitor's job (and the scheduler's start) computes, in order, the windows owed
since the monitor's last done window — the window ending at the fire time, plus those missed while
the process was down, coalesced or delayed, at most ``max_catchup`` of them. ``backfill`` computes
a given range of history. Each window goes through :meth:`WindowRunner.run_window`: skip it if a
done run exists, claim it in the database (waiting while another scheduler computes it), check
again, compute and save it through :func:`driftwatch.api.run_monitors` (one transaction), release
the claim, and log one structured line.

"Last done window" counts runs made by the scheduler or backfill (triggers ``scheduled``,
``catchup``, ``backfill``): manual ``driftwatch run`` calls may use other window keys (the whole
live data, a fixed range) that say nothing about which scheduled windows are done.
"""

from __future__ import annotations

import importlib
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

from driftwatch.api import run_monitors
from driftwatch.config import Config, MonitorConfig
from driftwatch.errors import DriftwatchError, SchedulerError
from driftwatch.results import RunOutcome, Trigger
from driftwatch.scheduler import (
    MonitorSchedule,
    SchedulerService,
    StoredJob,
    count_fire_times,
    stored_jobs,
)
from driftwatch.store import claims
from driftwatch.store.repository import Store
from driftwatch.store.status import (
    LastRun,
    alert_states,
    last_run,
    notifications_of_run,
    outbox_counts,
)
from driftwatch.timeutil import Clock, TimeWindow, as_utc, system_clock

__all__ = [
    "SCHEDULER_TRIGGERS",
    "BatchReport",
    "MonitorStatus",
    "WindowResult",
    "WindowRunner",
    "default_owner",
    "monitor_statuses",
    "serve",
]

log = logging.getLogger("driftwatch.scheduler")

SCHEDULER_TRIGGERS = ("scheduled", "catchup", "backfill")
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
    action: Literal["computed", "done", "busy", "stopped"]
    outcome: RunOutcome | None = None
    alerts: int = 0

    @property
    def status(self) -> str:
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
    """Renews a claim's lease every third of its TTL while the window is being computed."""

    def __init__(self, renew: Callable[[], bool], ttl: timedelta, label: str) -> None:
        self._renew = renew
        self._period = max(ttl.total_seconds() / 3, 0.05)
        self._label = label
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"claim {label}", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._done.wait(self._period):
            try:
                if not self._renew():
                    log.warning("claim on %s was taken over by another scheduler", self._label)
                    return
            except DriftwatchError as exc:
                log.warning("could not renew the claim on %s: %s", self._label, exc)


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
    run: RunFunction = run_monitors
    poll: float = 0.2

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
        try:
            if not rerun and claims.window_done(self.store, monitor, window):
                return WindowResult(monitor, window, trigger, "done")  # finished while we waited

            def renew() -> bool:
                return claims.renew_claim(
                    self.store, monitor, window, owner=self.owner, now=self.clock(),
                    ttl=self.claim_ttl,
                )  # fmt: skip

            started = time.perf_counter()
            with _Heartbeat(renew, self.claim_ttl, f"{monitor} {window}"):
                outcome = self._compute(monitor, window, trigger, rerun)
            duration = time.perf_counter() - started
        finally:
            try:
                claims.release_claim(self.store, monitor, window, owner=self.owner)
            except DriftwatchError as exc:  # the lease expires by itself
                log.warning("could not release the claim on %s %s: %s", monitor, window, exc)
        alerts = 0
        if outcome.run_id is not None:
            try:
                alerts = notifications_of_run(self.store, outcome.run_id)
            except DriftwatchError as exc:
                log.warning("could not count the notifications of run %s: %s", outcome.run_id, exc)
        result = WindowResult(monitor, window, trigger, "computed", outcome, alerts)
        _log_run(result, duration, self.owner)
        return result

    def _claim(
        self, monitor: str, window: TimeWindow
    ) -> Literal["claimed", "done", "busy", "stopped"]:
        """Claim the window, waiting while a live claim of another scheduler holds it."""
        deadline = time.monotonic() + self.claim_wait.total_seconds()
        while True:
            attempt = claims.claim_window(
                self.store, monitor, window, owner=self.owner, now=self.clock(),
                ttl=self.claim_ttl,
            )  # fmt: skip
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
                log.warning(
                    "window %s of %s is still claimed by %s after %ss; leaving it for later",
                    window, monitor, attempt.owner, self.claim_wait.total_seconds(),
                )  # fmt: skip
                return "busy"
            if self.stop.wait(self.poll):
                return "stopped"

    def _compute(
        self, monitor: str, window: TimeWindow, trigger: Trigger, rerun: bool
    ) -> RunOutcome:
        config = self._replacing(monitor) if rerun else self.config
        try:
            outcomes = self.run(
                config, self.store, [monitor], window=window, trigger=trigger, clock=self.clock,
                claimed_by=self.owner,
            )  # fmt: skip
            return outcomes[0]
        except Exception as exc:  # a bug in one run never stops the scheduler: record it failed
            log.exception("run of %s %s raised", monitor, window)
            now = self.clock()
            failed = RunOutcome(
                monitor=monitor,
                window=window,
                status="failed",
                started_at=now,
                finished_at=now,
                duration_seconds=0.0,
                error=f"{type(exc).__name__}: {exc}",
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
            log.warning(
                "catchup monitor=%s skipped=%d: %d missed windows before %s exceed "
                "max_catchup=%d and are not computed (use `driftwatch backfill` for them)",
                monitor, plan.skipped, plan.skipped, plan.windows[0].start.isoformat(),
                config.max_catchup,
                extra={"fields": {"event": "catchup_skipped", "monitor": monitor,
                                  "skipped": plan.skipped, "max_catchup": config.max_catchup,
                                  "before": plan.windows[0].start.isoformat()}},
            )  # fmt: skip
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
    ) -> BatchReport:
        """Compute every window of ``monitor``'s schedule inside ``[since, until]``, oldest first.

        Windows already done are skipped unless ``rerun``; failed ones are computed again.
        """
        if as_utc(since) >= as_utc(until):
            raise SchedulerError(
                f"backfill needs --since before --until, found {as_utc(since).isoformat()} and "
                f"{as_utc(until).isoformat()}"
            )
        schedule = MonitorSchedule(self.config.monitor(monitor))
        windows = schedule.windows_between(since, until, max_windows)
        results = []
        for window in windows:
            if self.stop.is_set():
                break
            results.append(self.run_window(monitor, window, "backfill", rerun=rerun))
        return BatchReport(monitor, tuple(results))

    # --- the scheduler's job handlers ------------------------------------------------------------

    def fire(self, monitor: str) -> None:
        """A fire of ``monitor``'s job; never raises (one bad monitor never stops the others)."""
        if self.stop.is_set():
            return
        try:
            self.config.monitor(monitor)
        except DriftwatchError:
            log.warning("job of monitor %r is not in this scheduler's config; ignored", monitor)
            return
        try:
            self.catch_up(monitor)
        except DriftwatchError as exc:  # e.g. the database is unreachable: the next fire retries
            log.error("job of monitor %r failed: %s", monitor, exc)
        except Exception:
            log.exception("job of monitor %r failed", monitor)

    def dispatch(self) -> None:
        """Deliver due notifications of the outbox; never raises."""
        if self.stop.is_set():
            return
        try:  # imported when first used: the alerts package owns delivery
            dispatch_pending = importlib.import_module("driftwatch.alerts").dispatch_pending
        except (ImportError, AttributeError) as exc:
            log.debug("outbox dispatch unavailable: %s", exc)
            return
        try:
            report = dispatch_pending(self.store, self.config, clock=self.clock)
        except Exception:
            log.exception("outbox dispatch failed; retrying at the next tick")
            return
        counts = {k: getattr(report, k, 0) for k in ("delivered", "retried", "dead")}
        if any(counts.values()):
            log.info(
                "outbox delivered=%d retried=%d dead=%d",
                counts["delivered"], counts["retried"], counts["dead"],
                extra={"fields": {"event": "outbox", **counts}},
            )  # fmt: skip


def _log_run(result: WindowResult, duration: float, owner: str) -> None:
    outcome = result.outcome
    assert outcome is not None
    fields: dict[str, Any] = {
        "event": "run",
        "monitor": result.monitor,
        "window_start": result.window.start.isoformat(),
        "window_end": result.window.end.isoformat(),
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
    message = (
        f"run monitor={result.monitor} window={result.window} trigger={result.trigger} "
        f"status={outcome.status} duration={duration:.3f}s rows={outcome.n_live} "
        f"drifted={outcome.n_drifted} alerts={result.alerts}"
    )
    if outcome.error:
        message += f" error={outcome.error}"
    log.log(level, "%s", message, extra={"fields": fields})


# --- serving ---------------------------------------------------------------------------------


def serve(
    runner: WindowRunner,
    *,
    dispatch_interval: timedelta = timedelta(seconds=5),
    on_ready: Callable[[SchedulerService], None] | None = None,
) -> None:
    """Run the scheduler until ``runner.stop`` is set, then finish the run in flight and return.

    On start: sync the stored jobs with the config, catch every scheduled monitor up, then let
    jobs fire. Raises SchedulerError when no monitor has a schedule.
    """
    scheduled = runner.scheduled_monitors()
    if not scheduled:
        where = f" in {runner.config.source_file}" if runner.config.source_file else ""
        raise SchedulerError(
            f'no monitor{where} has a schedule; add `schedule: {{cron: "0 * * * *"}}` (or '
            "`{interval: 1h}`) to the monitors to run"
        )
    for monitor in scheduled:
        MonitorSchedule(monitor)  # refuse an unschedulable monitor before anything starts
    for monitor in runner.config.monitors:
        if monitor.schedule is None:
            log.info("monitor %s has no schedule: not scheduled", monitor.name)
    service = SchedulerService(
        runner.config,
        runner.store.engine,
        runner,
        dispatch_interval=dispatch_interval,
        max_workers=min(len(scheduled) + 1, 8),
    )
    report = service.start()
    try:
        log.info(
            "scheduler %s synced jobs: added=%s updated=%s removed=%s unchanged=%s",
            runner.owner, list(report.added), list(report.updated), list(report.removed),
            list(report.unchanged),
            extra={"fields": {"event": "sync", "owner": runner.owner,
                              "added": list(report.added), "updated": list(report.updated),
                              "removed": list(report.removed),
                              "unchanged": list(report.unchanged)}},
        )  # fmt: skip
        for monitor in scheduled:
            if runner.stop.is_set():
                break
            try:
                runner.catch_up(monitor.name, startup=True)
            except DriftwatchError as exc:
                log.error("catch-up of monitor %r failed: %s", monitor.name, exc)
        if not runner.stop.is_set():
            service.resume()
            log.info(
                "scheduler running: %d monitors", len(scheduled),
                extra={"fields": {"event": "started", "monitors": [m.name for m in scheduled],
                                  "next_fire": {k: v.isoformat() if v else None
                                                for k, v in service.next_fire_times().items()}}},
            )  # fmt: skip
            if on_ready is not None:
                on_ready(service)
        while not runner.stop.wait(0.5):
            pass
        log.info("scheduler stopping: finishing the run in flight")
    finally:
        runner.stop.set()
        service.shutdown(wait=True)
    log.info("scheduler stopped", extra={"fields": {"event": "stopped"}})


# --- status ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonitorStatus:
    """One line of ``driftwatch status``."""

    monitor: str
    schedule: str | None
    next_fire: datetime | None
    job_state: Literal["scheduled", "not scheduled", "config changed", "no schedule"]
    last: LastRun | None
    owed: int
    beyond_catchup: int
    gaps: int
    """Windows since the first computed one (under the current schedule) with no done run:
    failed ones and ones given up beyond ``max_catchup``, plus those owed now."""
    alerts: dict[tuple[str, str | None], int]


def _gaps(schedule: MonitorSchedule, store: Store, now: datetime) -> int:
    latest = schedule.latest_fire(now)
    if latest is None:
        return 0
    name = schedule.monitor.name
    first_end, done = claims.done_windows(store, name, SCHEDULER_TRIGGERS, latest)
    if first_end is None:
        return 0
    expected = count_fire_times(schedule.trigger, first_end - timedelta(microseconds=1), latest)
    return max(0, expected - done)


def monitor_statuses(
    config: Config, store: Store, *, clock: Clock = system_clock
) -> tuple[list[MonitorStatus], dict[str, int]]:
    """Per monitor: next fire, last run, windows owed and alert states; plus the outbox counts."""
    jobs: dict[str, StoredJob] = stored_jobs(store.engine)
    now = clock()
    statuses = []
    for monitor in config.monitors:
        job = jobs.get(monitor.name)
        try:
            schedule = MonitorSchedule(monitor) if monitor.schedule is not None else None
        except SchedulerError:  # scheduled without a timestamp column: `schedule` refuses it
            schedule = None
        owed = beyond = gaps = 0
        state: Literal["scheduled", "not scheduled", "config changed", "no schedule"]
        if schedule is None:
            state, next_fire = "no schedule", job.next_fire if job else None
        else:
            last_end = claims.last_done_window_end(store, monitor.name, SCHEDULER_TRIGGERS)
            plan = schedule.owed(last_end, now, monitor.max_catchup)
            owed, beyond = len(plan.windows) + plan.skipped, plan.skipped
            gaps = _gaps(schedule, store, now)
            if job is None:
                state, next_fire = "not scheduled", None
            else:
                changed = job.trigger != repr(schedule.trigger)
                state, next_fire = ("config changed" if changed else "scheduled"), job.next_fire
        statuses.append(
            MonitorStatus(
                monitor=monitor.name,
                schedule=schedule.describe() if schedule else None,
                next_fire=next_fire,
                job_state=state,
                last=last_run(store, monitor.name),
                owed=owed,
                beyond_catchup=beyond,
                gaps=gaps,
                alerts=alert_states(store, monitor.name),
            )
        )
    return statuses, outbox_counts(store)
