"""The ``email`` sink: SMTP (optionally implicit TLS, STARTTLS and login), plain text + HTML.

One email per run and event (a digest). SMTP replies 5xx (a refused recipient or sender, failed
authentication) are permanent; 4xx replies, timeouts and refused connections are retried.
"""

from __future__ import annotations

import html
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, ClassVar

from driftwatch.alerts.base import SinkOptions
from driftwatch.alerts.payload import Message
from driftwatch.config import EmailSinkConfig
from driftwatch.errors import DeliveryError

__all__ = ["EmailSink", "render_email"]


def _number(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, int | float) else "n/a"


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
                _number(alert.get("value")),
                _number(alert.get("threshold")),
                str(alert["status"]),
                str(alert.get("n_live") if alert.get("n_live") is not None else "n/a"),
                moved,
            )
        )
    return rows


_HEAD = ("feature", "metric", "value", "threshold", "status", "n_live", "moved most")


def render_email(
    payload: Mapping[str, Any], sender: str, recipients: Sequence[str]
) -> EmailMessage:
    """The email (plain text and HTML alternatives) for a notification payload."""
    window = payload.get("window") or {}
    event = str(payload.get("event", "")).upper()
    subject = f"[driftwatch] {event} {payload.get('severity')}: monitor {payload.get('monitor')}"
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
    text_lines += ["", f"idempotency key: {payload.get('idempotency_key')}"]
    cells = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    head = "".join(f"<th>{html.escape(c)}</th>" for c in _HEAD)
    body_html = (
        f"<html><body><p><b>{html.escape(str(payload.get('summary', subject)))}</b></p>"
        f"<p>monitor <b>{html.escape(str(payload.get('monitor')))}</b>, window "
        f"{html.escape(str(window.get('start')))} → {html.escape(str(window.get('end')))}, "
        f"severity <b>{html.escape(str(payload.get('severity')))}</b></p>"
        + (f"<table border='1' cellpadding='4'><tr>{head}</tr>{cells}</table>" if rows else "")
        + f"<p><small>idempotency key {html.escape(str(payload.get('idempotency_key')))}"
        "</small></p></body></html>"
    )
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Message-ID"] = make_msgid(domain="driftwatch")
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

    def send(self, message: Message) -> None:
        config = self.config
        email = render_email(message.payload, config.sender, config.recipients)
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
                    smtp.login(config.username, config.password or "")
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
