"""No secret (webhook secret, token, SMTP or DB password) reaches logs, rows or errors."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from driftwatch.data import DATA_DIR
from tests.alerts.conftest import SMTP_USER, Receiver, SmtpServer
from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]
HOOK_SECRET = "hooksecret-7f3a9c1e5b"
HOOK_TOKEN = "bearertoken-2d8e4f6a0c"
DB_PASSWORD = "dbpassword-9b1c3e5d7f"
SLACK_TOKEN = "slacktoken-5e7a9b2c4d"  # an incoming-webhook URL's path is its credential


def _config(database_url: str, receiver: Receiver, smtp: SmtpServer) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((ROOT / "config" / "example.yaml").read_text())
    config["monitors"] = [m for m in config["monitors"] if m["name"] == "car-loan"]
    for threshold in config["defaults"]["thresholds"].values():
        threshold["kind"] = "constant"
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "postgresql":  # the server trusts 127.0.0.1: any password works
        config["database"] = (
            f"{url.drivername}://{url.username}:${{DB_PASSWORD}}@{url.host}:{url.port}/"
            f"{url.database}"
        )
    else:
        config["database"] = database_url
    config["alerts"] = {
        "max_attempts": 2,
        "sinks": [
            {
                "name": "hook",
                "type": "webhook",
                "url": receiver.url,
                "secret": "${HOOK_SECRET}",
                "headers": {"Authorization": "Bearer ${HOOK_TOKEN}"},
            },
            {
                "name": "chat",
                "type": "slack",
                "url": receiver.url.replace("/hook", "/services/T0/B0/${SLACK_TOKEN}"),
            },
            {
                "name": "mail",
                "type": "email",
                "host": smtp.host,
                "port": smtp.port,
                "username": SMTP_USER,
                "password": "${SMTP_PASSWORD}",
                "sender": "dw@example.com",
                "recipients": ["oncall@example.com"],
            },
        ],
    }
    config["monitors"][0]["alerts"] = ["hook", "chat", "mail"]
    return config


def test_no_secret_appears_in_logs_rows_or_errors(
    tmp_path: Path, database_url: str, receiver: Receiver, smtp_server: SmtpServer
) -> None:
    shutil.copytree(ROOT / "config", tmp_path / "config")
    shutil.copytree(DATA_DIR, tmp_path / "driftwatch" / "data")
    path = tmp_path / "config" / "secret.yaml"
    path.write_text(yaml.safe_dump(_config(database_url, receiver, smtp_server)))
    secrets = [HOOK_SECRET, HOOK_TOKEN, DB_PASSWORD, SLACK_TOKEN, smtp_server.password]
    env = {
        "HOOK_SECRET": HOOK_SECRET,
        "HOOK_TOKEN": HOOK_TOKEN,
        "DB_PASSWORD": DB_PASSWORD,
        "SLACK_TOKEN": SLACK_TOKEN,
        "SMTP_PASSWORD": smtp_server.password,
    }
    receiver.respond(500, 401, 500)  # failures put error texts in the rows and on stderr
    debug = ("--log-level", "debug")
    outputs = []
    for args in (
        ("run", "--config", str(path)),
        ("alerts", "test", "--config", str(path), "--sink", "hook"),  # 401: an error line
        ("alerts", "--config", str(path)),
        ("alerts", "retry", "--config", str(path)),
        ("alerts", "test", "--config", str(path), "--sink", "chat"),
    ):
        result = run_cli(*debug, *args, cwd=tmp_path, env=env)
        outputs.append(result.stdout + result.stderr)
    assert "HTTP 401" in "".join(outputs) and "HTTP 500" in "".join(outputs)
    assert len(smtp_server.messages) >= 1  # the SMTP password was used successfully
    assert any(r.headers.get("authorization") == f"Bearer {HOOK_TOKEN}" for r in receiver.requests)
    assert any(SLACK_TOKEN in r.path for r in receiver.requests)
    text = "\n".join(outputs)
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            for table in sa.inspect(engine).get_table_names():
                for row in connection.execute(sa.text(f'SELECT * FROM "{table}"')):
                    text += "\n" + repr(tuple(row))
    finally:
        engine.dispose()
    assert "firing" in text and "'sent'" in text  # the rows really were read
    leaked = [s for s in secrets if s in text]
    assert leaked == []
