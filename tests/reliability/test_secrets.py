"""No password and no ``${VAR}`` value of a query is shown or stored anywhere (the secrets audit).

Twenty passwords, between them holding every character that means something in a URL (``@ / : # ?
% & = + ;``, a space, quotes, a backslash, brackets, braces) and non-ASCII letters, are put

* in the results database URL: a PostgreSQL server with no such database, a port nobody listens
  on, and a SQLite file in a folder that does not exist;
* in a SQL source's URL: the same two failing PostgreSQL targets, and a working one (the test
  server trusts any password) whose table lacks a feature, so the run stores an ``error`` row and
  a notification naming the source;
* as a ``${VAR}`` value inside a SQL source's ``query`` (a SQLite source whose query also lacks a
  feature; a value holding a quote makes it a syntax error, and the driver quotes a piece of it),

each written raw (refused when SQLAlchemy would misread it) and percent-encoded. ``run``
(``--log-format`` json and text at debug level), ``validate``, ``status``, ``metrics`` and
``report --html`` go through the CLI; their stdout, stderr (error lines and log records), the HTML
file and every text column of every table of the results database must hold no 4-character piece
of the password as written, nor of its percent-encoded form (:func:`pieces`). Each password's
letters are random (``Zq9w``), so every piece is one no honest output contains.

The CliRunner matrix runs in-process, a test per password; the ``slow`` ones run
``python -m driftwatch`` (real stderr, JSON logs) on one config holding every password.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd
import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner

from driftwatch.cli import cli
from driftwatch.sources.sql import dispose_engines
from tests.pg_helpers import created_pg_database
from tests.reliability.harness import LIVE_CSV, REF_CSV

REPO_ROOT = Path(__file__).resolve().parents[2]

PASSWORDS = [
    pytest.param("Zq9wK@Lm3x", id="at"),
    pytest.param("Vb7nR/Tp4s", id="slash"),
    pytest.param("Hj2kQ:Wd8f", id="colon"),
    pytest.param("Yc5mN#Gx1r", id="hash"),
    pytest.param("Pk3vB?Jt6w", id="question"),
    pytest.param("Fs8dL%Rq2z%Cx7Ub%4eWk", id="percent"),
    pytest.param("Mw4hT&Xe9c=Ko1", id="ampersand-equals"),
    pytest.param("Qe1jS+Vn7b", id="plus"),
    pytest.param("Ld9fW;Hc2t", id="semicolon"),
    pytest.param("Gt5pZ Bm8k", id="space"),
    pytest.param("Xa2cE'Yu6j", id="single-quote"),
    pytest.param('Ro7sD"Ni4v', id="double-quote"),
    pytest.param("Ku3xA\\Fz9q", id="backslash"),
    pytest.param("Bi8yC[Ow1e]Sd", id="brackets"),
    pytest.param("Tz6nM{Pe5h}Wa", id="braces"),
    pytest.param("Éq4wÜzRr7ßd€Nk", id="unicode"),
    pytest.param("p@ssZq9/w:rd#Sk7Ret1", id="audit-at-slash-colon-hash"),
    pytest.param("ab@cd:ef/ghWq7v", id="audit-at-colon-slash"),
    pytest.param("Jx@4Kp/Vw:Yq#7?Hs", id="at-slash-colon-hash-question"),
    pytest.param("J@m/4:K#q?%x&=Z+;9 'w\"B\\[p]{7}Üa", id="every-character"),
]
FORMS = ["raw", "encoded"]
ABSENT_DB = "dw_secrets_absent_db"


def pieces(password: str) -> set[str]:
    """Every 4-character piece of the password as written, and every one of its percent-encoded
    form that holds at least two of the password's own letters: ``3Ard`` (of ``%3Ard``) is the
    password's, ``%2Fw`` or ``2z%2`` are in any page that embeds a percent-encoded SVG."""
    found = {password[i : i + 4] for i in range(len(password) - 3)}
    encoded = quote(password, safe="")
    letter = [char.isalpha() for char in encoded]
    for i, char in enumerate(encoded):
        if char == "%":  # %XX: an escape, not the password's letters
            letter[i : i + 3] = [False] * 3
    for i in range(len(encoded) - 3):
        if sum(letter[i : i + 4]) >= 2:
            found.add(encoded[i : i + 4])
    return found


def in_url(password: str, form: str) -> str:
    return password if form == "raw" else quote(password, safe="")


def assert_hidden(password: str, outputs: Mapping[str, str]) -> None:
    """No output holds a piece of ``password``; the message names the output and the piece."""
    wanted = pieces(password)
    for where, text in outputs.items():
        for piece in sorted(wanted):
            at = text.find(piece)
            assert at < 0, (
                f"{piece!r} of the password shown in {where}: {text[max(0, at - 200) : at + 200]!r}"
            )


# --- the commands -------------------------------------------------------------------------------


@dataclass
class Seen:
    """Everything the commands of one case showed or stored, by where it was seen."""

    outputs: dict[str, str] = field(default_factory=dict)

    def add(self, where: str, text: str) -> None:
        self.outputs[where] = self.outputs.get(where, "") + text


COMMANDS: list[tuple[str, tuple[str, ...]]] = [
    ("run", ("--log-format", "json", "run", "--config", "{config}")),
    ("run text", ("run", "--config", "{config}")),
    ("validate", ("--log-format", "json", "validate", "--config", "{config}")),
    ("status", ("status", "--config", "{config}")),
    ("metrics", ("metrics", "--config", "{config}")),
    ("report", ("report", "--config", "{config}", "--html", "{dir}/report.html")),
]
"""Each command (with debug logs), by the name its outputs are filed under."""


def run_commands(folder: Path, env: Mapping[str, str], seen: Seen) -> list[int]:
    """Each of :data:`COMMANDS` in-process; their exit codes (none is an internal error)."""
    runner = CliRunner(env={"COLUMNS": "200", **env})
    codes = []
    for name, command in COMMANDS:
        args = ["--log-level", "debug"]
        args += [a.replace("{config}", str(folder / "dw.yaml")) for a in command]
        args = [a.replace("{dir}", str(folder)) for a in args]
        result = runner.invoke(cli, args, catch_exceptions=False)
        seen.add(f"{name} stdout", result.stdout)
        seen.add(f"{name} stderr", result.stderr)
        for line in result.stderr.splitlines():  # JSON escapes quotes and non-ASCII: decode
            if line.startswith("{"):
                seen.add(f"{name} log messages", json.dumps(json.loads(line), ensure_ascii=False))
        assert "internal error" not in result.stderr, result.stderr
        assert "Traceback" not in result.output, result.output
        codes.append(result.exit_code)
    dispose_engines()
    report = folder / "report.html"
    if report.exists():
        seen.add("report.html", report.read_text(encoding="utf-8"))
    return codes


def stored_text(url: str) -> str:
    """Every value of every table of the results database, as text."""
    if url.startswith("sqlite:") and not Path(str(sa.engine.make_url(url).database)).is_file():
        return ""
    engine = sa.create_engine(url)
    parts: list[str] = []
    try:
        with engine.connect() as connection:
            for table in sa.inspect(connection).get_table_names():
                for row in connection.execute(sa.text(f'SELECT * FROM "{table}"')):
                    for value in row:
                        if isinstance(value, bytes | memoryview):
                            parts.append(bytes(value).decode("utf-8", "replace"))
                        elif value is not None:
                            parts.append(
                                value if isinstance(value, str) else json.dumps(value, default=str)
                            )
    finally:
        engine.dispose()
    return "\n".join(parts)


def write_config(
    folder: Path, database: str, live: Mapping[str, Any], *, sink: bool = False
) -> None:
    (folder / "ref.csv").write_text(REF_CSV, encoding="utf-8")
    (folder / "live.csv").write_text(LIVE_CSV, encoding="utf-8")
    monitor: dict[str, Any] = {
        "name": "m1",
        "reference": {"type": "csv", "path": "ref.csv"},
        "live": dict(live),
        "features": {"numeric": ["a", "b"], "categorical": ["c"]},
        "metrics": ["js"],
    }
    config: dict[str, Any] = {"database": database, "monitors": [monitor]}
    if sink:
        config["alerts"] = {  # an error feature notifies, its reason naming the source
            "notify_no_data": True,
            "sinks": [{"name": "ops", "type": "log", "level": "warning"}],
        }
        monitor["alerts"] = ["ops"]
    text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
    (folder / "dw.yaml").write_text(text, encoding="utf-8")


# --- the servers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    working_db: str
    """A database on the server holding table ``live`` with columns a and b (no c)."""

    def url(self, password: str, *, database: str, port: int | None = None) -> str:
        return (
            f"postgresql+psycopg://postgres:{password}@{self.host}:{port or self.port}/{database}"
        )


@pytest.fixture(scope="module")
def server(pg_server_url: str) -> Iterator[Server]:
    """The test PostgreSQL server (it trusts any password) and a database with a ``live`` table."""
    parsed = sa.engine.make_url(pg_server_url)
    with created_pg_database(pg_server_url, prefix="dw_secrets") as url:
        engine = sa.create_engine(url)
        try:
            frame = pd.read_csv(io.StringIO(LIVE_CSV))[["a", "b"]]
            frame.to_sql("live", engine, index=False)
        finally:
            engine.dispose()
        yield Server(
            parsed.host or "127.0.0.1", parsed.port or 5432, str(sa.engine.make_url(url).database)
        )


# --- (a) the results database -------------------------------------------------------------------

RESULTS_TARGETS = ["absent-database", "closed-port", "sqlite-missing-folder"]


def results_url(server: Server, folder: Path, password: str, target: str) -> str:
    if target == "absent-database":
        return server.url(password, database=ABSENT_DB)
    if target == "closed-port":
        return server.url(password, database="postgres", port=1)
    return f"sqlite://postgres:{password}@/{folder}/no-such-folder/results.db"


@pytest.mark.postgresql
@pytest.mark.slow  # 20 passwords x forms x targets, each through five commands
@pytest.mark.parametrize("target", RESULTS_TARGETS)
@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("password", PASSWORDS)
def test_results_database_password_is_never_shown(
    password: str, form: str, target: str, server: Server, tmp_path: Path
) -> None:
    url = results_url(server, tmp_path, in_url(password, form), target)
    write_config(tmp_path, url, {"type": "csv", "path": "live.csv"})
    seen = Seen()
    codes = run_commands(tmp_path, {}, seen)
    assert codes[0] == 2, seen.outputs
    assert_hidden(password, seen.outputs)
    # --database on the command line, too
    runner = CliRunner(env={"COLUMNS": "200"})
    for command in (
        ["run", "--config", str(tmp_path / "dw.yaml"), "--database", url],
        ["status", "--database", url],
    ):
        result = runner.invoke(cli, ["--log-level", "debug", *command], catch_exceptions=False)
        assert result.exit_code == 2, result.output
        assert_hidden(password, {" ".join(command[:1]) + " --database": result.output})


# --- (b) a SQL source ---------------------------------------------------------------------------

SOURCE_TARGETS = ["absent-database", "closed-port", "working"]


def source_url(server: Server, password: str, target: str) -> str:
    if target == "absent-database":
        return server.url(password, database=ABSENT_DB)
    if target == "closed-port":
        return server.url(password, database="postgres", port=1)
    return server.url(password, database=server.working_db)


@pytest.mark.postgresql
@pytest.mark.slow  # 20 passwords x forms x targets, each through five commands
@pytest.mark.parametrize("target", SOURCE_TARGETS)
@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("password", PASSWORDS)
def test_source_password_is_never_shown_or_stored(
    password: str, form: str, target: str, server: Server, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'results.db'}"
    live = {
        "type": "sql",
        "url": source_url(server, in_url(password, form), target),
        "table": "live",
    }
    write_config(tmp_path, database, live, sink=True)
    seen = Seen()
    codes = run_commands(tmp_path, {}, seen)
    seen.add("results database", stored_text(database))
    assert_hidden(password, seen.outputs)
    if form == "raw" and "@" in password:  # refused when read: one config line
        assert codes[0] == 2
        assert "percent-encode special characters in the password" in seen.outputs["run stderr"]
        return
    if target == "working":  # column c is absent: an error row and a notification, naming
        stored = seen.outputs["results database"]  # the source (its URL redacted)
        assert (
            "absent from the live data (sql table live on postgresql+psycopg://postgres:***@"
            in stored
        )
        assert '"reason": "column \'c\' is absent' in stored  # the notification's payload
        assert "driftwatch.alerts.sink" in seen.outputs["run stderr"]  # ... sent to the log sink
    else:
        assert codes[0] == 2
        assert "postgres:***@" in seen.outputs["run stderr"]


# --- (c) a ${VAR} in a query -------------------------------------------------------------------


@pytest.mark.parametrize("password", PASSWORDS)
def test_environment_value_in_a_query_is_never_shown_or_stored(
    password: str, tmp_path: Path
) -> None:
    source = tmp_path / "source.db"
    engine = sa.create_engine(f"sqlite:///{source}")
    try:
        frame = pd.read_csv(io.StringIO(LIVE_CSV))[["a", "b"]].assign(tag="x")
        frame.to_sql("live", engine, index=False)
    finally:
        engine.dispose()
    database = f"sqlite:///{tmp_path / 'results.db'}"
    query = "SELECT a, b FROM live WHERE tag <> '${DW_TEST_SECRET}'"
    write_config(
        tmp_path, database, {"type": "sql", "url": f"sqlite:///{source}", "query": query}, sink=True
    )
    seen = Seen()
    run_commands(tmp_path, {"DW_TEST_SECRET": password}, seen)
    seen.add("results database", stored_text(database))
    assert_hidden(password, seen.outputs)
    assert "***" in seen.outputs["run stderr"] + seen.outputs["run stdout"]


# --- subprocesses (slow) ------------------------------------------------------------------------
# One process per config, every password in it (a monitor each): the process's real stderr, its
# JSON log records, and the rows it stored.

ALL = [(p.id, p.values[0]) for p in PASSWORDS]


def subprocess_run(
    folder: Path, args: Sequence[str], env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``python -m driftwatch --log-level debug --log-format json ARGS`` in ``folder``: its stdout,
    stderr and log messages (none a traceback or an internal error)."""
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "COLUMNS": "200", **(env or {})}
    environment.pop("DRIFTWATCH_DB", None)
    command = [sys.executable, "-m", "driftwatch", "--log-level", "debug", "--log-format", "json"]
    done = subprocess.run(
        [*command, *args],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    records = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    name = args[0]
    return {
        f"{name} stdout": done.stdout,
        f"{name} stderr": done.stderr,
        f"{name} log messages": "\n".join(str(r.get("message")) for r in records),
    }


def write_monitors(folder: Path, database: str, lives: Sequence[Mapping[str, Any]]) -> None:
    """A config with one monitor per live source (``m0``, ``m1``, ...), each on ref/live.csv."""
    write_config(folder, database, lives[0])
    config = yaml.safe_load((folder / "dw.yaml").read_text(encoding="utf-8"))
    first = config["monitors"][0]
    config["monitors"] = [
        {**first, "name": f"m{i}", "live": dict(live)} for i, live in enumerate(lives)
    ]
    text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
    (folder / "dw.yaml").write_text(text, encoding="utf-8")


@pytest.mark.slow
@pytest.mark.postgresql
@pytest.mark.parametrize("form", FORMS)
def test_source_passwords_in_a_real_process(form: str, server: Server, tmp_path: Path) -> None:
    """Every password in one config (raw ones with an '@' each alone: their config is refused)."""
    groups: list[list[tuple[str, str]]] = [
        [(i, p) for i, p in ALL if form == "encoded" or "@" not in p]
    ]
    groups += [[(i, p)] for i, p in ALL if form == "raw" and "@" in p]
    for n, group in enumerate(groups):
        folder = tmp_path / f"config{n}"
        folder.mkdir()
        database = f"sqlite:///{folder / 'results.db'}"
        lives = [
            {
                "type": "sql",
                "url": source_url(server, in_url(p, form), "absent-database"),
                "table": "live",
            }
            for _id, p in group
        ]
        write_monitors(folder, database, lives)
        outputs = {
            **subprocess_run(folder, ["run", "--config", "dw.yaml"]),
            **subprocess_run(folder, ["validate", "--config", "dw.yaml"]),
            "results database": stored_text(database),
        }
        for id_, password in group:
            try:
                assert_hidden(password, outputs)
            except AssertionError as exc:
                raise AssertionError(f"password {id_!r}: {exc}") from None


@pytest.mark.slow
def test_environment_values_in_queries_in_a_real_process(tmp_path: Path) -> None:
    source = tmp_path / "source.db"
    engine = sa.create_engine(f"sqlite:///{source}")
    try:
        pd.DataFrame({"a": [1.0], "b": [2.0], "tag": ["x"]}).to_sql("live", engine, index=False)
    finally:
        engine.dispose()
    database = f"sqlite:///{tmp_path / 'results.db'}"
    lives = [
        {
            "type": "sql",
            "url": f"sqlite:///{source}",
            "query": f"SELECT a, b FROM live WHERE tag <> '${{DW_TEST_SECRET_{n}}}'",
        }
        for n in range(len(ALL))
    ]
    write_monitors(tmp_path, database, lives)
    env = {f"DW_TEST_SECRET_{n}": password for n, (_id, password) in enumerate(ALL)}
    outputs = {
        **subprocess_run(tmp_path, ["run", "--config", "dw.yaml"], env),
        "results database": stored_text(database),
    }
    for id_, password in ALL:
        try:
            assert_hidden(password, outputs)
        except AssertionError as exc:
            raise AssertionError(f"password {id_!r}: {exc}") from None
