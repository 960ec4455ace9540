"""Two DataFrames in, a drift report out: :func:`compare`, the one-line Python entry point.

``compare(reference_df, live_df)`` runs the same engine and the same default rule as a monitor:
it builds an in-memory :class:`~driftwatch.config.Config` with two ``type: dataframe`` sources and
runs it through :class:`~driftwatch.monitor.MonitorRunner` without a store. Nothing is written
and nothing is sent; :meth:`DriftReport.save` is the only way a report reaches a database.

Column kinds are inferred when no column list is given (:func:`infer_kinds`): bool, object,
category and string columns are categorical, numeric dtypes numeric (the engine gives a discrete
numeric column per-value bins). Timestamps (datetime64 columns, naive or tz-aware, and text of
year-first dates) are not compared unless named in ``datetime=[...]``: in a time split every live
value is newer than the reference, drift by construction. Timedelta and ID-like columns
(:func:`infer_kinds` says which) are not compared either. Every column not compared is listed in
:attr:`DriftReport.skipped` with the reason; when none is left the report is empty, not an error.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from driftwatch.config import Config, parse_config
from driftwatch.engine import Histogram
from driftwatch.errors import ColumnError, ConfigError, SourceError, StoreError
from driftwatch.monitor import MonitorRunner
from driftwatch.results import DISPLAY_ORDER, RunOutcome, Status
from driftwatch.text import did_you_mean

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["DriftReport", "compare", "infer_kinds"]

MONITOR_NAME = "compare"

Kind = Literal["numeric", "categorical", "datetime"]

_MONITOR_SETTINGS = ("binning", "correction", "dataset_drift", "metrics", "min_rows", "overrides")
"""Monitor keys ``compare`` accepts as settings (the rest name sources, schedules or alerts)."""
_DEFAULTS_ONLY = ("chunk_rows", "reference_sample_rows", "smoothing")
"""Keys that exist only under ``defaults:`` in a config file."""
SETTINGS = tuple(sorted((*_MONITOR_SETTINGS, *_DEFAULTS_ONLY, "thresholds")))
"""Every keyword :func:`compare` accepts in ``**settings``."""

NOTHING_COMPARED = "no column compared"
"""What a report without features says in place of its drift count."""

_ID_LIKE_MIN_ROWS = 20
"""Fewer reference rows than this say nothing about a column being an identifier."""
_ID_LIKE_SPAN = 1.1
"""Distinct integers filling at least 1 / this of their grid (min to max) are a numbering."""
_TEXT_ID_MIN_ROWS = 200
"""Text without a key-like name is ID-like only from this many reference rows on."""
_TEXT_ID_DISTINCT = 0.99
"""From :data:`_TEXT_ID_MIN_ROWS` rows on, the share of distinct values a key needs (below: all)."""
_KEY_WORDS = frozenset({"id", "ids", "key", "uuid", "guid", "index", "idx", "code"})
"""The last word of a key-like column name (:func:`_key_like_name`)."""
_ISO_DATE = (
    r"\d{4}([-/])\d{2}\1\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)


# --- the report -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DriftReport:
    """What :func:`compare` found: the run's outcome and the columns it did not compare."""

    outcome: RunOutcome
    skipped: Mapping[str, str] = field(default_factory=dict)
    """Column name → why it was not compared (an identifier, a datetime, absent from one side)."""

    @property
    def features(self) -> tuple[str, ...]:
        """The compared features, most severe first."""
        return tuple(f.name for f in self._ordered())

    @property
    def drifted(self) -> tuple[str, ...]:
        """The features at ``warn`` or worse, most severe first (critical, then warn; within a
        status the larger divergence of the first metric first)."""
        return tuple(f.name for f in self._ordered() if f.status in ("warn", "critical"))

    @property
    def status(self) -> dict[str, Status]:
        """Each compared feature's status."""
        return {f.name: f.status for f in self._ordered()}

    @property
    def histograms(self) -> dict[str, tuple[Histogram, Histogram]]:
        """Feature → (reference histogram, live histogram), on the same frozen bins."""
        return {
            f.name: (f.reference, f.live)
            for f in self._ordered()
            if f.reference is not None and f.live is not None
        }

    def to_frame(self) -> pd.DataFrame:
        """The tidy result frame: one row per feature × metric, most severe first."""
        return self.outcome.to_frame()

    def summary(self) -> str:
        """A few lines: row counts, the drifted features with their values, what was skipped."""
        outcome = self.outcome
        lines = [
            f"driftwatch compare: {_rows(outcome.n_reference, 'reference')}, "
            f"{_rows(outcome.n_live, 'live')}; {self._drift_count()}"
        ]
        if outcome.status == "failed":
            lines.append(f"  failed: {outcome.error}")
        for feature in self._ordered():
            if feature.status == "ok":
                continue
            values = ", ".join(
                f"{m.metric} {_number(m.value)}" for m in feature.metrics if m.value is not None
            )
            detail = values or (feature.reason or "")
            lines.append(f"  {feature.status:<8} {feature.name} ({feature.kind}): {detail}")
        quiet = [f.name for f in self._ordered() if f.status == "ok"]
        if quiet:
            lines.append(f"  ok       {', '.join(quiet)}")
        for name, reason in self.skipped.items():
            lines.append(f"  skipped  {name}: {reason}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        shown = ", ".join(f"{name} ({self.status[name]})" for name in self.drifted) or "none"
        head = (
            f"{len(self.drifted)}/{len(self.outcome.features)} features drifted: {shown}"
            if self.outcome.features
            else NOTHING_COMPARED
        )
        lines = [
            f"<DriftReport {head}",
            f" {_rows(self.outcome.n_reference, 'reference')}, "
            f"{_rows(self.outcome.n_live, 'live')}",
        ]
        if self.skipped:
            lines.append(f" skipped: {', '.join(self.skipped)}")
        if self.outcome.status == "failed":
            lines.append(f" failed: {self.outcome.error}")
        return "\n".join(lines) + ">"

    # Rendering lives in driftwatch.report (plotly), imported only when a report is drawn.

    def to_html(self, path: str | os.PathLike[str] | None = None) -> str:
        """The report as one self-contained HTML page (plotly.js inline, no network at view time).

        With ``path`` the page is also written there (atomically). Returns the HTML.
        """
        from driftwatch.report import render_run_html, write_html

        title = f"driftwatch compare: {self.outcome.monitor}"
        page = (
            render_run_html(self.outcome, title=title)
            if self.outcome.features
            else self._nothing_compared_html(title)
        )
        if path is not None:
            write_html(page, path)
        return page

    def _repr_html_(self) -> str:
        """Jupyter's view: the same page, isolated in an iframe so its styles stay inside."""
        page = self.to_html()
        return (
            '<iframe style="width:100%;height:720px;border:0" '
            f'srcdoc="{html.escape(page, quote=True)}"></iframe>'
        )

    def plot(self, feature: str) -> go.Figure:
        """The plotly figure of one feature: reference and live shares on the frozen bins."""
        from driftwatch.report import feature_figure

        return feature_figure(self.outcome, feature)

    def save(self, database: str, *, monitor: str = MONITOR_NAME) -> int:
        """Store the report as one run of ``monitor`` in ``database`` (a SQLAlchemy URL; a
        relative SQLite path is relative to the working directory) and return the run id.

        The database is migrated when brand new. The run has no window: it is keyed by the
        time the comparison started, so every saved report is a run of its own. No alert is
        evaluated and nothing is sent.
        """
        from driftwatch.store.repository import Store

        store = Store.open(database, config_hint="--database URL")
        try:
            saved = store.save_run(replace(self.outcome, monitor=monitor, profile_id=None))
        finally:
            store.close()
        if saved.run_id is None:  # only an `on_rerun: skip` save skips, and this one replaces
            raise StoreError(f"the report was not stored in {store.url!r}")
        return saved.run_id

    def _drift_count(self) -> str:
        if not self.outcome.features:
            return NOTHING_COMPARED
        return f"{len(self.drifted)} of {len(self.outcome.features)} features drifted"

    def _nothing_compared_html(self, title: str) -> str:
        """A page without features: the row counts and why each column was not compared."""
        escape = html.escape
        items = "".join(
            f"<li><b>{escape(name)}</b>: {escape(reason)}</li>"
            for name, reason in self.skipped.items()
        )
        rows = (
            f"{_rows(self.outcome.n_reference, 'reference')}, {_rows(self.outcome.n_live, 'live')}"
        )
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title></head>\n<body>\n<h1>{escape(title)}</h1>\n"
            f"<p>{escape(rows)}: {NOTHING_COMPARED}.</p>\n<ul>{items}</ul>\n</body></html>\n"
        )

    def _ordered(self) -> list[Any]:
        def key(feature: Any) -> tuple[int, float]:
            first = feature.metrics[0].value if feature.metrics else None
            return DISPLAY_ORDER.get(feature.status, 5), -(first if first is not None else -1.0)

        return sorted(self.outcome.features, key=key)


def _rows(n: int | None, role: str) -> str:
    return f"no {role} rows" if n is None else f"{n:,} {role} row{'s' if n != 1 else ''}"


def _number(value: float) -> str:
    return f"{value:.3g}"


# --- kind inference -------------------------------------------------------------------------------


def _key_like_name(name: str) -> bool:
    """``id``, ``user_id``, ``playerID``, ``orderId``, ``row-key``, ``uuid``, ``index``…: the
    name's last word (split at non-letters and camelCase humps) is one of :data:`_KEY_WORDS`."""
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", name)
    return bool(words) and words[-1].lower() in _KEY_WORDS


def _is_text(column: pd.Series) -> bool:
    return ptypes.is_string_dtype(column) or (
        ptypes.is_object_dtype(column) and all(isinstance(v, str) for v in column)
    )


def _id_like(name: str, column: pd.Series) -> str | None:
    """Why the reference ``column`` is a key, not a feature; None when it is a feature.

    A key has 20 rows or more, none missing, and is one of: integers, each value once, that fill
    their grid (``(max − min) / step + 1 ≤ 1.1 × n``, ``step`` the gcd of the gaps: row numbers,
    ranks, the years of a yearly table); integers or text under a key-like name
    (:func:`_key_like_name`), each value once; text of 200 rows or more, 99 % of its values
    distinct (200 or more rows of a key-like name need no more either). Why: a measurement
    distinct in a sample (prices, populations, vote counts) leaves gaps between its values, and
    text of many categories is all distinct by chance in a few dozen rows, so neither is a key;
    floats never are. The 1 % of repeats allowed keeps a near-unique text (titles, names) skipped
    in every reference of its size, not only in those that happen to hold no repeat.
    """
    n = len(column)
    if n < _ID_LIKE_MIN_ROWS or column.isna().any():
        return None
    named = _key_like_name(name)
    integer = ptypes.is_integer_dtype(column) and not ptypes.is_bool_dtype(column)
    if not integer and not _is_text(column):
        return None
    distinct = column.nunique()
    if integer and distinct == n:
        values = np.sort(column.to_numpy(dtype=getattr(column.dtype, "numpy_dtype", None)))
        low, high = int(values[0]), int(values[-1])
        step = int(np.gcd.reduce(np.diff(values)))
        if (high - low) // step + 1 <= _ID_LIKE_SPAN * n:
            steps = f" in steps of {step}" if step > 1 else ""
            return (
                f"ID-like: {n:,} distinct integers from {low} to {high}{steps}, each once "
                "(a numbering: row numbers, ranks, years)"
            )
    if not (named or (not integer and n >= _TEXT_ID_MIN_ROWS)):
        return None
    if distinct < (n if n < _TEXT_ID_MIN_ROWS else _TEXT_ID_DISTINCT * n):
        return None
    why = "named like a key" if named else "text"
    return f"ID-like: {why}, {distinct:,} of {n:,} reference values distinct"


def _iso_dates(column: pd.Series) -> bool:
    """Text whose every value is a year-first date or date-time (``2012-01-31``, ``2012/01/31``,
    ``2012-01-31T08:00:00Z``): a timestamp written out."""
    if not _is_text(column) or column.isna().any() or len(column) == 0:
        return False
    return bool(column.astype("string").str.fullmatch(_ISO_DATE).all())


def infer_kinds(
    reference: pd.DataFrame, live: pd.DataFrame | None = None
) -> tuple[dict[str, Kind], dict[str, str]]:
    """Each column's feature kind, and the columns not to compare with the reason.

    bool/object/category/string → categorical; other numeric dtypes → numeric. Skipped:
    timestamps (datetime64, naive or tz-aware, and text of year-first dates: compare one by
    naming it in ``datetime=[...]``), timedeltas, ID-like columns (decided from the reference
    alone, see :func:`_id_like`) and columns absent from ``live``.
    """
    kinds: dict[str, Kind] = {}
    skipped: dict[str, str] = {}
    live_columns = None if live is None else {str(c) for c in live.columns}
    for label in reference.columns:
        name = str(label)
        column = reference[label]
        if live_columns is not None and name not in live_columns:
            skipped[name] = "absent from the live data"
        elif ptypes.is_datetime64_any_dtype(column) or _iso_dates(column):
            skipped[name] = (
                "a timestamp: in a time split every live value is newer than the reference; "
                f"name it in datetime=[{name!r}] to compare it"
            )
        elif ptypes.is_timedelta64_dtype(column):
            skipped[name] = (
                f"{column.dtype} column: not compared (pass numeric=[{name!r}] to compare "
                "it as a number, or drop it)"
            )
        elif (why := _id_like(name, column)) is not None:
            skipped[name] = f"{why}; pass categorical=[...] or numeric=[...] to compare it anyway"
        elif ptypes.is_bool_dtype(column) or not ptypes.is_numeric_dtype(column):
            kinds[name] = "categorical"
        else:
            kinds[name] = "numeric"
    return kinds, skipped


# --- compare --------------------------------------------------------------------------------------


def _as_pandas(data: Any, role: str) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    import pyarrow as pa

    if isinstance(data, pa.Table | pa.RecordBatch):
        frame: pd.DataFrame = data.to_pandas()
        return frame
    raise TypeError(
        f"compare(): {role} is a {type(data).__name__}; pass a pandas DataFrame or a pyarrow Table"
    )


def _settings_config(settings: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split ``**settings`` into the monitor's keys and the ``defaults:`` ones."""
    unknown = [key for key in settings if key not in SETTINGS]
    if unknown:
        key = unknown[0]
        hint = did_you_mean(key, set(SETTINGS)) or f"; choose from: {', '.join(SETTINGS)}"
        raise ConfigError(f"compare(): unknown setting {key!r}{hint}")
    monitor = {k: v for k, v in settings.items() if k in (*_MONITOR_SETTINGS, "thresholds")}
    defaults = {k: v for k, v in settings.items() if k in _DEFAULTS_ONLY}
    return monitor, defaults


def _feature_lists(
    reference: pd.DataFrame,
    live: pd.DataFrame,
    numeric: Iterable[str] | None,
    categorical: Iterable[str] | None,
    datetime: Iterable[str] | None = None,
) -> tuple[dict[Kind, list[str]], dict[str, str]]:
    if numeric is None and categorical is None and datetime is None:
        kinds, skipped = infer_kinds(reference, live)
        lists: dict[Kind, list[str]] = {"numeric": [], "categorical": [], "datetime": []}
        for name, kind in kinds.items():
            lists[kind].append(name)
        return lists, skipped
    for given in (numeric, categorical, datetime):
        if isinstance(given, str):
            raise TypeError(f"compare(): give a list of column names, not the string {given!r}")
    given_lists: dict[Kind, list[str]] = {
        "numeric": list(numeric or ()),
        "categorical": list(categorical or ()),
        "datetime": list(datetime or ()),
    }
    for role, frame in (("reference", reference), ("live", live)):
        have = {str(c) for c in frame.columns}
        missing = [name for names in given_lists.values() for name in names if name not in have]
        if missing:
            raise ColumnError(
                f"compare(): column {missing[0]!r} is not in the {role} data"
                f"{did_you_mean(missing[0], have)}; its columns: {', '.join(sorted(have))}"
            )
    return given_lists, {}


def compare(
    reference: pd.DataFrame | Any,
    live: pd.DataFrame | Any,
    *,
    numeric: Iterable[str] | None = None,
    categorical: Iterable[str] | None = None,
    datetime: Iterable[str] | None = None,
    **settings: Any,
) -> DriftReport:
    """Compare a live DataFrame with a reference one, feature by feature; nothing is written.

    Args:
        reference: the reference data (training/validation), a pandas DataFrame or pyarrow Table.
        live: the data to check, with the same columns.
        numeric, categorical, datetime: the columns to compare and their kinds. When all are
            None every column is compared, its kind inferred (:func:`infer_kinds`); otherwise
            exactly the listed columns are.
        settings: the monitor-level keys of a config file, validated the same way: ``binning``,
            ``metrics``, ``thresholds``, ``min_rows``, ``correction``, ``dataset_drift``,
            ``overrides``, and ``smoothing``, ``chunk_rows``, ``reference_sample_rows``.

    Raises:
        ConfigError: an unknown or invalid setting; no column listed, or a reference without
            columns. Columns left out (:attr:`DriftReport.skipped`) never raise: with none left
            the report is empty and says why.
        ColumnError: a listed column is missing from the reference or the live data.
    """
    ref = _as_pandas(reference, "reference")
    cur = _as_pandas(live, "live")
    monitor_settings, defaults = _settings_config(settings)
    lists, skipped = _feature_lists(ref, cur, numeric, categorical, datetime)
    if not any(lists.values()):
        if not skipped:
            why = "no column listed" if len(ref.columns) else "the reference has no columns"
            raise ConfigError(f"compare(): no column to compare ({why})")
        _parse(_config_data({"numeric": ["-"]}, monitor_settings, defaults))  # settings checked
        now = dt.datetime.now(dt.UTC)
        empty = RunOutcome(
            MONITOR_NAME, None, "succeeded", now, now, 0.0, n_reference=len(ref), n_live=len(cur)
        )
        return DriftReport(empty, skipped)
    config = _parse(_config_data(lists, monitor_settings, defaults))
    runner = MonitorRunner(config, store=None, frames={"reference": ref, "live": cur})
    outcome = runner.run(MONITOR_NAME)
    if outcome.status == "failed":
        raise SourceError(f"compare(): {outcome.error}")
    return DriftReport(outcome, skipped)


def _config_data(
    features: Mapping[Kind, list[str]], settings: Mapping[str, Any], defaults: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "database": "sqlite://",  # never opened: the run has no store
        "defaults": defaults,
        "monitors": [
            {
                "name": MONITOR_NAME,
                "reference": {"type": "dataframe", "name": "reference"},
                "live": {"type": "dataframe", "name": "live"},
                "features": {kind: names for kind, names in features.items() if names},
                **settings,
            }
        ],
    }


def _parse(data: Mapping[str, Any]) -> Config:
    try:
        return parse_config(data, source="compare()", env={})
    except ConfigError as exc:
        text = str(exc).replace("monitors[0].", "").replace("defaults.", "")
        raise ConfigError(text) from None
