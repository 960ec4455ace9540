"""What a notification says: the JSON payload every sink renders, and its idempotency key.

A payload is self-contained (a receiver needs nothing else to act): the event, the monitor, the
window, the severity, and per alert the feature, metric, value, threshold, n_live and the bins that
moved most (label, reference share, live share, contribution to the JS divergence). The top-level
``feature``/``metric``/``value``/``threshold``/``n_live``/``top_bins`` repeat the most severe alert,
for receivers that handle one alert per message.

Webhook and log sinks get one notification per (feature, event); human sinks (Slack, email) get one
digest per (run, event) listing every feature, most severe first.

:class:`Payload` types that JSON object (as built here and as stored in the outbox); sinks show its
numbers with :func:`show_number`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict, cast
from urllib.parse import quote

from driftwatch.alerts._observations import DATASET_FEATURE, Observation
from driftwatch.alerts.lifecycle import BREACHING
from driftwatch.config import LinksConfig
from driftwatch.results import SEVERITY_ORDER, AlertState, Event, RunOutcome
from driftwatch.store.outbox import NewNotification

__all__ = [
    "PAYLOAD_SCHEMA",
    "AlertEvent",
    "AlertItem",
    "DriftedFeature",
    "Message",
    "Payload",
    "PayloadWindow",
    "build_notifications",
    "idempotency_key",
    "render_links",
    "show_number",
    "summary",
    "test_message",
]

PAYLOAD_SCHEMA = "driftwatch.notification/1"
TOP_FEATURES = 10


@dataclass(frozen=True)
class AlertEvent:
    """One alert whose lifecycle produced an event in this run."""

    observation: Observation
    event: Event
    previous_state: str
    state: AlertState
    episode_since: datetime | None = None
    """When the episode began (for ``resolved``, the episode just closed): threads and startsAt."""


class AlertItem(TypedDict):
    """One alert of a notification (an element of ``alerts``)."""

    links: dict[str, str]
    feature: str
    metric: str
    event: Event
    status: str
    state: str
    previous_state: str
    severity: str
    value: float | None
    unit: str | None
    threshold: float | None
    warn_threshold: float | None
    critical_threshold: float | None
    threshold_kind: str | None
    p_value: float | None
    n_live: int | None
    n_reference: int | None
    since: str | None
    reason: str | None
    top_bins: list[dict[str, Any]]


class DriftedFeature(TypedDict):
    """One line of ``top_drifted_features``: a feature's worst metric in the run."""

    feature: str
    metric: str
    status: str
    value: float | None
    unit: str | None
    threshold: float | None
    n_live: int | None


class PayloadWindow(TypedDict):
    start: str | None
    end: str | None


class Payload(TypedDict):
    """The notification payload (schema :data:`PAYLOAD_SCHEMA`); the head fields repeat the most
    severe alert, or are None when there is none (a test notification)."""

    schema: str
    idempotency_key: str
    event: Event
    sink: str
    monitor: str
    window: PayloadWindow
    run_id: int | None
    created_at: str | None
    severity: str
    feature: str | None
    metric: str | None
    value: float | None
    threshold: float | None
    n_live: int | None
    top_bins: list[dict[str, Any]]
    alerts: list[AlertItem]
    top_drifted_features: list[DriftedFeature]
    links: dict[str, str]
    summary: str


@dataclass(frozen=True)
class Message:
    """A notification as a sink receives it: the stored payload and its idempotency key."""

    idempotency_key: str
    event: Event
    payload: Payload

    @classmethod
    def stored(cls, idempotency_key: str, event: Event, payload: Mapping[str, Any]) -> Message:
        """A message from an outbox row (whose JSON payload :func:`build_notifications` wrote)."""
        return cls(idempotency_key, event, cast(Payload, payload))


def show_number(value: object) -> str:
    """A payload number as the sinks show it: 4 significant digits, or ``n/a`` when absent."""
    return f"{value:.4g}" if isinstance(value, int | float) else "n/a"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def idempotency_key(*parts: object) -> str:
    """A stable key from the parts that identify one notification (same parts, same key)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()
    return f"dw-{digest[:40]}"


def render_links(
    links: LinksConfig,
    *,
    monitor: str,
    feature: str | None,
    window_start: datetime | None,
    run_id: int | None,
) -> dict[str, str]:
    """The ``alerts.links`` templates filled in (each value URL-encoded); unset links left out.

    A digest (no single feature) fills ``{feature}`` with an empty string.
    """
    values = {
        "monitor": monitor,
        "feature": feature or "",
        "window_start": _iso(window_start) or "",
        "run_id": "" if run_id is None else str(run_id),
    }
    encoded = {name: quote(value, safe="") for name, value in values.items()}
    found = {"report_url": links.report_url, "dashboard_url": links.dashboard_url}
    return {name: template.format(**encoded) for name, template in found.items() if template}


def _threshold(obs: Observation) -> float | None:
    if obs.status == "critical" and obs.critical is not None:
        return obs.critical
    return obs.warn if obs.warn is not None else obs.critical


def _item(event: AlertEvent, links: dict[str, str]) -> AlertItem:
    obs = event.observation
    return AlertItem(
        links=links,
        feature=obs.feature,
        metric=obs.metric,
        event=event.event,
        status=obs.status,
        state=event.state.state,
        previous_state=event.previous_state,
        severity=event.state.severity or obs.status,
        value=obs.value,
        unit=obs.unit,
        threshold=_threshold(obs),
        warn_threshold=obs.warn,
        critical_threshold=obs.critical,
        threshold_kind=obs.threshold_kind,
        p_value=obs.p_value,
        n_live=obs.n_live,
        n_reference=obs.n_reference,
        since=_iso(event.episode_since or event.state.since),
        reason=obs.reason,
        top_bins=[dict(b) for b in obs.top_bins],
    )


def _sort_key(item: AlertItem) -> tuple[int, float, str, str]:
    return (
        -SEVERITY_ORDER.get(item["status"], 0),
        -(item["value"] or 0.0),
        item["feature"],
        item["metric"],
    )


def _top_drifted(context: Sequence[Observation]) -> list[DriftedFeature]:
    """The run's most drifted features (one line per feature: its worst metric)."""
    best: dict[str, Observation] = {}
    for obs in context:
        if obs.status not in BREACHING or obs.feature == DATASET_FEATURE:
            continue
        current = best.get(obs.feature)
        if current is None or (SEVERITY_ORDER[obs.status], obs.value or 0.0) > (
            SEVERITY_ORDER[current.status],
            current.value or 0.0,
        ):
            best[obs.feature] = obs
    ranked = sorted(
        best.values(), key=lambda o: (-SEVERITY_ORDER[o.status], -(o.value or 0.0), o.feature)
    )
    return [
        DriftedFeature(
            feature=o.feature,
            metric=o.metric,
            status=o.status,
            value=o.value,
            unit=o.unit,
            threshold=_threshold(o),
            n_live=o.n_live,
        )
        for o in ranked[:TOP_FEATURES]
    ]


def _payload(
    *,
    key: str,
    event: Event,
    sink: str,
    monitor: str,
    window: tuple[datetime, datetime],
    run_id: int | None,
    items: list[AlertItem],
    top: list[DriftedFeature],
    now: datetime,
    links: dict[str, str],
) -> Payload:
    items = sorted(items, key=_sort_key)
    head: Mapping[str, Any] = items[0] if items else {}
    severity = "ok" if event == "resolved" else head.get("severity", "ok")
    payload = Payload(
        schema=PAYLOAD_SCHEMA,
        idempotency_key=key,
        event=event,
        sink=sink,
        monitor=monitor,
        window=PayloadWindow(start=_iso(window[0]), end=_iso(window[1])),
        run_id=run_id,
        created_at=_iso(now),
        severity=severity,
        feature=head.get("feature"),
        metric=head.get("metric"),
        value=head.get("value"),
        threshold=head.get("threshold"),
        n_live=head.get("n_live"),
        top_bins=head.get("top_bins", []),
        alerts=items,
        top_drifted_features=top,
        links=links,
        summary="",  # made from the fields above, next
    )
    payload["summary"] = summary(payload)
    return payload


def summary(payload: Payload) -> str:
    """One human line: what happened, where, how bad."""
    alerts = payload.get("alerts") or []
    event = str(payload.get("event", "")).upper()
    features = sorted({str(a["feature"]) for a in alerts})
    where = f"monitor {payload.get('monitor')}"
    if event == "TEST":
        return f"driftwatch test notification for sink {payload.get('sink')}"
    if len(features) == 1:
        head = alerts[0]
        what = "dataset drift" if features[0] == "*" else f"feature {features[0]}"
        shown = show_number(head.get("value"))
        threshold = head.get("threshold")
        limit = f" (threshold {threshold:g})" if isinstance(threshold, float) else ""
        detail = f"{what}: {head['metric']} = {shown}{limit}"
    else:
        detail = f"{len(features)} features: {', '.join(features[:5])}"
        if len(features) > 5:
            detail += ", …"
    window = payload.get("window") or {}
    return f"[{event} {payload.get('severity')}] {where}, {detail}, window {window.get('end')}"


def build_notifications(
    events: Sequence[AlertEvent],
    *,
    outcome: RunOutcome,
    run_id: int,
    digest_by_sink: Mapping[str, bool],
    now: datetime,
    context: Sequence[Observation],
    links: LinksConfig | None = None,
) -> list[NewNotification]:
    """Outbox rows for ``events``: per (feature, event) for machine sinks, per event for digests.

    ``digest_by_sink`` maps each sink to notify to whether it takes digests (see ``Sink.digest``);
    ``links`` (``alerts.links``) are rendered into the payload and into every alert item.
    """
    links = links or LinksConfig()

    def rendered(feature: str | None) -> dict[str, str]:
        return render_links(
            links,
            monitor=outcome.monitor,
            feature=feature,
            window_start=outcome.window_start,
            run_id=run_id,
        )

    window = (outcome.window_start, outcome.window_end)
    top = _top_drifted(context)
    groups_by_feature: dict[tuple[str, Event], list[AlertEvent]] = {}
    groups_by_event: dict[tuple[str, Event], list[AlertEvent]] = {}
    for event in events:
        feature = event.observation.feature
        groups_by_feature.setdefault((feature, event.event), []).append(event)
        subject = DATASET_FEATURE if feature == DATASET_FEATURE else "features"
        groups_by_event.setdefault((subject, event.event), []).append(event)
    rows = []
    for sink, digest in digest_by_sink.items():
        groups = groups_by_event if digest else groups_by_feature
        for (subject, event_name), members in groups.items():
            key = idempotency_key(
                sink, outcome.monitor, subject, event_name, *window, now.isoformat()
            )
            payload = _payload(
                key=key,
                event=event_name,
                sink=sink,
                monitor=outcome.monitor,
                window=window,
                run_id=run_id,
                items=[_item(m, rendered(m.observation.feature)) for m in members],
                top=top,
                now=now,
                links=rendered(None if digest else subject),
            )
            features = {m.observation.feature for m in members}
            metrics = {m.observation.metric for m in members}
            rows.append(
                NewNotification(
                    idempotency_key=key,
                    sink=sink,
                    event=event_name,
                    monitor=outcome.monitor,
                    feature=next(iter(features)) if len(features) == 1 else None,
                    metric=next(iter(metrics)) if len(metrics) == 1 else None,
                    severity=payload["severity"],
                    run_id=run_id,
                    payload=payload,
                    created_at=now,
                )
            )
    return rows


def test_message(sink: str, now: datetime) -> Message:
    """A recognisable notification for ``driftwatch alerts test --sink NAME``."""
    key = idempotency_key("test", sink, now.isoformat())
    payload = _payload(
        key=key,
        event="test",
        sink=sink,
        monitor="driftwatch-test",
        window=(now, now),
        run_id=None,
        items=[],
        top=[],
        now=now,
        links={},
    )
    return Message(key, "test", payload)
