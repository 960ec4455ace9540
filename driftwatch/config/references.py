"""A monitor's ``reference``: a data source, or a dynamic reference built from stored windows.

``{type: rolling, windows: N}``, ``{type: expanding}`` and ``{type: previous}`` build each run's
reference histogram from the monitor's own stored live windows (see
:mod:`driftwatch.store.rollups`); the bins are frozen from the ``bootstrap`` source the first time
the monitor runs, and that source's histogram is the reference until a stored window exists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal, Union, get_args

from pydantic import Field

from driftwatch.config._common import Model, type_tags
from driftwatch.config.sources import SourceConfig

__all__ = [
    "DYNAMIC_REFERENCE_TYPES",
    "DynamicReferenceConfig",
    "ExpandingReferenceConfig",
    "PreviousReferenceConfig",
    "ReferenceConfig",
    "RollingReferenceConfig",
]


class _Dynamic(Model):
    bootstrap: SourceConfig
    """Fits the bins (once) and is the reference while no stored window exists yet."""


class RollingReferenceConfig(_Dynamic):
    """The sum of the last ``windows`` stored windows before the run's window."""

    type: Literal["rolling"]
    windows: int = Field(7, ge=1, le=10_000)

    @property
    def windows_wanted(self) -> int | None:
        return self.windows


class ExpandingReferenceConfig(_Dynamic):
    """The sum of every stored window before the run's window."""

    type: Literal["expanding"]

    @property
    def windows_wanted(self) -> int | None:
        return None


class PreviousReferenceConfig(_Dynamic):
    """The stored window just before the run's window (``rolling`` with ``windows: 1``)."""

    type: Literal["previous"]

    @property
    def windows_wanted(self) -> int | None:
        return 1


DynamicReferenceConfig = RollingReferenceConfig | ExpandingReferenceConfig | PreviousReferenceConfig

if TYPE_CHECKING:
    ReferenceConfig = SourceConfig | DynamicReferenceConfig
else:
    # One flat discriminated union: a wrong ``type`` lists sources and dynamic kinds together.
    ReferenceConfig = Annotated[
        Union[
            (
                *get_args(get_args(SourceConfig)[0]),
                RollingReferenceConfig,
                ExpandingReferenceConfig,
                PreviousReferenceConfig,
            )
        ],
        Field(discriminator="type"),
    ]

DYNAMIC_REFERENCE_TYPES = type_tags(Annotated[DynamicReferenceConfig, Field(discriminator="type")])
"""The ``type:`` values of the dynamic references: rolling, expanding, previous."""
