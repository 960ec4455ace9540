"""Bad config: every mistake in a config file is refused at load, in one line naming the file,
the line or key path and the value, before anything is read or written.

Each case writes a config (the base one with one thing wrong), runs ``driftwatch run`` (or
``validate``) and checks exit 2, the one error line, and an untouched results database.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.reliability.harness import (
    BASE_CONFIG,
    Backend,
    Case,
    DbState,
    case_params,
    config_with,
)

FILE = r"driftwatch\.yaml"
MONITOR = "    metrics: [js]"
"""The last line of the base config's monitor: cases append monitor keys after it."""


def monitor_key(text: str) -> str:
    """The base config with ``text`` (one or more monitor-level lines) added to monitor m1."""
    return config_with(MONITOR, MONITOR + "\n" + text)


def top(text: str) -> str:
    """The base config with top-level ``text`` added after ``database:``."""
    return config_with("database: {db}\n", "database: {db}\n" + text + "\n")


def refused(id: str, config: str, message: str, *, validate: bool = False) -> Case:
    args = ("validate", "--config", "{config}") if validate else ("run", "--config", "{config}")
    return Case(id, 2, message, config=config, args=args, db=DbState())


DUPLICATES = [
    refused(
        "duplicate-monitors-block",
        BASE_CONFIG + "monitors:\n  - name: m2\n    reference: {type: csv, path: ref.csv}\n"
        "    live: {type: csv, path: live.csv}\n    features: {numeric: [a]}\n",
        FILE + r", line 8: key 'monitors' is given twice in one mapping \(first at line 2\)",
    ),
    refused(
        "duplicate-min-rows",
        top("defaults:\n  min_rows: 10\n  min_rows: 100000"),
        FILE + r", line 4: key 'min_rows' is given twice .*first at line 3",
    ),
    refused(
        "duplicate-min-rows-validate-too",
        top("defaults:\n  min_rows: 10\n  min_rows: 100000"),
        r"key 'min_rows' is given twice",
        validate=True,
    ),
    refused(
        "duplicate-key-in-a-flow-mapping",
        config_with("{type: csv, path: ref.csv}", "{type: csv, path: ref.csv, path: live.csv}"),
        r"line 4: key 'path' is given twice",
    ),
    refused(
        "duplicate-monitor-name-key",
        config_with("  - name: m1\n", "  - name: m1\n    name: m2\n"),
        r"line 4: key 'name' is given twice in one mapping \(first at line 3\)",
    ),
    refused(
        "duplicate-features-key",
        monitor_key("    features: {numeric: [a]}"),
        r"key 'features' is given twice",
    ),
    refused(
        "duplicate-threshold-metric",
        top("defaults:\n  thresholds:\n    js: {warn: 0.1}\n    js: {warn: 0.9}"),
        r"line 5: key 'js' is given twice",
    ),
    refused(
        "duplicate-database-key",
        top("database: sqlite:///other.db"),
        r"line 2: key 'database' is given twice in one mapping \(first at line 1\)",
    ),
    refused(
        "duplicate-sink-key",
        top("alerts:\n  sinks:\n    - {name: s, type: log, level: info, level: error}"),
        r"key 'level' is given twice",
    ),
    Case(
        "merge-key-overrides-are-not-duplicates",
        0,
        config=BASE_CONFIG.replace(
            "    reference: {type: csv, path: ref.csv}",
            "    reference: &src {type: csv, path: ref.csv}",
        ).replace("    live: {type: csv, path: live.csv}", "    live: {<<: *src, path: live.csv}"),
        db=DbState(runs=("succeeded",)),
    ),
]

BOMB = "\n".join(
    [f"x0: &x0 [{', '.join(['lol'] * 9)}]"]
    + [f"x{i}: &x{i} [{', '.join([f'*x{i - 1}'] * 9)}]" for i in range(1, 9)]
)

ALIASES = [
    Case(
        "small-alias-is-fine",
        0,
        config=BASE_CONFIG.replace(
            "features: {numeric: [a, b], categorical: [c]}",
            "features: {numeric: &nums [a, b], categorical: [c]}",
        )
        + "    overrides: {}\n",
        db=DbState(runs=("succeeded",)),
    ),
    refused(
        "alias-bomb-nine-levels",
        top(BOMB),
        FILE + r", line \d+: YAML aliases \(\*name\) expand this document to more than 100,000",
    ),
    refused(
        "alias-bomb-in-a-monitor-description",
        top(BOMB.replace("x", "y")) + "",
        r"YAML aliases \(\*name\) expand this document",
    ),
    refused(
        "alias-bomb-validate",
        top(BOMB),
        r"YAML aliases \(\*name\) expand",
        validate=True,
    ),
    refused(
        "undefined-alias",
        config_with("path: ref.csv}", "path: *nowhere}"),
        r"not valid YAML at line 4.*found undefined alias",
    ),
]

DEEP = 500
"""How deep the nesting cases go: PyYAML's recursive composer overflowed Python's stack."""

SYNTAX = [
    refused("unclosed-bracket", "monitors: [\n", r"not valid YAML at line \d+"),
    refused(
        "flow-lists-nested-500-deep",
        top("x: " + "[" * DEEP + "]" * DEEP),
        FILE + r", line 2: values nest more than 64 levels deep",
    ),
    refused(
        "block-lists-nested-500-deep",
        top("x:\n" + "".join("  " * i + "-\n" for i in range(1, DEEP)) + "  " * DEEP + "- 1"),
        FILE + r", line \d+: values nest more than 64 levels deep",
    ),
    refused(
        "mappings-nested-500-deep",
        top("x:\n" + "".join("  " * i + "k:\n" for i in range(1, DEEP)) + "  " * DEEP + "k: 1"),
        FILE + r", line \d+: values nest more than 64 levels deep",
        validate=True,
    ),
    refused(
        "tab-indentation",
        BASE_CONFIG.replace("    live:", "\tlive:"),
        r"not valid YAML at line 5, column 1",
    ),
    refused("empty-file", "", r"the file is empty; it needs at least a 'monitors' list"),
    refused("only-a-comment", "# nothing\n", r"the file is empty"),
    refused("top-level-list", "- a\n- b\n", r"expected a YAML mapping with a 'monitors' key"),
    refused("top-level-scalar", "hello\n", r"expected a YAML mapping.*found str"),
    refused(
        "bad-indentation",
        BASE_CONFIG.replace("    live:", "      live:"),
        r"not valid YAML at line \d+",
    ),
]

DATES = [
    refused(
        f"bad-date-{key}-{value}",
        config_with(
            "live: {type: csv, path: live.csv}",
            f"live: {{type: csv, path: live.csv, timestamp_column: a, {key}: {value}}}",
        ),
        rf"monitors\[0\]\.live\.{key}: expected a valid datetime.*found '{value}'",
    )
    for key, value in [("start", "2024-13-45"), ("end", "2024-02-30"), ("start", "2023-02-29")]
] + [
    refused(
        "bad-date-silence-until",
        top("alerts:\n  silences:\n    - {monitor: m1, until: 2024-00-10}"),
        r"alerts\.silences\[0\]\.until: expected a valid datetime.*'2024-00-10'",
    ),
    refused(
        "start-after-end",
        config_with(
            "live: {type: csv, path: live.csv}",
            "live: {type: csv, path: live.csv, timestamp_column: a, start: 2024-02-01, "
            "end: 2024-01-01}",
        ),
        r"'start' \(2024-02-01 00:00:00\+00:00\) must be before 'end'",
    ),
    refused(
        "start-without-timestamp-column",
        config_with(
            "live: {type: csv, path: live.csv}",
            "live: {type: csv, path: live.csv, start: 2024-01-01}",
        ),
        r"'start', 'end' and 'window' need 'timestamp_column'",
    ),
    refused(
        "window-on-the-reference",
        config_with(
            "reference: {type: csv, path: ref.csv}",
            "reference: {type: csv, path: ref.csv, timestamp_column: a, window: 1d}",
        ),
        r"'window' applies to the live source only",
    ),
]

# (id, monitor- or defaults-level YAML, message)
VALUES = [
    (
        "min-rows-not-a-number",
        "    min_rows: ten",
        r"monitors\[0\]\.min_rows: expected a valid integer",
    ),
    ("min-rows-zero", "    min_rows: 0", r"min_rows: expected greater than or equal to 1"),
    ("bins-zero", "    binning: {bins: 0}", r"binning\.bins: expected greater than or equal to 1"),
    ("bins-too-many", "    binning: {bins: 1000000000}", r"binning\.bins: expected less than"),
    ("bins-negative", "    binning: {bins: -3}", r"binning\.bins"),
    ("bins-a-float", "    binning: {bins: 2.5}", r"binning\.bins: expected a valid integer"),
    ("top-k-zero", "    binning: {top_k: 0}", r"binning\.top_k"),
    (
        "unknown-strategy",
        "    binning: {strategy: equal}",
        r"binning\.strategy: expected 'quantile'",
    ),
    ("fixed-without-edges", "    binning: {strategy: fixed}", r"strategy 'fixed' needs 'edges'"),
    ("fixed-one-edge", "    binning: {strategy: fixed, edges: [1]}", r"at least two numbers"),
    (
        "fixed-nan-edge",
        "    binning: {strategy: fixed, edges: [0, .nan, 1]}",
        r"'edges' must be finite numbers, found \[0\.0, nan, 1\.0\]",
    ),
    (
        "fixed-infinite-edge",
        "    binning: {strategy: fixed, edges: [0, 1, .inf]}",
        r"'edges' must be finite numbers",
    ),
    (
        "fixed-decreasing-edges",
        "    binning: {strategy: fixed, edges: [3, 2, 1]}",
        r"'edges' must be strictly increasing",
    ),
    (
        "fixed-repeated-edges",
        "    binning: {strategy: fixed, edges: [1, 1, 2]}",
        r"'edges' must be strictly increasing",
    ),
    (
        "edges-with-quantile",
        "    binning: {strategy: quantile, edges: [1, 2]}",
        r"'edges' only applies to strategy 'fixed'",
    ),
    ("edges-not-numbers", "    binning: {strategy: fixed, edges: [a, b]}", r"binning\.edges"),
    ("unknown-metric", "    decide_on: [jsd]", r"unknown metric 'jsd'; choose one of: hellinger"),
    ("empty-decide-on", "    decide_on: []", r"'decide_on' must list at least one metric"),
    ("threshold-unknown-metric", "    thresholds: {jsx: {warn: 0.1}}", r"unknown metric 'jsx'"),
    (
        "threshold-negative",
        "    thresholds: {js: {warn: -0.1}}",
        r"thresholds\.js\.warn: expected greater",
    ),
    (
        "threshold-warn-above-critical",
        "    thresholds: {js: {warn: 0.5, critical: 0.1}}",
        r"'warn' \(0\.5\) must not exceed 'critical' \(0\.1\)",
    ),
    ("threshold-unknown-kind", "    thresholds: {js: {kind: magic}}", r"magic"),
    (
        "threshold-alpha-above-one",
        "    thresholds: {js: {alpha: 2}}",
        r"thresholds\.js\.alpha: expected less than 1",
    ),
    (
        "threshold-for-zero",
        "    thresholds: {js: {for: 0}}",
        r"thresholds\.js\.for: expected greater",
    ),
    ("threshold-not-a-mapping", "    thresholds: {js: 0.1}", r"thresholds\.js"),
    (
        "constant-threshold-without-levels",
        "    thresholds: {js: {kind: constant, warn: null, critical: null}}",
        r"metric 'js' has no 'warn' or 'critical' threshold",
    ),
    ("on-rerun-unknown", "    on_rerun: overwrite", r"on_rerun: expected 'replace' or 'skip'"),
    ("correction-unknown", "    correction: bonferroni", r"correction: expected 'none' or 'bh'"),
    (
        "max-catchup-negative",
        "    max_catchup: -1",
        r"max_catchup: expected greater than or equal to 0",
    ),
    (
        "dataset-drift-share-zero",
        "    dataset_drift: {enabled: true, share: 0}",
        r"dataset_drift\.share",
    ),
    ("dataset-drift-share-above-one", "    dataset_drift: {share: 1.5}", r"dataset_drift\.share"),
    ("features-as-a-string", "    alerts: oncall", r"monitors\[0\]\.alerts"),
    (
        "override-unknown-feature",
        "    overrides: {d: {metrics: [kl]}}",
        r"overrides names 'd', which is not a listed feature",
    ),
    ("override-bad-key", "    overrides: {a: {bins: 3}}", r"unknown key 'bins'"),
]

DEFAULTS = [
    (
        "defaults-smoothing-negative",
        "defaults: {smoothing: -1}",
        r"defaults\.smoothing: expected greater",
    ),
    ("defaults-chunk-rows-too-small", "defaults: {chunk_rows: 10}", r"defaults\.chunk_rows"),
    (
        "defaults-empty-metrics",
        "defaults: {metrics: []}",
        r"'metrics' must list at least one metric",
    ),
    ("defaults-unknown-metric", "defaults: {metrics: [js, kld]}", r"unknown metric 'kld'"),
    (
        "defaults-sample-rows-too-small",
        "defaults: {reference_sample_rows: 5}",
        r"reference_sample_rows",
    ),
    ("defaults-not-a-mapping", "defaults: [min_rows]", r"defaults"),
    ("alerts-max-attempts-zero", "alerts: {max_attempts: 0}", r"alerts\.max_attempts"),
    (
        "alerts-repeat-interval-text",
        "alerts: {repeat_interval: often}",
        r"alerts\.repeat_interval: expected a duration such as '90s'.*'often'",
    ),
    (
        "alerts-backoff-huge",
        "alerts: {backoff_initial: 9999999999d}",
        r"alerts\.backoff_initial: duration '9999999999d' is too large",
    ),
    ("database-not-a-string", "defaults: {}\ndatabase2: x", r"unknown key 'database2'"),
]

UNKNOWN_KEYS = [
    refused(
        "unknown-top-level-key",
        top("monitor: m1"),
        r"yaml: monitor: unknown key 'monitor'; did you mean 'monitors'\?",
    ),
    refused(
        "unknown-monitor-key",
        monitor_key("    featurs: {numeric: [a]}"),
        r"monitors\[0\]\.featurs: unknown key 'featurs'; did you mean 'features'\?",
    ),
    refused(
        "unknown-source-key",
        config_with("path: ref.csv}", "pth: ref.csv}"),
        r"monitors\[0\]\.reference",
    ),
    refused(
        "unknown-binning-key",
        monitor_key("    binning: {stratgy: uniform}"),
        r"unknown key 'stratgy'; did you mean 'strategy'\?",
    ),
    refused(
        "unknown-threshold-key",
        monitor_key("    thresholds: {js: {warm: 0.1}}"),
        r"unknown key 'warm'; did you mean 'warn'\?",
    ),
    refused(
        "unknown-alerts-key",
        top("alerts: {sink: []}"),
        r"alerts\.sink: unknown key 'sink'; did you mean 'sinks'\?",
    ),
    refused(
        "unknown-schedule-key",
        monitor_key("    schedule: {crontab: '* * * * *'}"),
        r"unknown key 'crontab'",
    ),
    refused(
        "unknown-defaults-key",
        top("defaults: {min_row: 3}"),
        r"defaults\.min_row: unknown key 'min_row'; did you mean 'min_rows'\?",
    ),
]

REQUIRED = [
    refused("no-monitors-key", "database: {db}\n", r"monitors: required key is missing"),
    refused("empty-monitors-list", "database: {db}\nmonitors: []\n", r"monitors: "),
    refused(
        "monitor-without-reference",
        BASE_CONFIG.replace("    reference: {type: csv, path: ref.csv}\n", ""),
        r"monitors\[0\]\.reference: required key is missing",
    ),
    refused(
        "monitor-without-features",
        BASE_CONFIG.replace("    features: {numeric: [a, b], categorical: [c]}\n", ""),
        r"monitors\[0\]\.features: required key is missing",
    ),
    refused(
        "monitor-without-name",
        BASE_CONFIG.replace("  - name: m1\n    reference", "  - reference"),
        r"monitors\[0\]\.name: required key is missing",
    ),
    refused(
        "empty-features",
        config_with("{numeric: [a, b], categorical: [c]}", "{numeric: []}"),
        r"list at least one feature",
    ),
    refused(
        "source-without-type",
        config_with("{type: csv, path: ref.csv}", "{path: ref.csv}"),
        r"monitors\[0\]\.reference: missing 'type' key",
    ),
    refused(
        "unknown-source-type",
        config_with("{type: csv, path: ref.csv}", "{type: excel, path: ref.csv}"),
        r"monitors\[0\]\.reference\.type: unknown type 'excel'; expected one of",
    ),
    refused(
        "sql-source-with-table-and-query",
        config_with(
            "{type: csv, path: ref.csv}",
            "{type: sql, url: 'sqlite://', table: t, query: 'select 1'}",
        ),
        r"give exactly one of 'table' or 'query'",
    ),
    refused(
        "csv-source-without-path",
        config_with("{type: csv, path: ref.csv}", "{type: csv}"),
        r"monitors\[0\]\.reference\.path: required key is missing",
    ),
]

SQL_URLS = [
    Case(
        f"sql-source-url-{label}-{command}",
        2,
        rf"{FILE}: monitors\[0\]\.live\.url: the database URL {message}",
        config=config_with(
            "live: {type: csv, path: live.csv}", f"live: {{type: sql, url: '{url}', table: t}}"
        ),
        args=(command, "--config", "{config}"),
        db=DbState(),
        hidden=hidden,
    )
    for label, url, message, hidden in [
        (
            "at-sign-in-the-password",
            "postgresql+psycopg://u:ab@cd:ef/ghZq9@127.0.0.1/db",
            r"has an '@' in its password .*percent-encode special characters in the password "
            r"\(@ → %40, / → %2F, : → %3A, # → %23, \? → %3F",
            ("ab@cd", "cd:ef", "ghZq9"),
        ),
        (
            "password-tail-in-the-database-name",
            "postgresql+psycopg://u:p@ssZq9/w:rd#Secret1@127.0.0.1:5432/db",
            r"has an '@' in its password",
            ("ssZq9", "Secret1", "rd#"),
        ),
        (
            "port-not-a-number",
            "postgresql+psycopg://u:Pw9Zq8@127.0.0.1:5x4/db",
            r"has a port that is not a number$",
            ("Pw9Zq8",),
        ),
    ]
    for command in ("run", "validate")
]

N = 301
LIMITS = [
    refused(
        "numeric-feature-name-over-300",
        config_with("numeric: [a, b]", f"numeric: [a, {'f' * N}]"),
        r"feature name 'f+'\.\.\. is 301 characters long; the results database stores at most 300",
    ),
    refused(
        "categorical-feature-name-over-300",
        config_with("categorical: [c]", f"categorical: [{'g' * 400}]"),
        r"is 400 characters long; the results database stores at most 300",
    ),
    refused(
        "monitor-name-over-200",
        config_with("name: m1", f"name: {'m' * 201}"),
        r"monitors\[0\]\.name: String should have at most 200 characters|at most 200",
    ),
    refused(
        "sink-name-over-200",
        top(f"alerts:\n  sinks:\n    - {{name: {'s' * 201}, type: log}}"),
        r"alerts\.sinks\[0\]\.name: .*at most 200",
    ),
    refused(
        "silence-monitor-name-over-200",
        top(f"alerts:\n  silences:\n    - {{monitor: {'m' * 250}, until: 2030-01-01}}"),
        r"alerts\.silences\[0\]\.monitor: .*at most 200",
    ),
    refused(
        "empty-feature-name",
        config_with("numeric: [a, b]", "numeric: [a, '']"),
        r"feature name '' is empty",
    ),
    refused(
        "monitor-name-with-space",
        config_with("name: m1", "name: 'my monitor'"),
        r"monitors\[0\]\.name",
    ),
    refused(
        "repeated-monitor-names",
        BASE_CONFIG + BASE_CONFIG.split("monitors:\n")[1],
        r"monitor names must be unique; repeated: m1",
    ),
    refused(
        "feature-listed-twice",
        config_with("numeric: [a, b]", "numeric: [a, b, a]"),
        r"features listed more than once: a",
    ),
    refused(
        "feature-numeric-and-categorical",
        config_with("categorical: [c]", "categorical: [c, a]"),
        r"features listed more than once: a",
    ),
    Case(
        "feature-name-of-exactly-300",
        2,
        r"column 'f{300}' is absent",
        config=config_with("numeric: [a, b]", f"numeric: [a, {'f' * 300}]"),
        db=DbState(runs=("succeeded",), features={"f" * 300: "error", "a": "ok"}),
    ),
]

ENV = [
    refused(
        "env-var-not-set",
        config_with("path: ref.csv}", "path: '${DW_TEST_NOT_SET}'}"),
        r"monitors\[0\]\.reference\.path: environment variable DW_TEST_NOT_SET is not set",
    ),
    refused(
        "env-var-in-database-not-set",
        BASE_CONFIG.replace("database: {db}", "database: ${DW_TEST_NO_DB}"),
        r"database: environment variable DW_TEST_NO_DB is not set",
    ),
    Case(
        "env-var-default-used",
        0,
        config=config_with("path: ref.csv}", "path: '${DW_TEST_NOT_SET:-ref.csv}'}"),
        db=DbState(runs=("succeeded",)),
    ),
    Case(
        "env-var-set",
        0,
        config=config_with("path: ref.csv}", "path: '${DW_TEST_REF}'}"),
        env={"DW_TEST_REF": "ref.csv"},
        db=DbState(runs=("succeeded",)),
    ),
    Case(
        "env-var-in-a-query-is-hidden",
        2,
        r"live: listing the columns of sql query \"select a, b, c from nope where tag = '\*\*\*'\"",
        config=config_with(
            "live: {type: csv, path: live.csv}",
            "live: {type: sql, url: 'sqlite://', "
            "query: \"select a, b, c from nope where tag = '${DW_TEST_TAG}'\"}",
        ),
        env={"DW_TEST_TAG": "Zq9TagSecret"},
        db=DbState(runs=("failed",)),
        hidden=("Zq9TagSecret", "Zq9T"),
    ),
    Case(
        "escaped-dollar-is-literal",
        2,
        r"file '.*\$\{DW_TEST_REF\}' not found",
        config=config_with("path: ref.csv}", "path: '$${DW_TEST_REF}'}"),
        db=DbState(runs=("failed",)),
    ),
]

SCHEDULES = [
    (
        "cron-four-fields",
        "{cron: '0 0 1 *'}",
        r"cron '0 0 1 \*' must have 5 fields .* found 4",
    ),
    ("cron-bad-minute", "{cron: '61 * * * *'}", r"invalid cron '61 \* \* \* \*'"),
    (
        "cron-30-february",
        "{cron: '0 0 30 2 *'}",
        r"cron '0 0 30 2 \*' never fires: no date matches",
    ),
    ("cron-31-april", "{cron: '0 0 31 4 *'}", r"cron '0 0 31 4 \*' never fires"),
    (
        "cron-bad-weekday",
        "{cron: '0 0 * * 9'}",
        r"weekday '9' is out of range 0-7",
    ),
    ("cron-text", "{cron: 'every hour'}", r"cron 'every hour' must have 5 fields"),
    (
        "interval-1ms",
        "{interval: 1ms}",
        r"interval 0\.001s is out of range: an interval is between 1s and 366d",
    ),
    (
        "interval-half-second",
        "{interval: 0.5s}",
        r"interval 0\.5s is out of range",
    ),
    ("interval-400-days", "{interval: 400d}", r"interval 400d is out of range"),
    (
        "interval-huge",
        "{interval: 99999999999d}",
        r"duration '99999999999d' is too large",
    ),
    ("interval-zero", "{interval: 0s}", r"expected a positive duration"),
    ("interval-text", "{interval: hourly}", r"expected a duration such as '90s'"),
    ("interval-negative", "{interval: -5m}", r"expected a duration such as '90s'.*'-5m'"),
    (
        "cron-and-interval",
        "{cron: '0 * * * *', interval: 1h}",
        r"give exactly one of 'cron' or 'interval'",
    ),
    (
        "neither-cron-nor-interval",
        "{timezone: UTC}",
        r"give exactly one of 'cron' or 'interval'",
    ),
    (
        "unknown-timezone",
        "{cron: '0 * * * *', timezone: Mars/Olympus}",
        r"unknown timezone 'Mars/Olympus'",
    ),
]
SCHEDULE_OK = [
    Case(
        "cron-29-february-fires-in-leap-years",
        0,
        config=config_with(
            "live: {type: csv, path: live.csv}",
            "live: {type: csv, path: live.csv, timestamp_column: ts}",
        ).replace("features:", "schedule: {cron: '0 0 29 2 *'}\n    features:"),
        args=("validate", "--config", "{config}"),
        files={"ref.csv": "a,b,c\n", "live.csv": "a,b,c,ts\n"},
        db=DbState(),
        stdout=r"valid",
    ),
    refused(
        "schedule-without-timestamp-column",
        monitor_key("    schedule: {interval: 1h}"),
        r"has a schedule but its live source has no 'timestamp_column'",
    ),
]

DURATIONS = [
    refused(
        "window-zero",
        config_with(
            "live: {type: csv, path: live.csv}",
            "live: {type: csv, path: live.csv, timestamp_column: a, window: 0s}",
        ),
        r"live\.window: expected a positive duration",
    ),
    refused(
        "window-huge",
        config_with(
            "live: {type: csv, path: live.csv}",
            "live: {type: csv, path: live.csv, timestamp_column: a, window: 1e300s}",
        ),
        r"live\.window: .*too large|live\.window: expected a duration",
    ),
    refused(
        "window-nonsense",
        config_with(
            "live: {type: csv, path: live.csv}",
            "live: {type: csv, path: live.csv, timestamp_column: a, window: soon}",
        ),
        r"live\.window: expected a duration such as",
    ),
    refused(
        "misfire-grace-huge",
        config_with(
            "live: {type: csv, path: live.csv}",
            "live: {type: csv, path: live.csv, timestamp_column: ts}",
        ).replace(
            "features:", "schedule: {interval: 1h, misfire_grace_time: 99999999999d}\n    features:"
        ),
        r"misfire_grace_time: duration '99999999999d' is too large",
    ),
]


def _monitor_case(id: str, text: str, message: str) -> Case:
    return refused(id, monitor_key(text), message)


def _schedule_case(id: str, schedule: str, message: str) -> Case:
    config = config_with(
        "live: {type: csv, path: live.csv}",
        "live: {type: csv, path: live.csv, timestamp_column: ts}",
    ).replace("features:", f"schedule: {schedule}\n    features:")
    return refused(id, config, r"monitors\[0\]\.schedule(\.interval)?: (.*: )?" + message)


CASES = (
    DUPLICATES
    + ALIASES
    + SYNTAX
    + DATES
    + [_monitor_case(*row) for row in VALUES]
    + [refused(id, top(text), message) for id, text, message in DEFAULTS]
    + UNKNOWN_KEYS
    + REQUIRED
    + SQL_URLS
    + LIMITS
    + ENV
    + [_schedule_case(*row) for row in SCHEDULES]
    + SCHEDULE_OK
    + DURATIONS
)


@pytest.mark.parametrize(("case", "backend"), case_params(CASES))
def test_bad_config(
    case: Case, backend: Backend, check_case: Callable[[Case, Backend], None]
) -> None:
    check_case(case, backend)


def test_an_alias_bomb_is_refused_without_expanding_it(tmp_path: object) -> None:
    """The 523-byte bomb of the audit (nine nested levels, 9⁹ values) is refused at once."""
    from pathlib import Path

    from driftwatch.config import load_config
    from driftwatch.errors import ConfigError

    path = Path(str(tmp_path)) / "bomb.yaml"
    path.write_text(BOMB + "\nmonitors: *x8\n", encoding="utf-8")
    assert len(path.read_bytes()) < 600
    with pytest.raises(ConfigError, match=r"bomb\.yaml, line \d+: YAML aliases"):
        load_config(path)


def test_the_config_area_has_enough_cases() -> None:
    assert len({c.id for c in CASES}) == len(CASES) >= 120
