"""`driftwatch run` on the example config with a signed webhook sink, as a user would run it.

First run: one signed notification per newly drifting feature. Second run: none. A run on
undrifted data: the ``resolved`` notifications. Plus: a process killed while sending loses nothing.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from driftwatch.alerts.outbox import dispatch_pending
from driftwatch.config import load_config
from driftwatch.data import DATA_DIR
from driftwatch.store import Store
from driftwatch.timeutil import system_clock
from tests.alerts.conftest import Receiver
from tests.alerts.test_alerts_delivery import SECRET, verify_signature
from tests.helpers import FakeClock, python_env, run_cli, run_python

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow  # `driftwatch run` in real processes


def example_with_webhook(workdir: Path, url: str, *, undrifted: bool = False) -> Path:
    """The example config plus a webhook sink (secret from ${HOOK_SECRET}) on every monitor."""
    config: dict[str, Any] = yaml.safe_load((ROOT / "config" / "example.yaml").read_text())
    for threshold in config["defaults"]["thresholds"].values():
        threshold["kind"] = "constant"
    config["alerts"] = {
        "sinks": [{"name": "hook", "type": "webhook", "url": url, "secret": "${HOOK_SECRET}"}]
    }
    for monitor in config["monitors"]:
        monitor["alerts"] = ["hook"]
    if undrifted:  # next year's data looks like the reference again
        seattle, loan = config["monitors"]
        weather = pd.read_csv(DATA_DIR / "seattle-weather.csv", parse_dates=["date"])
        shifted = weather[weather["date"].dt.year == 2012].copy()
        shifted["date"] = shifted["date"] + pd.DateOffset(years=4)
        shifted.to_csv(workdir / "seattle-2016.csv", index=False)
        seattle["live"].update(path="../seattle-2016.csv", start="2016-01-01", end="2017-01-01")
        # the reference's rows squeezed into January 2020: a manual run covers the newest
        # scheduled month holding data, which must hold them all and be newer than the drifted
        # run's month for the alerts to move
        reference = pd.read_csv(
            DATA_DIR / "nannyml_synthetic_car_loan_reference_every10th.csv",
            parse_dates=["timestamp"],
        )
        stamps = reference["timestamp"]
        share = (stamps - stamps.min()) / (stamps.max() - stamps.min())
        reference["timestamp"] = pd.Timestamp("2020-01-01") + share * pd.Timedelta(days=27)
        reference.to_csv(workdir / "car-loan-2020.csv", index=False)
        loan["live"]["path"] = "../car-loan-2020.csv"
    path = workdir / "config" / ("undrifted.yaml" if undrifted else "hooked.yaml")
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "config", tmp_path / "config")
    shutil.copytree(DATA_DIR, tmp_path / "driftwatch" / "data")
    return tmp_path


def drifting_features(db: Path) -> set[tuple[str, str]]:
    """Features whose deciding metric (the default ``decide_on: [js]``) is at warn or worse: a
    metric that does not decide is stored with its own status but never notifies."""
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT DISTINCT f.monitor, f.feature FROM feature_results f "
            "WHERE f.status IN ('warn', 'critical') AND f.metric = 'js'"
        ).fetchall()
    return {(m, f) for m, f in rows}


def test_run_notifies_new_drift_once_then_nothing_then_resolved(
    workdir: Path, receiver: Receiver
) -> None:
    env = {"HOOK_SECRET": SECRET}
    hooked = example_with_webhook(workdir, receiver.url)
    first = run_cli("run", "--config", str(hooked), cwd=workdir, env=env)
    assert first.returncode == 0, first.stderr
    drifting = drifting_features(workdir / "config" / "driftwatch.db")
    assert len(drifting) >= 4
    payloads = [r.json() for r in receiver.requests]
    assert {(p["monitor"], p["feature"]) for p in payloads} == drifting
    assert len(payloads) == len(drifting)  # one per feature, not one per metric
    assert {p["event"] for p in payloads} == {"firing"}
    for request in receiver.requests:
        assert verify_signature(SECRET, request.headers["x-driftwatch-signature"], request.body)
    assert f"notifications: {len(drifting)} delivered, 0 to retry, 0 dead" in first.stderr

    second = run_cli("run", "--config", str(hooked), cwd=workdir, env=env)
    assert second.returncode == 0, second.stderr
    assert len(receiver.requests) == len(drifting)
    assert "notifications" not in second.stderr

    undrifted = example_with_webhook(workdir, receiver.url, undrifted=True)
    third = run_cli("run", "--config", str(undrifted), cwd=workdir, env=env)
    assert third.returncode == 0, third.stderr
    resolved = [r.json() for r in receiver.requests[len(drifting) :]]
    assert {p["event"] for p in resolved} == {"resolved"}
    assert {(p["monitor"], p["feature"]) for p in resolved} == drifting


def test_a_run_killed_while_sending_is_delivered_by_the_next_dispatcher(
    workdir: Path, receiver: Receiver
) -> None:
    import threading

    receiver.release = threading.Event()  # hold the first request until the sender is dead
    hooked = example_with_webhook(workdir, receiver.url)
    process = subprocess.Popen(
        [sys.executable, "-m", "driftwatch", "run", "--config", str(hooked), "-m", "car-loan"],
        cwd=workdir,
        env=python_env({"HOOK_SECRET": SECRET}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert receiver.arrived.wait(timeout=60), "the run never sent a notification"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    receiver.release.set()
    first_key = receiver.requests[0].headers["x-driftwatch-idempotency-key"]
    receiver.release = None
    config = load_config(hooked, env={**os.environ, "HOOK_SECRET": SECRET})
    later = FakeClock(system_clock() + timedelta(minutes=10))  # past the claim's lease
    store = Store.open(f"sqlite:///{workdir / 'config' / 'driftwatch.db'}")
    try:
        report = dispatch_pending(store, config, clock=later)
    finally:
        store.close()
    keys = [r.headers["x-driftwatch-idempotency-key"] for r in receiver.requests]
    assert report.delivered == len(set(keys)) and report.dead == report.retried == 0
    assert keys.count(first_key) == 2  # re-sent with the same key: the receiver can drop it
    assert len(keys) == len(set(keys)) + 1


def test_a_run_killed_right_after_commit_is_delivered_by_alerts_dispatch(
    workdir: Path, receiver: Receiver
) -> None:
    hooked = example_with_webhook(workdir, receiver.url)
    script = (
        "import os, signal, driftwatch\n"
        "from driftwatch.api import open_store, run_monitors\n"
        f"config = driftwatch.load_config({str(hooked)!r})\n"
        "with open_store(config) as store:\n"
        "    run_monitors(config, store, ['car-loan'])\n"
        "os.kill(os.getpid(), signal.SIGKILL)  # dies after the commit, before any dispatch\n"
    )
    killed = run_python("-c", script, cwd=workdir, env={"HOOK_SECRET": SECRET})
    assert killed.returncode == -signal.SIGKILL
    assert receiver.requests == []
    dispatched = run_cli(
        "alerts", "dispatch", "--config", str(hooked), cwd=workdir, env={"HOOK_SECRET": SECRET}
    )
    assert dispatched.returncode == 0, dispatched.stderr
    assert len(receiver.requests) >= 1
    assert f"{len(receiver.requests)} delivered" in dispatched.stdout
