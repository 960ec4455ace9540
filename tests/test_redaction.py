"""redact_url reads a URL with SQLAlchemy's parser and hides what is secret in it; a URL it would
misread is refused; redact hides known secrets (a password, a value from the environment in a query)
in any text."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftwatch.config import SqlSourceConfig, load_config
from driftwatch.errors import (
    ConfigError,
    SourceError,
    mask_secrets,
    redact,
    redact_url,
    url_problem,
    url_secrets,
)
from driftwatch.sources import open_source


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        pytest.param(
            "postgresql+psycopg://rtuser:cd@SecretTail9@127.0.0.1:5432/db",
            "postgresql+psycopg://rtuser:***@127.0.0.1:5432/db",
            id="unescaped-at-sign-in-the-password",
        ),
        pytest.param("postgresql://u:p%40ss@h/db", "postgresql://u:***@h/db", id="escaped-at-sign"),
        pytest.param(
            "postgresql://u@h/db?sslmode=require&password=x1",
            "postgresql://u@h/db?password=***&sslmode=require",
            id="password-in-the-query",
        ),
        pytest.param(
            "https://hooks.slack.com/services/T0/B0/XYZ",
            "https://hooks.slack.com/services/***",
            id="slack-path",
        ),
        pytest.param(
            "postgresql://u:Secret1@h:abc/db", "postgresql://u:***@h:abc/db", id="bad-port"
        ),
        pytest.param(
            "https://example.com/hook?b=2&a=1", "https://example.com/hook?b=2&a=1", id="nothing"
        ),
        pytest.param("not a url", "not a url", id="not-a-url"),
        pytest.param("sqlite:///results.db", "sqlite:///results.db", id="sqlite"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_urls_inside_a_sentence_are_redacted_and_the_sentence_kept() -> None:
    text = "cannot connect to postgresql://u:pw@h/db: refused (retry postgresql://v:pw2@k/e)."
    assert redact_url(text) == (
        "cannot connect to postgresql://u:***@h/db: refused (retry postgresql://v:***@k/e)."
    )


def test_mask_secrets_hides_the_longest_first() -> None:
    assert mask_secrets("token abc and abcdef", ["abc", "abcdef", None]) == "token *** and ***"
    assert mask_secrets("pin 123", ["123"], min_length=4) == "pin 123"


# --- passwords SQLAlchemy would misread, and the forms of a secret ---------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        pytest.param(
            "postgresql://u:p@ssZq9/w:rd#Sk7@h:5432/db",
            "postgresql://u:***@h:5432/db",
            id="tail-would-be-the-database",
        ),
        pytest.param(
            "postgresql://u:ab@cd:ef/gh@h/db", "postgresql://u:***@h/db", id="tail-would-be-a-port"
        ),
        pytest.param(
            "postgresql://u:ab@cd?x=1@h/db?password=x1",
            "postgresql://u:***@h/db?password=***",
            id="tail-would-be-the-query",
        ),
        pytest.param("postgresql://u:Gt5p Bm8k@h:1/db", "postgresql://u:***@h:1/db", id="space"),
        pytest.param("postgresql://u:Xa2c'Yu6\"j@h/db", "postgresql://u:***@h/db", id="quotes"),
        pytest.param(
            "sqlite://u:Zq9%40x@//tmp/x/results.db",
            "sqlite://u:***@//tmp/x/results.db",
            id="sqlite",
        ),
    ],
)
def test_redact_url_hides_a_password_sqlalchemy_would_misread(url: str, shown: str) -> None:
    assert redact_url(url) == shown


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        pytest.param("postgresql://u:p@ss/w:rd#S1@h/db", "has an '@' in its password", id="at"),
        pytest.param("postgresql://u:ab@cd:ef/gh@h/db", "has an '@' in its password", id="at-port"),
        pytest.param("postgresql://u:pw@h:5x4/db", "has a port that is not a number", id="port"),
        pytest.param("postgresql://u:p%40ss@h:5432/db", None, id="encoded"),
        pytest.param("postgresql://u:a/b:c#d?e@h/db", None, id="read-as-written"),
        pytest.param("sqlite:////tmp/a@b/x.db", None, id="sqlite-path-with-at"),
        pytest.param("warehouse", None, id="not-a-url-is-the-callers"),
    ],
)
def test_url_problem_names_what_sqlalchemy_would_misread(url: str, problem: str | None) -> None:
    found = url_problem(url)
    if problem is None:
        assert found is None
    else:
        assert found is not None and found.startswith(problem)
        assert "percent-encode" in found or "port" in problem
        assert "ss/w" not in found and "cd:ef" not in found


def test_url_secrets_are_the_password_in_every_form() -> None:
    forms = url_secrets("postgresql://u:p%40ss%2Fw%27d@h/db")
    assert {"p%40ss%2Fw%27d", "p@ss/w'd", "p%2540ss%252Fw%2527d"} <= forms
    assert url_secrets("postgresql://u:ab@cd:ef@h/db") >= {"ab@cd:ef", "ab%40cd%3Aef"}
    assert url_secrets("postgresql://u@h/db") == frozenset()
    assert url_secrets(None) == frozenset()


def test_redact_hides_each_form_and_quoted_pieces_of_a_secret() -> None:
    secrets = url_secrets("postgresql://u:Xa2cE%27Yu6j@h/db")
    assert redact("auth failed for Xa2cE'Yu6j and Xa2cE%27Yu6j", secrets) == (
        "auth failed for *** and ***"
    )
    # SQLite quotes the token where it stopped: a piece of the value
    assert redact('near "Yu6j": syntax error', {"Xa2cE'Yu6j"}) == 'near "***": syntax error'
    assert redact('near "from": syntax error', {"Xa2cE'Yu6j"}) == 'near "from": syntax error'
    assert redact("pin ab in table", {"ab"}) == "pin ab in table"  # too short to mask
    assert redact("see postgresql://u:pw1@h/db") == "see postgresql://u:***@h/db"


# --- values from the environment in a query ---------------------------------------------------

QUERY_MONITOR = """\
monitors:
  - name: m1
    reference: {type: csv, path: '${DW_DATA}/ref.csv'}
    live:
      type: sql
      url: postgresql+psycopg://u:Pw9Zq%40x@h/db
      query: "SELECT a FROM t WHERE token = '${DW_TOKEN}'"
    features: {numeric: [a]}
"""


def test_environment_values_in_a_query_are_secrets_of_the_source(tmp_path: Path) -> None:
    path = tmp_path / "dw.yaml"
    path.write_text(QUERY_MONITOR, encoding="utf-8")
    config = load_config(path, env={"DW_TOKEN": "Tok3nZq9", "DW_DATA": str(tmp_path)})
    live = config.monitors[0].live
    assert isinstance(live, SqlSourceConfig)
    assert "Tok3nZq9" in live.secrets and "Pw9Zq@x" in live.secrets
    assert str(tmp_path) not in live.secrets  # a path is no secret: it stays readable
    assert config.monitors[0].reference.secrets == frozenset()  # type: ignore[union-attr]
    description = open_source(live).describe()
    assert "Tok3nZq9" not in description and "token = '***'" in description
    assert "Pw9Zq" not in description and "u:***@h/db" in description


def test_a_source_url_sqlalchemy_would_misread_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "dw.yaml"
    text = QUERY_MONITOR.replace("Pw9Zq%40x@h/db", "Pw9Zq@x:ab/cd@h/db")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(
        ConfigError, match=r"monitors\[0\]\.live\.url: the database URL has an '@'"
    ) as caught:
        load_config(path, env={"DW_TOKEN": "t", "DW_DATA": "."})
    assert "Pw9Zq" not in str(caught.value) and "ab/cd" not in str(caught.value)
    path.write_text(QUERY_MONITOR.replace("@h/db", "@h:5x4/db"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"live\.url: the database URL has a port that is not"):
        load_config(path, env={"DW_TOKEN": "t", "DW_DATA": "."})


def test_a_source_built_without_validation_still_refuses_a_misread_url() -> None:
    config = SqlSourceConfig.model_construct(
        type="sql", url="postgresql+psycopg://u:ab@cd:ef/gh@h/db", table="t"
    )
    with pytest.raises(
        SourceError, match=r"'postgresql\+psycopg://u:\*\*\*@h/db' has an '@'"
    ) as caught:
        open_source(config, role="live").columns()
    assert "cd:ef" not in str(caught.value)
