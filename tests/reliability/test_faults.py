"""Faults, with real components and bounded in time: nothing hangs, nothing floods.

Every test runs ``python -m driftwatch`` in a subprocess with an explicit timeout (a hang is a
failure, never a stuck suite) against real servers: a TCP black hole (accepts, never answers) as a
PostgreSQL source, ``pg_sleep`` on the test PostgreSQL server as a statement that never ends, an
HTTP receiver that sleeps as a sink, and a second PostgreSQL cluster started on its own port as
a results database that goes away and comes back.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
import yaml

from tests.helpers import python_env, run_cli
from tests.scheduler.scheduler_helpers import wait_for

THRESHOLDS = {"js": {"kind": "constant", "warn": 0.2, "critical": 0.5}}


# --- helpers ----------------------------------------------------------------------------------


def write_data(folder: Path, *, features: int = 1, drift: float = 0.0, rows: int = 400) -> None:
    """``ref.csv`` and ``live.csv`` (with ``ts`` over the last hour) of numeric ``f0..fN``."""
    rng = np.random.default_rng(17)
    now = datetime.now(UTC).replace(microsecond=0)
    stamps = pd.date_range(now - timedelta(hours=1), now, periods=rows)
    names = [f"f{i}" for i in range(features)]
    reference = {name: rng.normal(size=rows) for name in names}
    live = {name: rng.normal(loc=drift, size=rows) for name in names}
    pd.DataFrame(reference).to_csv(folder / "ref.csv", index=False)
    frame = pd.DataFrame({"ts": stamps.strftime("%Y-%m-%dT%H:%M:%S"), **live})
    frame.to_csv(folder / "live.csv", index=False)


def csv_monitor(name: str, features: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "reference": {"type": "csv", "path": "ref.csv"},
        "live": {"type": "csv", "path": "live.csv", "timestamp_column": "ts"},
        "features": {"numeric": [f"f{i}" for i in range(features)]},
        **extra,
    }


def sql_monitor(name: str, live: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "reference": {"type": "csv", "path": "ref.csv"},
        "live": {"type": "sql", "timestamp_column": "ts", **live},
        "features": {"numeric": ["f0"]},
        **extra,
    }


def config_file(folder: Path, database: str, *monitors: dict[str, Any], **top: Any) -> Path:
    config = {
        "database": database,
        "defaults": {"min_rows": 5, "metrics": ["js"], "thresholds": THRESHOLDS},
        "monitors": list(monitors),
        **top,
    }
    path = folder / "driftwatch.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def driftwatch(folder: Path, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """``python -m driftwatch ARGS`` in ``folder``; a test failure if it outlives ``timeout``."""
    return run_cli(*args, cwd=folder, timeout=timeout)


def rows_of(database: str, sql: str) -> list[Any]:
    """The rows of ``sql`` on the results database; none while a process has yet to create it
    (a SQLite file is never created here: the process under test migrates it)."""
    url = sa.engine.make_url(database)
    if url.get_backend_name() == "sqlite" and not Path(str(url.database)).is_file():
        return []
    engine = sa.create_engine(database)
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.text(sql)).all())
    except sa.exc.OperationalError:  # not migrated yet, or the server is down
        return []
    except sa.exc.ProgrammingError:  # PostgreSQL: no such table yet
        return []
    finally:
        engine.dispose()


def runs_of(database: str) -> dict[str, list[tuple[str, str | None]]]:
    """monitor → [(status, error)] of every stored run, oldest first."""
    found: dict[str, list[tuple[str, str | None]]] = {}
    for monitor, status, error in rows_of(
        database, "SELECT monitor, status, error FROM runs ORDER BY id"
    ):
        found.setdefault(monitor, []).append((status, error))
    return found


class Scheduler:
    """A ``driftwatch schedule`` subprocess, stderr in a file; killed in teardown if alive."""

    def __init__(self, folder: Path, *args: str) -> None:
        self.log = folder / "schedule.log"
        self._stderr = self.log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "driftwatch", "schedule", "--config", "driftwatch.yaml", *args],
            cwd=folder,
            env=python_env(),
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
        )

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def terminate(self, timeout: float) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the scheduler ignored SIGTERM for {timeout} s:\n{self.output()}")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._stderr.close()


@pytest.fixture
def scheduler() -> Iterator[Callable[..., Scheduler]]:
    started: list[Scheduler] = []

    def start(folder: Path, *args: str) -> Scheduler:
        started.append(Scheduler(folder, *args))
        return started[-1]

    yield start
    for process in started:
        process.close()


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A TCP port that accepts connections and never sends a byte (a hung database)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join(timeout=5)
    for connection in held:
        connection.close()
    server.close()


def sleeping_query(seconds: int) -> str:
    """A query whose rows come after ``seconds`` (a statement that does not answer in time)."""
    # clock_timestamp() is volatile: PostgreSQL cannot settle a time filter on it without
    # running the sleep first (now() would let it skip the sleep for a window in the past).
    stamp = "clock_timestamp() - INTERVAL '30 minutes'"
    return f"SELECT {stamp} AS ts, 0.5::float8 AS f0 FROM pg_sleep({seconds})"


# --- SQL sources: connect and statement timeouts, the per-run deadline -----------------------


@pytest.mark.slow
def test_a_source_that_accepts_and_never_answers_fails_at_its_connect_timeout(
    tmp_path: Path, black_hole: int
) -> None:
    write_data(tmp_path)
    database = f"sqlite:///{tmp_path / 'results.db'}"
    hung = sql_monitor(
        "hung", {"url": f"postgresql+psycopg://dw@127.0.0.1:{black_hole}/db", "table": "live"}
    )
    config_file(tmp_path, database, hung, csv_monitor("healthy"))

    done = driftwatch(tmp_path, "run", "--config", "driftwatch.yaml", timeout=60)

    assert done.returncode == 2, done.stderr
    runs = runs_of(database)
    assert [status for status, _ in runs["healthy"]] == ["succeeded"]
    [(status, error)] = runs["hung"]
    assert status == "failed"
    assert error is not None and "\n" not in error
    assert "timeout expired" in error and f"127.0.0.1:{black_hole}" in error


@pytest.mark.slow
@pytest.mark.postgresql
def test_a_statement_past_its_statement_timeout_is_cancelled_by_the_server(
    tmp_path: Path, pg_server_url: str
) -> None:
    write_data(tmp_path)
    database = f"sqlite:///{tmp_path / 'results.db'}"
    live = {"url": pg_server_url, "query": sleeping_query(120), "statement_timeout": "2s"}
    config_file(tmp_path, database, sql_monitor("slow", live), csv_monitor("healthy"))

    done = driftwatch(tmp_path, "run", "--config", "driftwatch.yaml", timeout=60)

    assert done.returncode == 2, done.stderr
    runs = runs_of(database)
    assert [status for status, _ in runs["healthy"]] == ["succeeded"]
    [(status, error)] = runs["slow"]
    assert status == "failed"
    assert error is not None and "statement timeout" in error and "\n" not in error


@pytest.mark.slow
@pytest.mark.postgresql
def test_a_run_past_its_deadline_is_abandoned_and_recorded_failed_while_others_finish(
    tmp_path: Path, pg_server_url: str
) -> None:
    write_data(tmp_path)
    database = f"sqlite:///{tmp_path / 'results.db'}"
    stuck = sql_monitor("stuck", {"url": pg_server_url, "query": sleeping_query(120)})
    stuck["run_timeout"] = "3s"
    config_file(tmp_path, database, stuck, csv_monitor("healthy"))

    done = driftwatch(tmp_path, "run", "--config", "driftwatch.yaml", timeout=60)

    assert done.returncode == 2, done.stderr
    runs = runs_of(database)
    assert [status for status, _ in runs["healthy"]] == ["succeeded"]
    [(status, error)] = runs["stuck"]
    assert status == "failed"
    assert error is not None and "deadline of 3s (run_timeout)" in error and "\n" not in error
    assert done.stderr.count("deadline of 3s") == 1  # said once


# --- sinks: one that sleeps delays no other ---------------------------------------------------


class Receiver:
    """A real HTTP server on 127.0.0.1: records the idempotency key of each JSON POST, or sleeps
    before answering (until released, or ``delay`` seconds)."""

    def __init__(self, *, sleep: bool, delay: float = 0.0) -> None:
        self.keys: list[str] = []
        self.release = threading.Event()
        self.delay = delay
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if sleep:
                    receiver.release.wait(60)
                time.sleep(receiver.delay)
                receiver.keys.append(self.headers["X-Driftwatch-Idempotency-Key"])
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers() -> Iterator[tuple[Receiver, Receiver]]:
    sleeping, answering = Receiver(sleep=True), Receiver(sleep=False)
    yield sleeping, answering
    sleeping.close()
    answering.close()


@pytest.mark.slow
def test_a_sink_that_sleeps_delays_neither_the_other_sink_nor_the_run(
    tmp_path: Path, receivers: tuple[Receiver, Receiver]
) -> None:
    sleeping, answering = receivers
    features = 30  # 30 notifications per sink: one after another at 1 s each took 30 s
    write_data(tmp_path, features=features, drift=3.0)
    database = f"sqlite:///{tmp_path / 'results.db'}"
    sinks = [
        {"name": "asleep", "type": "webhook", "url": sleeping.url, "timeout": "1s"},
        {"name": "awake", "type": "webhook", "url": answering.url, "timeout": "1s"},
    ]
    monitor = csv_monitor("m", features, alerts=["asleep", "awake"])
    config_file(tmp_path, database, monitor, alerts={"sinks": sinks})

    done = driftwatch(tmp_path, "run", "--config", "driftwatch.yaml", timeout=25)

    assert done.returncode == 4, done.stderr  # stored, some notifications undelivered
    engine = sa.create_engine(database)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT sink, status, attempts, idempotency_key FROM notifications")
        ).all()
    engine.dispose()
    awake = {key for sink, status, _, key in rows if sink == "awake" and status == "sent"}
    assert len(awake) == features
    assert sorted(answering.keys) == sorted(awake)  # each once
    asleep = [(status, attempts) for sink, status, attempts, _ in rows if sink == "asleep"]
    assert len(asleep) == features and {status for status, _ in asleep} == {"pending"}
    assert sorted(attempts for _, attempts in asleep) == [0] * (features - 1) + [1]


# --- the scheduler: a stuck monitor delays no other; SIGTERM within a grace ------------------


def stuck_scheduler_config(folder: Path, pg_server_url: str) -> str:
    """A stuck monitor (its live query sleeps 10 min) listed before a healthy one."""
    write_data(folder)
    database = f"sqlite:///{folder / 'results.db'}"
    hourly = {"interval": "1h"}
    stuck = sql_monitor("stuck", {"url": pg_server_url, "query": sleeping_query(600)})
    stuck["schedule"] = hourly
    config_file(folder, database, stuck, csv_monitor("healthy", schedule=hourly))
    return database


def claims_of(database: str, monitor: str) -> list[Any]:
    return rows_of(database, f"SELECT owner FROM window_claims WHERE monitor = '{monitor}'")


@pytest.mark.slow
@pytest.mark.postgresql
def test_a_stuck_monitor_delays_neither_the_catch_up_nor_the_runs_of_the_others(
    tmp_path: Path, pg_server_url: str, scheduler: Callable[..., Scheduler]
) -> None:
    database = stuck_scheduler_config(tmp_path, pg_server_url)
    running = scheduler(tmp_path)

    wait_for(lambda: claims_of(database, "stuck"), 30, "the stuck monitor's window claimed")
    healthy = wait_for(lambda: runs_of(database).get("healthy"), 30, "a run of the healthy one")

    assert [status for status, _ in healthy] in (["succeeded"], ["no_data"]), running.output()
    assert "stuck" not in runs_of(database)  # still computing, and it did not hold the other up


@pytest.mark.slow
@pytest.mark.postgresql
def test_sigterm_stops_within_the_grace_and_leaves_the_stuck_window_to_its_lease(
    tmp_path: Path, pg_server_url: str, scheduler: Callable[..., Scheduler]
) -> None:
    from driftwatch.store import Store, claims

    database = stuck_scheduler_config(tmp_path, pg_server_url)
    running = scheduler(tmp_path, "--stop-grace", "2s", "--claim-ttl", "30s")
    wait_for(lambda: claims_of(database, "stuck"), 30, "the stuck monitor's window claimed")

    assert running.terminate(timeout=20) == 0
    assert "abandoned" in running.output()

    store = Store.open(database)
    try:
        [(window, owner, expires)] = claims.claims_of(store, "stuck")
        early = claims.claim_window(
            store, "stuck", window, owner="next", now=expires - timedelta(seconds=1), ttl=TTL
        )
        late = claims.claim_window(
            store, "stuck", window, owner="next", now=expires + timedelta(seconds=1), ttl=TTL
        )
    finally:
        store.close()
    assert not early.acquired and early.owner == owner  # claimed until the lease expires
    assert late.acquired and late.taken_over  # then retried by whoever comes next


TTL = timedelta(seconds=30)


@pytest.mark.slow
def test_sigterm_during_a_long_outbox_drain_exits_within_the_grace_and_loses_nothing(
    tmp_path: Path, scheduler: Callable[..., Scheduler]
) -> None:
    from driftwatch.store import Store
    from driftwatch.store.outbox import NewNotification, queue

    write_data(tmp_path)
    database = f"sqlite:///{tmp_path / 'results.db'}"
    slow = Receiver(sleep=False, delay=0.05)  # 8 sends at once: ~160 a second, a minute's work
    try:
        sinks = [{"name": "hook", "type": "webhook", "url": slow.url, "timeout": "5s"}]
        hourly = csv_monitor("m", schedule={"interval": "1h"})
        config_file(tmp_path, database, hourly, alerts={"sinks": sinks})
        keys = [f"drain-{i:05d}" for i in range(10_000)]
        store = Store.open(database)
        try:
            with store.session() as session:
                queue(
                    session,
                    [
                        NewNotification(
                            key, "hook", "firing", "m", f"f{i % 50}", "js", "warn", None,
                            {"idempotency_key": key}, datetime.now(UTC),
                        )
                        for i, key in enumerate(keys)
                    ],
                )  # fmt: skip
        finally:
            store.close()
        running = scheduler(tmp_path, "--stop-grace", "3s", "--dispatch-interval", "1s")
        wait_for(lambda: len(slow.keys) >= 300, 60, "the drain under way")

        signalled = time.monotonic()
        assert running.terminate(timeout=30) == 0
        took = time.monotonic() - signalled
        at_exit = len(slow.keys)

        assert took < 3.0 + 1.5, f"{took:.1f} s after SIGTERM, grace 3 s:\n{running.output()}"
        assert '"clean": true' in running.output() or "clean=true" in running.output()
        state = rows_of(database, "SELECT idempotency_key, status, attempts FROM notifications")
        sent = sorted(key for key, status, _ in state if status == "sent")
        pending = [(key, attempts) for key, status, attempts in state if status == "pending"]
        assert len(sent) + len(pending) == len(keys) and pending
        assert sorted(slow.keys) == sent  # every one received was settled, and once
        assert {attempts for _, attempts in pending} == {0}  # claimed, unsent: given back
        time.sleep(0.5)
        assert len(slow.keys) == at_exit  # nothing goes out once it has exited

        slow.delay = 0.0
        done = driftwatch(
            tmp_path, "alerts", "dispatch", "--config", "driftwatch.yaml", timeout=180
        )
        assert done.returncode == 0, done.stderr
        assert sorted(slow.keys) == keys  # all delivered, each exactly once
        print(f"SIGTERM to exit: {took:.2f} s (grace 3 s); {len(sent)} sent before it")
    finally:
        slow.close()


# --- the results database goes away and comes back ------------------------------------------


class Cluster:
    """A PostgreSQL 15 cluster of its own (``pg_createcluster``), stopped and started at will."""

    def __init__(self, name: str, port: int) -> None:
        self.name, self.port = name, port

    def ctl(self, action: str) -> None:
        # As root, pg_ctlcluster runs the server as the cluster's owner (postgres).
        command = [
            "pg_ctlcluster",
            "15",
            self.name,
            action,
            *(["-m", "fast"] if action == "stop" else []),
        ]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    if shutil.which("pg_createcluster") is None or os.geteuid() != 0:
        pytest.skip("needs PostgreSQL's pg_createcluster and root (it creates a cluster)")
    made = Cluster(f"dwfault{uuid.uuid4().hex[:6]}", free_port())
    create = ["pg_createcluster", "15", made.name, "-p", str(made.port), "--", "--auth=trust"]
    subprocess.run(create, check=True, capture_output=True, timeout=120)
    try:
        made.ctl("start")
        admin = sa.create_engine(f"{made.url}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql("CREATE DATABASE results")
        admin.dispose()
        yield made
    finally:
        drop = ["pg_dropcluster", "--stop", "15", made.name]
        subprocess.run(drop, check=False, capture_output=True, timeout=120)


@pytest.mark.slow
def test_a_results_database_outage_is_caught_up_exactly_once_with_a_few_log_lines(
    tmp_path: Path, cluster: Cluster, scheduler: Callable[..., Scheduler]
) -> None:
    write_data(tmp_path)
    database = f"{cluster.url}/results"
    every = timedelta(seconds=2)
    config_file(tmp_path, database, csv_monitor("m", schedule={"interval": "2s"}))
    running = scheduler(tmp_path, "--dispatch-interval", "1s", "--claim-ttl", "6s")
    done = "SELECT window_start, window_end, status, trigger FROM runs ORDER BY window_start"
    wait_for(lambda: len(rows_of(database, done)) >= 2, 60, "the first runs")

    cluster.ctl("stop")
    outage_started = len(running.output().splitlines())
    time.sleep(12)  # six windows of 2 s missed
    cluster.ctl("start")
    back = datetime.now(UTC)
    wait_for(lambda: "recovered after" in running.output(), 60, "the recovery line")
    wait_for(
        lambda: any(end > back + 2 * every for _, end, _, _ in rows_of(database, done)),
        60,
        "runs after the outage",
    )
    assert running.terminate(timeout=30) == 0

    runs = rows_of(database, done)
    assert {status for *_, status, _ in runs} <= {"succeeded", "no_data"}
    windows = [(start, end) for start, end, _, _ in runs]
    assert len(set(windows)) == len(windows)  # each window once
    for (_, before_end), (after_start, _) in itertools.pairwise(windows):
        assert after_start == before_end  # and none missed: the outage was caught up
    assert any(trigger == "catchup" for *_, trigger in runs)
    lines = running.output().splitlines()
    recovered = next(i for i, line in enumerate(lines) if "recovered after" in line)
    during = lines[outage_started : recovered + 1]
    assert "Traceback" not in running.output(), running.output()
    assert len(during) <= 15, "\n".join(during)  # each failing part: once, then its recovery


# --- the parts, without subprocesses ---------------------------------------------------------


def test_run_bounded_returns_the_values_in_the_order_of_the_tasks() -> None:
    from driftwatch.bounded_tasks import Task, run_bounded

    tasks = [Task(lambda _g, i=i: i * 10, 60.0, lambda: -1) for i in range(5)]

    assert run_bounded(tasks, 2) == [0, 10, 20, 30, 40]


def test_a_task_past_its_deadline_is_abandoned_and_may_not_publish() -> None:
    from driftwatch.bounded_tasks import Abandoned, Guard, Task, run_bounded

    release, finished = threading.Event(), threading.Event()
    published: list[str] = []

    def stuck(guard: Guard) -> str:
        release.wait(30)
        try:
            guard.commit()
            published.append("late")
        except Abandoned:
            published.append("refused")
            raise
        finally:
            finished.set()
        return "late"

    values = run_bounded(
        [Task(stuck, 0.2, lambda: "abandoned"), Task(lambda _g: "ok", 30.0, str)], 2
    )
    release.set()
    finished.wait(30)

    assert values == ["abandoned", "ok"]
    assert published == ["refused"]


def test_a_committed_task_is_waited_for_past_its_deadline() -> None:
    from driftwatch.bounded_tasks import Guard, Task, run_bounded

    def committing(guard: Guard) -> str:
        guard.commit()
        time.sleep(0.4)  # its write, bounded by the store's own timeouts
        return "written"

    assert run_bounded([Task(committing, 0.1, lambda: "abandoned")], 1) == ["written"]


def test_a_deadline_counts_from_the_start_of_its_task_not_of_the_batch() -> None:
    from driftwatch.bounded_tasks import Task, run_bounded

    def nap(_guard: object) -> str:
        time.sleep(0.3)
        return "ok"

    seen: list[tuple[int, str]] = []
    tasks = [Task(nap, 1.0, lambda: "abandoned", name=f"nap-{i}") for i in range(3)]
    values = run_bounded(tasks, 1, on_result=lambda i, v: seen.append((i, v)))

    assert values == ["ok", "ok", "ok"]  # 0.9 s in all, each under its own 1 s
    assert seen == [(0, "ok"), (1, "ok"), (2, "ok")]


def test_an_abandoned_task_runs_on_a_daemon_thread() -> None:
    from driftwatch.bounded_tasks import Task, run_bounded

    release = threading.Event()
    task = Task(lambda _g: release.wait(30), 0.1, lambda: False, name="stuck-forever")
    try:
        assert run_bounded([task], 1) == [False]
        (stuck,) = [t for t in threading.enumerate() if t.name == "stuck-forever"]
        assert stuck.daemon  # it cannot keep the process alive
    finally:
        release.set()


def test_run_bounded_runs_at_most_workers_tasks_at_once() -> None:
    from driftwatch.bounded_tasks import Task, run_bounded

    lock, running, most = threading.Lock(), [0], [0]
    meet = threading.Barrier(3, timeout=30)  # passes only when three run together

    def task(_guard: object) -> None:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        meet.wait()
        with lock:
            running[0] -= 1

    run_bounded([Task(task, 60.0, lambda: None) for _ in range(9)], 3)

    assert most[0] == 3


def test_a_task_that_raises_raises_in_the_caller_after_the_others() -> None:
    from driftwatch.bounded_tasks import Task, run_bounded

    done: list[int] = []

    def boom(_guard: object) -> int:
        raise RuntimeError("bug")

    tasks = [Task(boom, 30.0, lambda: 0), Task(lambda _g: done.append(1) or 1, 30.0, lambda: 0)]
    with pytest.raises(RuntimeError, match="bug"):
        run_bounded(tasks, 2)
    assert done == [1]


def test_ticks_skipped_while_an_outbox_pass_runs_log_one_warning_then_its_end(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    from driftwatch.scheduler.serve import _Handlers

    class Runner:
        passes = 0

        def dispatch(self) -> None:
            self.passes += 1
            skipped = 30 if self.passes == 1 else 0  # a long pass, then one within its tick
            for _ in range(skipped):  # APScheduler's warning at each tick the pass outlasts
                apscheduler.warning(
                    'Execution of job "%s" skipped: maximum number of running instances '
                    "reached (%d)",
                    "outbox dispatch (trigger: interval[0:00:05], next run at: 2026-03-01)",
                    1,
                )

    apscheduler = logging.getLogger("apscheduler.scheduler")
    handlers = _Handlers(Runner())  # type: ignore[arg-type]
    apscheduler.addFilter(handlers.quiet)
    caplog.set_level(logging.INFO)
    try:
        handlers.dispatch()
        handlers.dispatch()  # a pass within its tick: nothing to say
    finally:
        apscheduler.removeFilter(handlers.quiet)

    lines = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert len(lines) == 2, lines  # one WARNING for the stretch, then its end; not 30
    assert lines[0][0] == "WARNING" and "skipped: maximum number of running" in lines[0][1]
    assert lines[1][0] == "WARNING" and "recovered after" in lines[1][1]
    assert "(30 failures)" in lines[1][1]
    assert handlers.wait_dispatched(0)


@pytest.mark.slow
def test_sigterm_abandons_a_send_stuck_past_the_grace_and_its_row_stays_pending(
    tmp_path: Path, scheduler: Callable[..., Scheduler], receivers: tuple[Receiver, Receiver]
) -> None:
    sleeping, _ = receivers
    write_data(tmp_path, features=5, drift=3.0)  # the catch-up queues 5 notifications
    database = f"sqlite:///{tmp_path / 'results.db'}"
    sinks = [{"name": "stuck", "type": "webhook", "url": sleeping.url, "timeout": "20s"}]
    monitor = csv_monitor("m", 5, schedule={"interval": "1h"}, alerts=["stuck"])
    config_file(tmp_path, database, monitor, alerts={"sinks": sinks})
    running = scheduler(tmp_path, "--stop-grace", "3s", "--dispatch-interval", "1s")
    claimed = "SELECT attempts FROM notifications WHERE attempts > 0"
    wait_for(lambda: rows_of(database, claimed), 60, "a send in flight")

    signalled = time.monotonic()
    assert running.terminate(timeout=30) == 0
    took = time.monotonic() - signalled

    assert took < 3.0 + 1.5, f"{took:.1f} s after SIGTERM, grace 3 s:\n{running.output()}"
    assert "the outbox pass still had sends in flight after the 3s grace" in running.output()
    states = rows_of(database, "SELECT status, attempts FROM notifications ORDER BY id")
    assert sorted(states) == [("pending", 0)] * 4 + [("pending", 1)]  # the stuck one leased
    assert sleeping.keys == []


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_outage_is_logged_in_full_once_then_counted_then_its_recovery(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    from driftwatch.logevents import Outage

    ticks = Ticks()
    outage = Outage(logging.getLogger("test.outage"), "outbox dispatch", every=60, clock=ticks)
    caplog.set_level(logging.INFO, logger="test.outage")
    for second in range(40):  # one failure a second for 40 s
        ticks.now = float(second)
        try:
            raise ConnectionError("database is gone")
        except ConnectionError as exc:
            outage.failed(exc, exc_info=True)
    ticks.now = 70.0
    outage.failed("database is gone")
    ticks.now = 75.5
    outage.succeeded()
    outage.succeeded()  # nothing more to say

    lines = [record.getMessage() for record in caplog.records]
    assert lines == [
        "outbox dispatch failed: database is gone",
        "outbox dispatch still failing: 41 failures in 70 s; latest: database is gone",
        "outbox dispatch recovered after 75.5 s (41 failures)",
    ]
    assert caplog.records[0].exc_info is not None  # the first one in full


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(
            "postgresql+psycopg://u@h/db",
            {"connect_timeout": 3, "options": "-c statement_timeout=90000"},
            id="postgresql",
        ),
        pytest.param(
            "postgresql+psycopg2://u@h/db?options=-csearch_path%3Dx",
            {"connect_timeout": 3, "options": "-csearch_path=x -c statement_timeout=90000"},
            id="postgresql-keeps-url-options",
        ),
        pytest.param(
            "mysql+pymysql://u@h/db",
            {"connect_timeout": 3, "read_timeout": 90, "write_timeout": 90},
            id="mysql",
        ),
        pytest.param("sqlite:///x.db", {"timeout": 3.0}, id="sqlite"),
        pytest.param("mssql+pyodbc://u@dsn", {}, id="other-dialects-none"),
    ],
)
def test_sql_sources_pass_their_timeouts_in_each_dialects_terms(
    url: str, expected: dict[str, Any]
) -> None:
    from driftwatch.sources.sql import timeout_args

    assert timeout_args(url, timedelta(seconds=2.5), timedelta(seconds=90)) == expected


def test_a_failing_sink_defers_its_other_notifications_and_delays_no_other_sink(
    store: Any, tmp_path: Path
) -> None:
    import httpx

    from driftwatch.alerts.outbox import dispatch_pending
    from driftwatch.config import Config
    from driftwatch.store.outbox import NewNotification, queue

    config = Config.model_validate(
        {
            "alerts": {
                "sinks": [
                    {"name": "down", "type": "webhook", "url": "http://down.invalid/hook"},
                    {"name": "up", "type": "webhook", "url": "http://up.invalid/hook"},
                ]
            },
            "monitors": [csv_monitor("m", alerts=["down", "up"])],
        },
        context={"base_dir": tmp_path},
    )
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with store.session() as session:
        queue(
            session,
            [
                NewNotification(
                    f"{sink}-{i}", sink, "firing", "m", f"f{i}", "js", "critical", None, {}, now
                )
                for i in range(3)
                for sink in ("down", "up")
            ],
        )
    hosts: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        return httpx.Response(503 if request.url.host == "down.invalid" else 200)

    report = dispatch_pending(
        store, config, clock=lambda: now, transport=httpx.MockTransport(answer)
    )

    assert (report.delivered, report.retried, report.deferred, report.dead) == (3, 1, 2, 0)
    assert hosts.count("down.invalid") == 1 and hosts.count("up.invalid") == 3
    assert str(report) == "3 delivered, 1 to retry, 0 dead, 2 deferred"


# --- the dashboard view does not read the whole history -------------------------------------


def test_latest_feature_results_probes_the_runs_instead_of_sorting_them(tmp_path: Path) -> None:
    # The plan, not a timing (benchmarks/dashboard_queries.py times it): 0004's view sorted every
    # finished run by window (a temp B-tree under the window function), 229 ms at 50k runs.
    from driftwatch.store import Store

    store = Store.open(f"sqlite:///{tmp_path / 'results.db'}")
    try:
        with store.engine.connect() as connection:
            plan = [
                str(row[3])
                for row in connection.exec_driver_sql(
                    "EXPLAIN QUERY PLAN SELECT * FROM latest_feature_results"
                )
            ]
    finally:
        store.close()

    assert not [line for line in plan if "TEMP B-TREE" in line], plan
    assert any("ix_runs_monitor_window_end_id (monitor=?)" in line for line in plan), plan
    assert any(line.startswith("SEARCH f USING INDEX") for line in plan), plan
