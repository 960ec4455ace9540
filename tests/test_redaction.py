"""redact_url reads a URL with SQLAlchemy's parser and hides what is secret in it."""

from __future__ import annotations

import pytest

from driftwatch.errors import mask_secrets, redact_url


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
