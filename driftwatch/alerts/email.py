"""The ``email`` sink: SMTP (optionally implicit TLS, STARTTLS and login), plain text + HTML.

One email per run and event (a digest), with a ``Date`` header (RFC 5322) and a subject naming
the event, the monitor, the top features and the window: one line whatever the feature names
hold (:func:`driftwatch.escaping.email_header`), as the email package refuses a header with a CR
or LF, which would fail that digest at every retry. Emails of one episode thread: the firing
email's ``Message-ID`` is derived from (sink, monitor, episode start), and the repeat, escalated and
resolved emails of that episode name it in ``In-Reply-To`` and ``References``.
SMTP replies 5xx (a refused recipient or sender, failed authentication) are permanent; 4xx
replies, timeouts and refused connections are retried.
The HTML part is ``templates/email.html.j2``, autoescaped: a feature or bin named like markup is
shown as text.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

from driftwatch.alerts.base import SinkOptions
from driftwatch.alerts.payload import Message, show_number
from driftwatch.config import EmailSinkConfig
from driftwatch.errors import DeliveryError
from driftwatch.escaping import email_header
from driftwatch.timeutil import system_clock

if TYPE_CHECKING:
    import jinja2

__all__ = ["EmailSink", "render_email", "thread_id"]

SUBJECT_FEATURES = 3


def thread_id(sink: str, monitor: str, subject: str, since: str) -> str:
    """The ``Message-ID`` of the first email of an episode (and what its follow-ups reply to)."""
    digest = hashlib.sha256("\x1f".join((sink, monitor, subject, since)).encode()).hexdigest()
    return f"<dw-thread-{digest[:32]}@driftwatch>"


def _threading(payload: Mapping[str, Any]) -> tuple[str, str | None]:
    """(Message-ID, the episode's thread id to reply to or None) of a notification."""
    own = f"<{payload.get('idempotency_key')}@driftwatch>"
    alerts: Sequence[Mapping[str, Any]] = payload.get("alerts") or []
    starts = sorted(str(a["since"]) for a in alerts if a.get("since"))
    if not starts:
        return own, None
    subject = "*" if any(a["feature"] == "*" for a in alerts) else "features"
    root = thread_id(str(payload.get("sink")), str(payload.get("monitor")), subject, starts[0])
    if payload.get("event") == "firing":
        return root, None
    return own, root


def _subject(payload: Mapping[str, Any]) -> str:
    event = str(payload.get("event", "")).upper()
    alerts: Sequence[Mapping[str, Any]] = payload.get("alerts") or []
    features = list(
        dict.fromkeys("dataset" if a["feature"] == "*" else str(a["feature"]) for a in alerts)
    )
    named = ", ".join(features[:SUBJECT_FEATURES])
    if len(features) > SUBJECT_FEATURES:
        named += f" +{len(features) - SUBJECT_FEATURES} more"
    window = payload.get("window") or {}
    start, end = _parse(window.get("start")), _parse(window.get("end"))
    when = ""
    if start is not None and end is not None:
        if start == end:
            when = f" (window {start:%Y-%m-%d %H:%M} UTC)"
        else:
            last = f"{end:%H:%M}" if start.date() == end.date() else f"{end:%Y-%m-%d %H:%M}"
            when = f" (window {start:%Y-%m-%d %H:%M} → {last} UTC)"
    what = f": {named}" if named else ""
    return f"[driftwatch] {event} {payload.get('severity')}: {payload.get('monitor')}{what}{when}"


def _parse(moment: Any) -> datetime | None:
    return datetime.fromisoformat(moment) if isinstance(moment, str) else None


def _rows(payload: Mapping[str, Any]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    alerts: Sequence[Mapping[str, Any]] = payload.get("alerts") or []
    for alert in alerts:
        bins = alert.get("top_bins") or []
        moved = (
            f"{bins[0]['label']}: {100 * bins[0]['reference_share']:.1f}% -> "
            f"{100 * bins[0]['live_share']:.1f}%"
            if bins
            else ""
        )
        rows.append(
            (
                "dataset" if alert["feature"] == "*" else str(alert["feature"]),
                str(alert["metric"]),
                show_number(alert.get("value")),
                show_number(alert.get("threshold")),
                str(alert["status"]),
                str(alert.get("n_live") if alert.get("n_live") is not None else "n/a"),
                moved,
            )
        )
    return rows


_HEAD = ("feature", "metric", "value", "threshold", "status", "n_live", "moved most")


@cache
def _html_template() -> jinja2.Template:
    # Jinja2 costs ~0.1 s to import: paid by the first email, not by every run that loads sinks.
    from driftwatch import templating

    return templating.environment("driftwatch.alerts").get_template("email.html.j2")


def render_email(
    payload: Mapping[str, Any],
    sender: str,
    recipients: Sequence[str],
    now: datetime | None = None,
) -> EmailMessage:
    """The email (plain text and HTML alternatives) for a notification payload sent at ``now``."""
    window = payload.get("window") or {}
    subject = _subject(payload)
    links: Mapping[str, str] = payload.get("links") or {}
    rows = _rows(payload)
    text_lines = [
        str(payload.get("summary", subject)),
        "",
        f"monitor:  {payload.get('monitor')}",
        f"window:   {window.get('start')} -> {window.get('end')}",
        f"severity: {payload.get('severity')}",
        "",
    ]
    text_lines += [" | ".join(r) for r in [_HEAD, *rows]] if rows else []
    text_lines += [""] + [f"{name}: {url}" for name, url in links.items()]
    text_lines += ["", f"idempotency key: {payload.get('idempotency_key')}"]
    body_html = _html_template().render(
        summary=str(payload.get("summary", subject)),
        monitor=str(payload.get("monitor")),
        start=str(window.get("start")),
        end=str(window.get("end")),
        severity=str(payload.get("severity")),
        head=_HEAD,
        rows=rows,
        links=links,
        idempotency_key=str(payload.get("idempotency_key")),
    )
    message = EmailMessage()
    message["Subject"] = email_header(subject)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(now or system_clock())
    message_id, reply_to = _threading(payload)
    message["Message-ID"] = message_id
    if reply_to is not None:
        message["In-Reply-To"] = reply_to
        message["References"] = reply_to
    message["X-Driftwatch-Idempotency-Key"] = str(payload.get("idempotency_key"))
    message.set_content("\n".join(text_lines))
    message.add_alternative(body_html, subtype="html")
    return message


class EmailSink:
    config_model: ClassVar[type[EmailSinkConfig]] = EmailSinkConfig
    digest: ClassVar[bool] = True

    def __init__(self, config: EmailSinkConfig, options: SinkOptions) -> None:
        self.name = config.name
        self.config = config
        self.where = f"email sink {config.name!r} ({config.host}:{config.port})"
        self.clock = options.clock

    def send(self, message: Message) -> None:
        config = self.config
        email = render_email(message.payload, config.sender, config.recipients, self.clock())
        timeout = config.timeout.total_seconds()
        try:
            smtp: smtplib.SMTP
            if config.ssl:
                context = ssl.create_default_context()
                smtp = smtplib.SMTP_SSL(config.host, config.port, timeout=timeout, context=context)
            else:
                smtp = smtplib.SMTP(config.host, config.port, timeout=timeout)
            with smtp:
                if config.starttls and not config.ssl:
                    smtp.starttls(context=ssl.create_default_context())
                if config.username:
                    try:
                        smtp.login(config.username, config.password or "")
                    except smtplib.SMTPServerDisconnected:
                        # Servers hang up on refused credentials too (aiosmtpd's LOGIN does):
                        # retrying a wrong password for hours can lock the account.
                        raise DeliveryError(
                            f"{self.where}: the server closed the connection during login; "
                            "check 'username' and the password variable",
                            permanent=True,
                        ) from None
                smtp.send_message(email, from_addr=config.sender, to_addrs=list(config.recipients))
        except smtplib.SMTPRecipientsRefused:
            raise DeliveryError(
                f"{self.where}: every recipient was refused; check 'recipients'", permanent=True
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"{self.where}: login refused (SMTP {exc.smtp_code}); check 'username' and the "
                "password variable",
                permanent=True,
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise DeliveryError(
                f"{self.where}: the server does not support STARTTLS or AUTH as configured; "
                "check 'starttls', 'ssl' and 'username'",
                permanent=True,
            ) from None
        except smtplib.SMTPResponseException as exc:
            permanent = 500 <= exc.smtp_code < 600
            raise DeliveryError(
                f"{self.where}: server replied {exc.smtp_code}"
                + ("; not retried" if permanent else "; will retry"),
                permanent=permanent,
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(
                f"{self.where}: cannot deliver ({type(exc).__name__}); will retry"
            ) from None
