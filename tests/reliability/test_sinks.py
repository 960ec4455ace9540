"""Bad sinks: a sink that can never deliver is refused when the config is read (with the reason,
secrets hidden), not retried for hours; one that cannot deliver now leaves the results stored
and its notification queued for a retry (exit 4).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.reliability.harness import (
    BASE_CONFIG,
    DRIFTED_CSV,
    REF_CSV,
    Backend,
    Case,
    DbState,
    case_params,
    config_with,
)


def with_sinks(*sinks: str, extra: str = "", alerts: str | None = None) -> str:
    """The base config with ``sinks`` under ``alerts:`` and monitor m1 sending to the first."""
    names = (
        alerts
        if alerts is not None
        else (sinks[0].split("name: ")[1].split(",")[0] if sinks else "")
    )
    block = "alerts:\n" + extra + "  sinks:\n" + "".join(f"    - {{{s}}}\n" for s in sinks)
    config = config_with("database: {db}\n", "database: {db}\n" + block)
    if names:
        config = config_with(
            "    metrics: [js]", f"    metrics: [js]\n    alerts: [{names}]", config
        )
    return config


def refused(id: str, config: str, message: str, **kwargs: object) -> Case:
    return Case(id, 2, message, config=config, db=DbState(), **kwargs)  # type: ignore[arg-type]


SINK = r"alerts\.sinks\[0\]"

URLS = [
    refused(
        f"{kind}-url-{label}",
        with_sinks(f"name: s, type: {kind}, url: '{url}'{more}"),
        SINK + r"\.url: " + message,
    )
    for kind, more in [
        ("webhook", ""),
        ("slack", ""),
        ("alertmanager", ""),
        ("pagerduty", ", routing_key: rk"),
    ]
    for label, url, message in [
        ("not-a-url", "not a url", r"URL 'not a url' has no scheme; a sink posts to an http://"),
        (
            "ftp",
            "ftp://files.example.com/x",
            r"URL 'ftp://files\.example\.com/x' has scheme 'ftp://'",
        ),
        ("no-host", "http://", r"URL 'http://' has no host name"),
        (
            "bad-port",
            "https://hooks.example.com:80a/x",
            r"URL 'https://hooks\.example\.com:80a/x' has a port that is not a "
            r"number",
        ),
        ("empty", "", r"URL '' has no scheme"),
    ]
] + [
    refused(
        "webhook-url-with-a-secret-and-a-bad-scheme",
        with_sinks("name: s, type: webhook, url: 'ftp://u:Pa55word@h/x?token=T0k3nValue'"),
        SINK + r"\.url: URL 'ftp://u:\*\*\*@h/x\?token=\*\*\*' has scheme 'ftp://'",
        hidden=("Pa55word", "T0k3nValue"),
    ),
    refused(
        "slack-url-from-an-unset-variable",
        with_sinks("name: s, type: slack, url: '${DW_TEST_NO_SLACK}'"),
        SINK + r"\.url: environment variable DW_TEST_NO_SLACK is not set",
    ),
    refused(
        "slack-url-from-a-variable-holding-garbage",
        with_sinks("name: s, type: slack, url: '${DW_TEST_SLACK}'"),
        SINK + r"\.url: URL '\*\*\*' has no scheme",
        env={"DW_TEST_SLACK": "xoxb-s3cr3t-token"},
        hidden=("xoxb-s3cr3t-token",),
    ),
]

FIELDS = [
    refused(
        "unknown-sink-type",
        with_sinks("name: s, type: teams, url: 'https://x'"),
        SINK + r"\.type: unknown type 'teams'; expected one of",
    ),
    refused(
        "sink-without-type", with_sinks("name: s, url: 'https://x'"), SINK + r": missing 'type' key"
    ),
    refused(
        "sink-without-name",
        with_sinks("type: log", alerts=""),
        SINK + r"\.name: required key is missing",
    ),
    refused("sink-name-with-space", with_sinks("name: 'on call', type: log"), SINK + r"\.name"),
    refused(
        "sink-name-used-twice",
        with_sinks("name: s, type: log", "name: s, type: log"),
        r"sink name 's' is used twice",
    ),
    refused(
        "monitor-sends-to-an-unknown-sink",
        with_sinks("name: s, type: log", alerts="pager"),
        r"monitor 'm1' sends alerts to unknown sink 'pager'; choose one of: s",
    ),
    refused(
        "monitor-sends-to-a-sink-with-none-defined",
        config_with("    metrics: [js]", "    metrics: [js]\n    alerts: [pager]"),
        r"unknown sink 'pager'; choose one of: none are defined under alerts\.sinks",
    ),
    refused(
        "log-sink-unknown-level",
        with_sinks("name: s, type: log, level: loud"),
        SINK + r"\.level: expected 'debug', 'info', 'warning' or 'error'",
    ),
    refused(
        "webhook-timeout-not-a-duration",
        with_sinks("name: s, type: webhook, url: 'https://x.example', timeout: forever"),
        SINK + r"\.timeout: expected a duration",
    ),
    refused(
        "webhook-timeout-huge",
        with_sinks("name: s, type: webhook, url: 'https://x.example', timeout: 99999999999d"),
        SINK + r"\.timeout: duration '99999999999d' is too large",
    ),
    refused(
        "webhook-headers-not-a-mapping",
        with_sinks("name: s, type: webhook, url: 'https://x.example', headers: [a]"),
        SINK + r"\.headers",
    ),
    refused(
        "slack-top-features-zero",
        with_sinks(
            "name: s, type: slack, url: 'https://hooks.slack.com/services/T/B/X', top_features: 0"
        ),
        SINK + r"\.top_features",
    ),
    refused(
        "email-port-out-of-range",
        with_sinks("name: s, type: email, host: mail, port: 70000, sender: a@b, recipients: [c@d]"),
        SINK + r"\.port: expected less than or equal to 65535",
    ),
    refused(
        "email-no-recipients",
        with_sinks("name: s, type: email, host: mail, sender: a@b, recipients: []"),
        SINK + r"\.recipients",
    ),
    refused(
        "email-without-sender",
        with_sinks("name: s, type: email, host: mail, recipients: [c@d]"),
        SINK + r"\.sender: required key is missing",
    ),
    refused(
        "email-password-from-an-unset-variable",
        with_sinks(
            "name: s, type: email, host: mail, sender: a@b, recipients: [c@d], "
            "password: '${DW_TEST_NO_SMTP}'"
        ),
        SINK + r"\.password: environment variable DW_TEST_NO_SMTP is not set",
    ),
    refused(
        "pagerduty-empty-routing-key",
        with_sinks("name: s, type: pagerduty, routing_key: ''"),
        SINK + r"\.routing_key",
    ),
    refused(
        "pagerduty-without-routing-key",
        with_sinks("name: s, type: pagerduty"),
        SINK + r"\.routing_key: required key is missing",
    ),
    refused(
        "alertmanager-bad-alertname",
        with_sinks("name: s, type: alertmanager, url: 'http://am:9093', alertname: 'drift alert'"),
        SINK + r"\.alertname",
    ),
    refused(
        "alertmanager-ends-after-not-longer-than-repeat",
        with_sinks(
            "name: s, type: alertmanager, url: 'http://am:9093', ends_after: 1h",
            extra="  repeat_interval: 2h\n",
        ),
        r"sink 's': ends_after \(1:00:00\) must be longer than alerts\.repeat_interval",
    ),
    refused(
        "link-template-unknown-placeholder",
        with_sinks("name: s, type: log", extra="  links: {report_url: 'https://r/{monitr}'}\n"),
        r"link template 'https://r/\{monitr\}' uses \{monitr\}; the placeholders are",
    ),
    refused(
        "link-template-malformed",
        with_sinks("name: s, type: log", extra="  links: {report_url: 'https://r/{'}\n"),
        r"link template 'https://r/\{' is malformed",
    ),
    refused(
        "silence-for-an-unknown-key",
        config_with(
            "database: {db}\n",
            "database: {db}\nalerts:\n  silences:\n    - {monitor: m1, untill: 2030-01-01}\n",
        ),
        r"alerts\.silences\[0\]\.untill: unknown key 'untill'; did you mean 'until'\?",
    ),
]

DRIFTING = {"ref.csv": REF_CSV, "live.csv": DRIFTED_CSV}

DELIVERY = [
    Case(
        "unreachable-webhook-keeps-the-results-and-queues-a-retry",
        4,
        r"1 notification\(s\) could not be delivered \(results are stored\); "
        r"see `driftwatch alerts`",
        config=with_sinks("name: hook, type: webhook, url: 'http://127.0.0.1:1/hook', timeout: 2s"),
        files=DRIFTING,
        db=DbState(runs=("succeeded",), features={"a": "critical"}, notifications=("pending",)),
    ),
    Case(
        "log-sink-delivers",
        0,
        config=with_sinks("name: audit, type: log, level: info"),
        files=DRIFTING,
        db=DbState(runs=("succeeded",), features={"a": "critical"}, notifications=("sent",)),
    ),
    Case(
        "no-dispatch-leaves-the-notification-queued",
        0,
        args=("run", "--config", "{config}", "--no-dispatch"),
        config=with_sinks("name: hook, type: webhook, url: 'http://127.0.0.1:1/hook'"),
        files=DRIFTING,
        db=DbState(runs=("succeeded",), notifications=("pending",)),
    ),
    Case(
        "no-drift-sends-nothing",
        0,
        config=with_sinks("name: hook, type: webhook, url: 'http://127.0.0.1:1/hook'"),
        db=DbState(runs=("succeeded",), notifications=()),
    ),
    Case(
        "silenced-monitor-sends-nothing",
        0,
        config=with_sinks(
            "name: hook, type: webhook, url: 'http://127.0.0.1:1/hook'",
            extra="  silences:\n    - {monitor: m1, until: 2999-01-01}\n",
        ),
        files=DRIFTING,
        db=DbState(runs=("succeeded",), features={"a": "critical"}, notifications=()),
    ),
    Case(
        "alerts-test-of-an-unknown-sink",
        2,
        r"no alert sink named 'nope'; choose one of: audit",
        args=("alerts", "test", "--config", "{config}", "--sink", "nope"),
        config=with_sinks("name: audit, type: log"),
        db=DbState(),
    ),
]

CASES = URLS + FIELDS + DELIVERY


@pytest.mark.parametrize(("case", "backend"), case_params(CASES))
def test_bad_sink(
    case: Case, backend: Backend, check_case: Callable[[Case, Backend], None]
) -> None:
    check_case(case, backend)


def test_the_sink_area_has_enough_cases() -> None:
    assert len({c.id for c in CASES}) == len(CASES) >= 45
    assert BASE_CONFIG
