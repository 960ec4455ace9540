"""A table or query in any SQLAlchemy database, streamed with a server-side cursor.

Only the needed columns are selected, and the time filter runs in the database as
``ts >= :start AND ts < :end``. A ``query`` is wrapped as a subquery so the same column selection
and filter apply outside it; if its text uses ``:window_start``/``:window_end`` those binds receive
the effective bounds too (the whole time axis when a side is open).

Time semantics match the other backends exactly: rows are re-checked in pandas after the fetch
(cheap, on already-filtered rows). This matters for SQLite, which has no timestamp type: its
values are text in whatever format the writer chose, so the database-side filter there is a
``julianday()`` superset and pandas makes the exact cut. PostgreSQL sessions are set to UTC so
``timestamp without time zone`` columns are read as UTC, as everywhere in driftwatch.

Every connection is opened under the source's ``connect_timeout`` and every statement runs under
its ``statement_timeout`` (:func:`timeout_args` says how, per dialect): a database that accepts
the connection and never answers is a one-line SourceError, not a hung run.

No message shows a secret: the URL is shown redacted, and every message (the query as described,
the driver's reason) passes through :func:`driftwatch.errors.redact` with the source's
``secrets``: the URL's password and the values interpolated from the environment into the query.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.sql.elements import ColumnClause, ColumnElement

from driftwatch.config import SqlSourceConfig
from driftwatch.errors import SourceError, redact, redact_url, url_problem
from driftwatch.sources._common import (
    DEFAULT_CHUNK_ROWS,
    BaseSource,
    ReadPlan,
    RowsRead,
    ignoring,
    listing,
    parse_timestamps,
    report_rows,
)
from driftwatch.sources.counting import Counts, FeatureBins, FrameChunk, count_chunks
from driftwatch.sources.pushdown import count_statements, counts_from_rows
from driftwatch.text import one_line, shorten
from driftwatch.timeutil import TimeWindow

__all__ = ["SqlSource", "dispose_engines", "timeout_args"]

_SUBQUERY = "driftwatch_source"
# What ':window_start' / ':window_end' become when that side of the range is open.
_AXIS_START = datetime(1, 1, 1, tzinfo=UTC)
_AXIS_END = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# SQLite's julianday() is a double (~50 µs resolution): widen its superset filter by a second.
_SQLITE_SLACK = timedelta(seconds=1)
_WINDOW_BIND = re.compile(r"(?<![:\w]):(window_start|window_end)\b(?!:)")

_ENGINES: dict[tuple[str, timedelta, timedelta], Engine] = {}
_ENGINES_LOCK = threading.Lock()


def _utc_session(dbapi_connection: Any, _record: Any) -> None:
    """Make every new PostgreSQL connection use UTC, so naive timestamps mean UTC."""
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SET TIME ZONE 'UTC'")
    finally:
        cursor.close()
        dbapi_connection.autocommit = autocommit


def timeout_args(url: str, connect: timedelta, statement: timedelta) -> dict[str, Any]:
    """The DBAPI ``connect_args`` that bound connecting and each statement on ``url``'s dialect.

    PostgreSQL (psycopg, psycopg2): libpq's ``connect_timeout`` (whole seconds, at least 2, which
    covers the TCP connect *and* the start-up handshake) and ``options=-c statement_timeout=ms``
    (the server cancels a statement that runs longer; appended to any ``options`` of the URL).
    MySQL (PyMySQL, mysqlclient): ``connect_timeout`` and ``read_timeout``/``write_timeout`` on the
    socket. SQLite: ``timeout``, how long a statement waits for another writer's lock. Other
    dialects get none (the run's deadline still bounds them, see README "Reliability").
    """
    parsed = make_url(url)
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    connect_s = max(1, math.ceil(connect.total_seconds()))
    statement_s = max(1, math.ceil(statement.total_seconds()))
    if backend == "postgresql" and driver in ("psycopg", "psycopg2"):
        given = parsed.query.get("options")
        given_text = " ".join(given) if isinstance(given, tuple) else (given or "")
        option = f"-c statement_timeout={statement_s * 1000}"
        return {
            "connect_timeout": max(2, connect_s),
            "options": f"{given_text} {option}".strip(),
        }
    if backend in ("mysql", "mariadb") and driver in ("pymysql", "mysqldb"):
        return {
            "connect_timeout": connect_s,
            "read_timeout": statement_s,
            "write_timeout": statement_s,
        }
    if backend == "sqlite":
        return {"timeout": float(connect_s)}
    return {}


def _engine(url: str, connect: timedelta, statement: timedelta) -> Engine:
    """One pooled engine per URL and timeouts, shared by every source (``pool_pre_ping`` drops
    stale connections)."""
    key = (url, connect, statement)
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = sa.create_engine(
                url,
                pool_pre_ping=True,
                connect_args=timeout_args(url, connect, statement),
            )
            if engine.dialect.name == "postgresql":
                event.listen(engine, "connect", _utc_session, insert=True)
            _ENGINES[key] = engine
        return engine


def dispose_engines() -> None:
    """Close every pooled connection the SQL sources hold (tests, forks, shutdown)."""
    with _ENGINES_LOCK:
        engines = list(_ENGINES.values())
        _ENGINES.clear()
    for engine in engines:
        engine.dispose()


class SqlSource(BaseSource):
    """A ``table`` (optionally in ``schema``) or a ``query`` in a database (``type: sql``)."""

    config: SqlSourceConfig

    def __init__(self, config: SqlSourceConfig, *, role: str = "source") -> None:
        super().__init__(config, role=role)
        self.url = redact_url(config.url)
        self._secrets = config.secrets
        query = config.query
        self._query = re.sub(r"[\s;]+$", "", query) if query is not None else None
        self._window_binds = set(_WINDOW_BIND.findall(self._query or ""))

    def describe(self) -> str:
        if self._query is not None:
            hidden = redact(self._query, self._secrets)  # hidden first, then cut
            return f"sql query {shorten(one_line(hidden))!r} on {self.url}"
        return f"sql table {self._table_name()} on {self.url}"

    def columns(self) -> list[str]:
        """Reflected column names of the table, or the query's result columns (``LIMIT 0``)."""
        with self._connect() as conn, self._errors("listing the columns of"):
            if self._query is None:
                return self._table_columns(conn)
            source = self._selectable([], _AXIS_START, _AXIS_END)
            peek: sa.Select[Any] = sa.select(sa.literal_column("*")).select_from(source).limit(0)
            return list(conn.execute(peek).keys())

    def fingerprint(self) -> str:
        """sha256 of the redacted URL, table or query, fixed range and its ``COUNT(*)``."""
        c = self.config
        ts = c.timestamp_column
        start, end = self.fixed_range
        with self._connect() as conn, self._errors("counting the rows of"):
            source = self._selectable([ts] if ts else [], start or _AXIS_START, end or _AXIS_END)
            count = sa.select(sa.func.count()).select_from(source)
            if ts and (start or end):
                count = count.where(*self._time_conditions(conn, source.c[ts], start, end))
            rows = conn.execute(count).scalar_one()
        parts = [
            self.url,
            c.db_schema,
            c.table,
            self._query,
            ts,
            start.isoformat() if start else None,
            end.isoformat() if end else None,
            int(rows),
        ]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()

    def _scan(self, plan: ReadPlan) -> Iterator[pd.DataFrame]:
        source = self._selectable(
            list(plan.fetch), plan.lower or _AXIS_START, plan.upper or _AXIS_END
        )
        # No columns at all still means rows (a count without features): select a constant.
        columns = [source.c[name] for name in plan.fetch] or [sa.literal(1).label("row")]
        statement = sa.select(*columns).select_from(source)
        with self._connect() as conn, self._errors("reading"):
            if plan.filters_time and plan.timestamp_column is not None:
                statement = statement.where(
                    *self._time_conditions(
                        conn, source.c[plan.timestamp_column], plan.lower, plan.upper
                    )
                )
            streaming = conn.execution_options(stream_results=True, yield_per=plan.chunk_rows)
            result = streaming.execute(statement)
            keys = list(result.keys())
            for rows in result.partitions():
                frame = pd.DataFrame.from_records(rows, columns=keys, coerce_float=True)
                yield self._filter(frame, plan)

    def time_span(self, window: TimeWindow | None = None) -> TimeWindow | None:
        """See :meth:`driftwatch.sources.Source.time_span`: one ``MIN``/``MAX`` query.

        SQLite (text timestamps, an approximate time filter) and text columns elsewhere, whose
        MIN/MAX would be lexical, scan the timestamp column instead.
        """
        column = self.config.timestamp_column
        if not column or self._dialect_name() == "sqlite":
            return super().time_span(window)
        plan = self._plan([column], window, DEFAULT_CHUNK_ROWS)
        if plan.empty:
            return None
        source = self._selectable([column], plan.lower or _AXIS_START, plan.upper or _AXIS_END)
        stamp = source.c[column]
        statement = sa.select(sa.func.min(stamp), sa.func.max(stamp)).select_from(source)
        with self._connect() as conn, self._errors("reading"):
            if plan.filters_time:
                statement = statement.where(
                    *self._time_conditions(conn, stamp, plan.lower, plan.upper)
                )
            low, high = conn.execute(statement).one()
        if low is None or high is None:
            return None
        if not isinstance(low, datetime) or not isinstance(high, datetime):
            return super().time_span(window)
        bounds = parse_timestamps(
            pd.Series([low, high]), column=column, where=self.describe(), role=self.role
        )
        return TimeWindow(
            bounds.iloc[0].to_pydatetime(), bounds.iloc[1].to_pydatetime() + _MICROSECOND
        )

    # --- counting -------------------------------------------------------------------------------

    def count(
        self,
        features: Sequence[FeatureBins],
        *,
        window: TimeWindow | None = None,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        on_rows: RowsRead | None = None,
    ) -> Counts:
        """With ``pushdown: true`` the database counts (see ``sources.pushdown``); else rows are
        fetched and counted here.

        SQLite has no timestamp type, so its time filter is only a superset in SQL (see the
        module docstring): with a time filter, SQLite rows are fetched and counted in-process,
        which gives the same counts. So are the rows of a monitor with a ``datetime`` feature
        (its edges are epoch seconds, which differ in SQL from one database to the next).
        """
        plan = self._plan([f.name for f in features], window, chunk_rows)
        in_process = (
            not self.config.pushdown
            or (plan.filters_time and self._dialect_name() == "sqlite")
            or any(f.kind == "datetime" for f in features)  # timestamps become seconds here
        )
        if in_process or plan.empty:
            chunks = report_rows(self._chunks(plan), on_rows, None)
            return count_chunks((FrameChunk(c) for c in chunks), features, self.role)
        source = self._selectable(
            list(plan.fetch), plan.lower or _AXIS_START, plan.upper or _AXIS_END
        )
        with self._connect() as conn, self._errors("counting histograms in"):
            if conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            conditions = []
            if plan.filters_time and plan.timestamp_column is not None:
                conditions = self._time_conditions(
                    conn, source.c[plan.timestamp_column], plan.lower, plan.upper
                )
            rows: list[tuple[Any, ...]] = []
            with conn.begin():
                for statement in count_statements(source, features, conditions, conn.dialect.name):
                    rows.extend(tuple(row) for row in conn.execute(statement))
        counts = counts_from_rows(features, rows)
        if on_rows is not None:
            on_rows(counts.n_rows, counts.n_rows)
        return counts

    # --- SQL building ---------------------------------------------------------------------------

    def _table_name(self) -> str:
        table = str(self.config.table)
        return f"{self.config.db_schema}.{table}" if self.config.db_schema else table

    def _selectable(self, names: list[str], lower: datetime, upper: datetime) -> Any:
        """The table, or the query as a subquery, exposing ``names`` as columns."""
        columns: list[ColumnClause[Any]] = [sa.column(name) for name in names]
        if self._query is None:
            return sa.table(str(self.config.table), *columns, schema=self.config.db_schema)
        text = sa.text(self._query)
        binds = {"window_start": lower, "window_end": upper}
        text = text.bindparams(
            *(
                sa.bindparam(name, self._bind_value(value), type_=sa.DateTime(timezone=True))
                for name, value in binds.items()
                if name in self._window_binds
            )
        )
        return text.columns(*columns).subquery(_SUBQUERY)

    def _bind_value(self, moment: datetime) -> datetime:
        """Aware UTC for PostgreSQL (timestamptz), naive UTC elsewhere (SQLite stores text)."""
        if self._dialect_name() == "postgresql":
            return moment
        return moment.astimezone(UTC).replace(tzinfo=None)

    def _time_conditions(
        self,
        conn: Connection,
        column: ColumnElement[Any],
        lower: datetime | None,
        upper: datetime | None,
    ) -> list[ColumnElement[bool]]:
        """``column >= lower AND column < upper`` in the database's own terms."""
        if conn.dialect.name == "sqlite":
            day = sa.func.julianday(column)
            parts: list[ColumnElement[bool]] = []
            if lower is not None:
                parts.append(day >= sa.func.julianday(_sqlite_text(lower, -_SQLITE_SLACK)))
            if upper is not None:
                parts.append(day < sa.func.julianday(_sqlite_text(upper, _SQLITE_SLACK)))
            # Text julianday() cannot parse (e.g. '2012/01/01') passes here; pandas decides.
            return [sa.or_(day.is_(None), sa.and_(*parts))]
        conditions: list[ColumnElement[bool]] = []
        if lower is not None:
            conditions.append(column >= self._typed(lower))
        if upper is not None:
            conditions.append(column < self._typed(upper))
        return conditions

    def _typed(self, moment: datetime) -> Any:
        return sa.bindparam(None, self._bind_value(moment), type_=sa.DateTime(timezone=True))

    def _table_columns(self, conn: Connection) -> list[str]:
        inspector = sa.inspect(conn)
        schema = self.config.db_schema
        try:
            # Only the names are used: a type SQLAlchemy cannot rebuild (INT(11)) is no warning.
            with ignoring(sa.exc.SAWarning):
                reflected = inspector.get_columns(str(self.config.table), schema)
            return [str(c["name"]) for c in reflected]
        except sa.exc.NoSuchTableError:
            names = sorted([*inspector.get_table_names(schema), *inspector.get_view_names(schema)])
            raise self._fail(
                f"table {self._table_name()!r} not found on {self.url}; fix the 'table' key"
                f"{' or the schema key' if schema else ''}; tables there: {listing(names)}"
            ) from None

    # --- connections and errors -----------------------------------------------------------------

    def _dialect_name(self) -> str:
        try:
            return make_url(self.config.url).get_backend_name()
        except (sa.exc.ArgumentError, ValueError):
            return ""

    def _fail(self, message: str) -> SourceError:
        return super()._fail(redact(message, self._secrets))

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        """A connection from the shared engine; SourceError when the database is unreachable."""
        url = self.config.url
        problem = url_problem(url)  # refused at load; a config built without validation too
        if problem is not None:
            raise self._fail(f"the database URL {self.url!r} {problem}; fix the 'url' key")
        try:
            parsed = make_url(url)
        except (sa.exc.ArgumentError, ValueError):
            raise self._fail(
                f"{self.url!r} is not a database URL; fix the 'url' key "
                "(e.g. postgresql+psycopg://user:password@host/db or sqlite:///path/to/file.db)"
            ) from None
        database = parsed.database
        if (
            parsed.get_backend_name() == "sqlite"
            and database
            and database != ":memory:"
            and not database.startswith("file:")
            and not Path(database).exists()
        ):
            raise self._fail(
                f"SQLite database file '{Path(database).absolute()}' not found; fix the 'url' key"
            )
        try:
            engine = _engine(url, self.config.connect_timeout, self.config.statement_timeout)
            conn = engine.connect()
        except sa.exc.NoSuchModuleError:
            raise self._fail(
                f"{self.url}: unknown database type {parsed.drivername!r}; fix the 'url' key "
                "(e.g. postgresql+psycopg://..., sqlite:///...)"
            ) from None
        except ImportError as exc:
            raise self._fail(
                f"the database driver for {self.url} is not installed ({exc}); install it, "
                "e.g. pip install 'driftwatch-monitor[postgres]'"
            ) from None
        except sa.exc.SQLAlchemyError as exc:
            raise self._fail(
                f"cannot connect to {self.url}: {self._reason(exc)}; check the 'url' key and "
                "that the database is running and reachable"
            ) from None
        with conn:
            yield conn

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Turn database errors while running a statement into one-line SourceErrors."""
        key = "query" if self._query is not None else "table"
        try:
            yield
        except sa.exc.SQLAlchemyError as exc:
            raise self._fail(
                f"{action} {self.describe()} failed: {self._reason(exc)}; check the {key!r} key "
                "and that the database is reachable"
            ) from None

    def _reason(self, exc: BaseException) -> str:
        """The database's own one-line reason, with any password removed."""
        original = getattr(exc, "orig", None)
        text = str(original if original is not None else exc)
        lines = [one_line(line) for line in text.splitlines()]
        reason = next((line for line in lines if line), type(exc).__name__)
        reason = re.sub(r"\s*\(Background on this error at: [^)]*\)", "", reason)
        return redact(reason, self._secrets)


def _sqlite_text(moment: datetime, shift: timedelta) -> str:
    """``moment + shift`` as naive-UTC ``YYYY-MM-DD HH:MM:SS.ffffff``, which SQLite's date
    functions read (clamped at the ends of the calendar)."""
    with suppress(OverflowError):
        moment = moment + shift
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    return naive.isoformat(sep=" ", timespec="microseconds")
