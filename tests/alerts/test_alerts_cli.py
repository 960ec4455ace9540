"""`driftwatch alerts`: listing, silences, retry and test sends, through the real command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from driftwatch.alerts.outbox import dispatch_pending
from driftwatch.cli import cli
from driftwatch.config import load_config
from driftwatch.store import Store
from tests.alerts.conftest import Receiver, config_dict, run_levels
from tests.helpers import FakeClock


@pytest.fixture
def setup(tmp_path: Path, receiver: Receiver) -> tuple[Path, Store]:
    """A config file with a webhook sink, and its SQLite store already holding one firing alert."""
    database = f"sqlite:///{tmp_path / 'results.db'}"
    data = config_dict(
        sinks=[{"name": "hook", "type": "webhook", "url": receiver.url}], database=database
    )
    path = tmp_path / "driftwatch.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path, Store.open(database)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"COLUMNS": "250"})


def fire(path: Path, store: Store, clock: FakeClock, **levels: Any) -> None:
    run_levels(load_config(path), store, clock, **levels)


def test_alerts_lists_states_and_notifications(setup: tuple[Path, Store], clock: FakeClock) -> None:
    path, store = setup
    fire(path, store, clock, x="critical")
    store.close()
    result = invoke("alerts", "--config", str(path), "--state", "firing")
    assert result.exit_code == 0, result.output
    assert "model" in result.output and "critical" in result.output
    assert "1 pending, 0 sent, 0 dead" in result.output
    features = {line.split()[1] for line in result.output.splitlines() if line.startswith("model ")}
    assert features == {"x"}  # y is ok: filtered out by --state firing


def test_silence_then_unsilence(setup: tuple[Path, Store]) -> None:
    path, store = setup
    store.close()
    made = invoke(
        "alerts", "silence", "--config", str(path), "-m", "model", "-f", "x", "--for", "6h",
        "--reason", "deploy",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert "monitor 'model', feature 'x' muted for 6h" in made.output
    listed = invoke("alerts", "--config", str(path))
    assert "active silences" in listed.output and "deploy" in listed.output
    ended = invoke("alerts", "unsilence", "--config", str(path), "-m", "model")
    assert ended.output.strip() == "1 silence(s) ended"


def test_silencing_an_unknown_monitor_is_a_one_line_error(setup: tuple[Path, Store]) -> None:
    path, store = setup
    store.close()
    result = invoke("alerts", "silence", "--config", str(path), "-m", "nope", "--for", "1h")
    assert result.exit_code == 2
    assert "no monitor named 'nope'" in result.output


def test_a_bad_duration_is_a_usage_error(setup: tuple[Path, Store]) -> None:
    path, store = setup
    store.close()
    result = invoke("alerts", "silence", "--config", str(path), "-m", "model", "--for", "soon")
    assert result.exit_code == 2 and "expected a duration" in result.output


def test_retry_requeues_dead_notifications_and_sends_them(
    setup: tuple[Path, Store], clock: FakeClock, receiver: Receiver
) -> None:
    path, store = setup
    fire(path, store, clock, x="warn")
    receiver.respond(400)
    assert dispatch_pending(store, load_config(path), clock=clock).dead == 1
    store.close()
    listed = invoke("alerts", "--config", str(path))
    assert "0 pending, 0 sent, 1 dead" in listed.output and "HTTP 400" in listed.output
    result = invoke("alerts", "retry", "--config", str(path))
    assert result.exit_code == 0, result.output
    assert "1 dead notification(s) queued again; notifications: 1 delivered" in result.output
    assert len(receiver.requests) == 2


def test_dispatch_command_sends_pending_notifications(
    setup: tuple[Path, Store], clock: FakeClock, receiver: Receiver
) -> None:
    path, store = setup
    fire(path, store, clock, x="warn", y="warn")
    store.close()
    result = invoke("alerts", "dispatch", "--config", str(path))
    assert result.output.strip() == "notifications: 2 delivered, 0 to retry, 0 dead"
    assert len(receiver.requests) == 2


def test_test_command_reports_delivery_and_failure(
    setup: tuple[Path, Store], receiver: Receiver
) -> None:
    path, store = setup
    store.close()
    ok = invoke("alerts", "test", "--config", str(path), "--sink", "hook")
    assert ok.exit_code == 0 and "delivered to sink 'hook'" in ok.output
    receiver.respond(401)
    failed = invoke("alerts", "test", "--config", str(path), "--sink", "hook")
    assert failed.exit_code == 2
    assert "driftwatch: error: webhook sink 'hook'" in failed.output
    assert "HTTP 401" in failed.output


def test_unknown_sink_lists_the_configured_ones(setup: tuple[Path, Store]) -> None:
    path, store = setup
    store.close()
    result = invoke("alerts", "test", "--config", str(path), "--sink", "pager")
    assert result.exit_code == 2
    assert "no alert sink named 'pager'; choose one of: hook" in result.output
