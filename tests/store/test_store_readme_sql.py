"""Every SQL block of the README's "Dashboards" section returns the expected rows on the example
database, on SQLite and PostgreSQL, with Grafana's and Metabase's variables filled in."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from store_helpers import REPO_ROOT, window

from driftwatch.store import Store

END = [window(i)[1] for i in range(4)]  # window ends 01:00, 02:00, 03:00, 04:00 on 2024-03-01


def dashboard_blocks() -> dict[str, str]:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Dashboards\n(.*?)^## ", readme, re.S | re.M)
    assert section is not None, "README.md has no '## Dashboards' section"
    blocks = re.findall(r"<!-- dashboard-sql: (\S+) -->\n```sql\n(.*?)```", section.group(1), re.S)
    assert len(blocks) == section.group(1).count("```sql"), "every SQL block has a name"
    return dict(blocks)


def grafana_time_filter(dialect: str, start: str, end: str) -> str:
    """What ``$__timeFilter(window_end)`` expands to for the given dashboard time range."""
    if dialect == "postgresql":  # Grafana's PostgreSQL data source, verbatim
        return f"window_end BETWEEN '{start}Z' AND '{end}Z'"
    # SQLite keeps UTC text 'YYYY-MM-DD HH:MM:SS.ffffff'; compare in that form
    return f"window_end BETWEEN '{start.replace('T', ' ')}' AND '{end.replace('T', ' ')}'"


def render(sql: str, dialect: str, variables: dict[str, str]) -> str:
    """Fill Grafana ($name, $__timeFilter) and Metabase ({{name}}, [[optional]]) variables."""
    time_range = variables.pop("$__timeFilter", None)
    if time_range is not None:
        start, end = time_range.split("/")
        sql = sql.replace("$__timeFilter(window_end)", grafana_time_filter(dialect, start, end))

    def optional(match: re.Match[str]) -> str:  # Metabase drops [[...]] whose variable is unset
        names = re.findall(r"\{\{(\w+)\}\}", match.group(1))
        return match.group(1) if all(n in variables for n in names) else ""

    sql = re.sub(r"\[\[(.*?)\]\]", optional, sql, flags=re.S)
    sql = re.sub(r"\{\{(\w+)\}\}", lambda m: f"'{variables[m.group(1)]}'", sql)
    for name, value in variables.items():
        sql = sql.replace(f"${name}", value)
    assert "$" not in sql and "{{" not in sql, sql
    return sql


def normalised(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?", value):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)  # SQLite's stored UTC text
    return value


# block name -> [(case id, variables, expected rows)]
CASES: dict[str, list[tuple[str, dict[str, str], list[tuple[Any, ...]]]]] = {
    "grafana-timeseries": [
        ("two-of-three-windows-in-range",
         {"monitor": "credit", "feature": "age", "metric": "js",
          "$__timeFilter": "2024-03-01T00:00:00/2024-03-01T02:30:00"},
         [(END[0], 0.01, 0.05, 0.05, 0.1), (END[1], 0.04, 0.05, 0.05, 0.1)]),
        ("failed-window-absent",
         {"monitor": "credit", "feature": "cat_state", "metric": "kl",
          "$__timeFilter": "2024-03-01T02:30:00/2024-03-01T06:00:00"},
         [(END[2], 0.11, 0.1, 0.1, 0.25)]),
    ],
    "grafana-latest": [
        ("credit",
         {"monitor": "credit"},
         [("age", "js", 0.12, "bits", "critical", 200, END[2], None),
          ("age", "kl", 0.3, "nats", "critical", 200, END[2], None),
          ("cat_state", "js", 0.06, "bits", "warn", 200, END[2], None),
          ("cat_state", "kl", 0.11, "nats", "warn", 200, END[2], None)]),
        ("no-data-with-reason",
         {"monitor": "churn"},
         [("tenure", "js", None, "bits", "no_data", 200, END[1], "too few rows")]),
    ],
    "grafana-drifting-now": [
        ("every-monitor", {}, [("churn", 0, 1), ("credit", 2, 2), ("legacy", 0, 1)]),
    ],
    "metabase-latest": [
        ("every-monitor",
         {},
         [("credit", "age", "js", 0.12, "critical", END[2]),
          ("credit", "age", "kl", 0.3, "critical", END[2]),
          ("credit", "cat_state", "js", 0.06, "warn", END[2]),
          ("credit", "cat_state", "kl", 0.11, "warn", END[2])]),
        ("a-quiet-monitor", {"monitor": "legacy"}, []),
    ],
    "metabase-history": [
        ("whole-history-the-rerun-once",
         {"monitor": "credit", "feature": "age"},
         [(END[0], 0.01, "ok"), (END[1], 0.04, "ok"), (END[2], 0.12, "critical")]),
        ("since-a-later-day",
         {"monitor": "credit", "feature": "age", "since": "2024-03-02"},
         []),
        ("another-monitor",
         {"monitor": "legacy", "feature": "age", "since": "2024-03-01"},
         [(END[0], 0.02, "ok"), (END[1], 0.03, "ok")]),
    ],
}  # fmt: skip


def test_every_dashboard_block_has_expected_rows() -> None:
    assert set(dashboard_blocks()) == set(CASES)


@pytest.mark.parametrize(
    ("block", "variables", "expected"),
    [
        pytest.param(block, variables, expected, id=f"{block}-{case}")
        for block, cases in CASES.items()
        for case, variables, expected in cases
    ],
)
def test_readme_dashboard_sql_returns_the_expected_rows(
    example_store: Store, block: str, variables: dict[str, str], expected: list[tuple[Any, ...]]
) -> None:
    dialect = example_store.engine.dialect.name
    sql = render(dashboard_blocks()[block], dialect, dict(variables))
    with example_store.engine.connect() as connection:
        rows = [tuple(normalised(v) for v in row) for row in connection.exec_driver_sql(sql)]
    assert rows == expected
