"""The Python API: one typed function per ``driftwatch`` command, re-exported from
:mod:`driftwatch.commands` (and :func:`compare` for two DataFrames).

The CLI and users call the same functions (the ``alembic.command`` habit): each validates its
input, does the work and returns typed values or pandas DataFrames; none prints.

======================  =========================================================
command                 function
======================  =========================================================
(none)                  :func:`compare` → :class:`DriftReport` (two DataFrames, no store)
``compare``             :func:`compare_stored` → :class:`DriftReport` (stored windows only)
``validate``            :func:`validate` → :class:`ValidationReport`
``run``                 :func:`run` → :class:`RunReport` (:func:`run_monitor`: a DataFrame)
``backfill``            :func:`backfill` → :class:`BackfillReport`
``schedule``            :func:`schedule` (serves until ``stop`` is set)
``status``              :func:`status` → :class:`StatusReport`
``report``/``history``  :func:`report`, :func:`history` → :class:`QueryResult`;
                        :func:`report_html` → :class:`HtmlReport`
``alerts ...``          :func:`alerts_list`, :func:`alerts_dispatch`, :func:`alerts_retry`,
                        :func:`alerts_silence`, :func:`alerts_unsilence`, :func:`alerts_test`
``db ...``              :func:`db_upgrade`, :func:`db_downgrade`, :func:`db_current`
``metrics``             :func:`metrics` → the Prometheus text exposition (str)
======================  =========================================================

Commands that only read (``status``, ``report``, ``history``, ``compare``, ``metrics``,
``alerts list``, ``db current``) never create or migrate a database.
"""

from __future__ import annotations

from driftwatch.commands.alerts import (
    ALERT_STATES,
    AlertsListing,
    AlertStateName,
    RetryReport,
    alerts_dispatch,
    alerts_list,
    alerts_retry,
    alerts_silence,
    alerts_test,
    alerts_unsilence,
)
from driftwatch.commands.compare import Against, compare_stored
from driftwatch.commands.db import (
    SchemaChange,
    SchemaRevision,
    db_current,
    db_downgrade,
    db_upgrade,
)
from driftwatch.commands.metrics import metrics
from driftwatch.commands.report import HtmlReport, QueryResult, history, report, report_html
from driftwatch.commands.run import RunReport, run, run_monitor
from driftwatch.commands.schedule import BackfillReport, backfill, schedule
from driftwatch.commands.status import StatusReport, status
from driftwatch.commands.validate import (
    MonitorCheck,
    SourceCheck,
    ValidationReport,
    validate,
)
from driftwatch.comparison import DriftReport, compare
from driftwatch.progress import Progress, ProgressEvent
from driftwatch.runs import run_monitors
from driftwatch.store.connect import ConfigLike, open_store

__all__ = [
    "ALERT_STATES",
    "Against",
    "AlertStateName",
    "AlertsListing",
    "BackfillReport",
    "ConfigLike",
    "DriftReport",
    "HtmlReport",
    "MonitorCheck",
    "Progress",
    "ProgressEvent",
    "QueryResult",
    "RetryReport",
    "RunReport",
    "SchemaChange",
    "SchemaRevision",
    "SourceCheck",
    "StatusReport",
    "ValidationReport",
    "alerts_dispatch",
    "alerts_list",
    "alerts_retry",
    "alerts_silence",
    "alerts_test",
    "alerts_unsilence",
    "backfill",
    "compare",
    "compare_stored",
    "db_current",
    "db_downgrade",
    "db_upgrade",
    "history",
    "metrics",
    "open_store",
    "report",
    "report_html",
    "run",
    "run_monitor",
    "run_monitors",
    "schedule",
    "status",
    "validate",
]
