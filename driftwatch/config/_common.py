"""What every config model shares: the frozen base model, the field types.

Kept apart so that each part of the config (sources, alerts, schedule, monitors) can sit in its own
module without importing the others.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, get_args

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

from driftwatch.timeutil import as_utc, parse_duration

__all__ = ["Duration", "Model", "UtcDatetime", "type_tags"]

Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
"""A duration from YAML (``90s``, ``1h``, ``2d``) as a timedelta."""

UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]
"""A datetime from YAML (a date, or a naive datetime taken as UTC) as an aware UTC datetime."""


class Model(BaseModel):
    """Frozen, and every key known: a typo is an error, never a silently ignored setting."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def type_tags(union: Any) -> frozenset[str]:
    """The ``type`` literals of an ``Annotated[A | B | ..., Field(discriminator="type")]`` union.

    Read off the models, so the list of accepted types cannot drift from the union itself.
    """
    members = get_args(get_args(union)[0])
    return frozenset(
        tag for model in members for tag in get_args(model.model_fields["type"].annotation)
    )
