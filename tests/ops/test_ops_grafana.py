"""The Grafana dashboard imports with a datasource of the user's choice, and every panel's SQL (and
every template variable's query) runs on SQLite and PostgreSQL with the variables filled in,
returning the example database's rows."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from store_helpers import REPO_ROOT, window

from driftwatch.store import Store

DASHBOARD = REPO_ROOT / "dashboards" / "grafana" / "driftwatch.json"
END = [window(i)[1] for i in range(4)]


def dashboard() -> dict[str, Any]:
    return dict(json.loads(DASHBOARD.read_text(encoding="utf-8")))


def queries() -> dict[str, str]:
    """Panel title (or ``var:<name>``) → its SQL."""
    found = {
        panel["title"]: target["rawSql"]
        for panel in dashboard()["panels"]
        for target in panel["targets"]
    }
    for variable in dashboard()["templating"]["list"]:
        if variable["type"] == "query":
            found[f"var:{variable['name']}"] = variable["query"]
    return found


def render(sql: str, dialect: str, monitors: list[str], feature: str, metric: str) -> str:
    """Grafana's interpolation: a multi-value variable quoted and joined, single ones raw."""
    start, end = "2024-03-01 00:00:00", "2024-03-01 02:30:00"
    if dialect == "postgresql":  # Grafana's PostgreSQL data source, verbatim
        time_filter = (
            f"window_end BETWEEN '{start.replace(' ', 'T')}Z' AND '{end.replace(' ', 'T')}Z'"
        )
    else:  # SQLite keeps UTC text 'YYYY-MM-DD HH:MM:SS.ffffff'
        time_filter = f"window_end BETWEEN '{start}' AND '{end}'"
    sql = sql.replace("$__timeFilter(window_end)", time_filter)
    sql = sql.replace("$monitor", ",".join(f"'{m}'" for m in monitors))
    sql = sql.replace("$feature", feature).replace("$metric", metric)
    assert "$" not in sql, sql
    return sql


def normalised(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?", value):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value


def rows(
    store: Store, title: str, monitors: list[str], feature: str = "age", metric: str = "js"
) -> list[tuple[Any, ...]]:
    sql = render(queries()[title], store.engine.dialect.name, monitors, feature, metric)
    with store.engine.connect() as connection:
        result = connection.exec_driver_sql(sql)
        return [tuple(normalised(v) for v in row) for row in result]


def test_the_datasource_is_an_input_and_a_variable_used_by_every_panel() -> None:
    board = dashboard()
    (needed,) = board["__inputs"]
    assert needed["type"] == "datasource" and needed["name"] == "DS"
    names = [v["name"] for v in board["templating"]["list"]]
    assert names == ["DS", "monitor", "feature", "metric"]
    for panel in board["panels"]:
        assert panel["datasource"]["uid"] == "${DS}"
        assert all(t["datasource"]["uid"] == "${DS}" for t in panel["targets"])
    for variable in board["templating"]["list"][1:]:
        assert variable["datasource"]["uid"] == "${DS}"


def test_the_panels_answer_the_three_questions() -> None:
    titles = [p["title"] for p in dashboard()["panels"]]
    assert titles == [
        "Drifting now per monitor",
        "Latest state",
        "$feature $metric over time, with its decision threshold",
    ]


def test_drifting_now_counts_drifting_features_per_monitor(example_store: Store) -> None:
    assert rows(example_store, "Drifting now per monitor", []) == [
        ("churn", 0, 1),
        ("credit", 2, 2),
        ("legacy", 0, 1),
    ]


@pytest.mark.parametrize(
    ("monitors", "expected"),
    [
        pytest.param(
            ["credit"],
            [
                ("credit", "age", "js", 0.12, "critical"),
                ("credit", "age", "kl", 0.3, "critical"),
                ("credit", "cat_state", "js", 0.06, "warn"),
                ("credit", "cat_state", "kl", 0.11, "warn"),
            ],
            id="one-monitor-most-severe-first",
        ),
        pytest.param(
            ["churn", "legacy"],
            [("churn", "tenure", "js", None, "no_data"), ("legacy", "age", "js", 0.03, "ok")],
            id="two-monitors-no-data-before-ok",
        ),
    ],
)
def test_latest_state_lists_each_feature_metric_most_severe_first(
    example_store: Store, monitors: list[str], expected: list[tuple[Any, ...]]
) -> None:
    found = rows(example_store, "Latest state", monitors)
    assert [(r[0], r[1], r[2], r[3], r[6]) for r in found] == expected
    assert {r[8] for r in found} <= set(END)  # window_end


def test_time_series_gives_the_metric_and_its_thresholds_in_the_time_range(
    example_store: Store,
) -> None:
    title = "$feature $metric over time, with its decision threshold"
    found = rows(example_store, title, ["credit"], "age", "js")
    assert [(r[0], r[1], r[3], r[4]) for r in found] == [
        (END[0], 0.01, 0.05, 0.1),
        (END[1], 0.04, 0.05, 0.1),
    ]


@pytest.mark.parametrize(
    ("variable", "expected"),
    [
        pytest.param("var:monitor", [("churn",), ("credit",), ("legacy",)], id="monitor"),
        pytest.param("var:feature", [("age",), ("cat_state",)], id="feature"),
        pytest.param("var:metric", [("js",), ("kl",)], id="metric"),
    ],
)
def test_template_variables_list_the_choices(
    example_store: Store, variable: str, expected: list[tuple[str]]
) -> None:
    assert rows(example_store, variable, ["credit"], "age") == expected
