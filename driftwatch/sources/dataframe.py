"""In-memory pandas DataFrames handed to the Python API by name (``type: dataframe``)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping

import pandas as pd

from driftwatch.config import DataFrameSourceConfig
from driftwatch.sources._common import BaseSource, ReadPlan, listing

__all__ = ["DataFrameSource"]


class DataFrameSource(BaseSource):
    """``frames[config.name]``, read in slices; the caller's frame is never modified."""

    config: DataFrameSourceConfig

    def __init__(
        self,
        config: DataFrameSourceConfig,
        *,
        frames: Mapping[str, pd.DataFrame] | None = None,
        role: str = "source",
    ) -> None:
        super().__init__(config, role=role)
        self._frames: Mapping[str, pd.DataFrame] = frames if frames is not None else {}

    def describe(self) -> str:
        return f"dataframe {self.config.name!r}"

    def columns(self) -> list[str]:
        return [str(label) for label in self._frame().columns]

    def fingerprint(self) -> str:
        """sha256 of the frame's content hash, its column names and dtypes, and the fixed range."""
        frame = self._frame()
        try:
            rows = pd.util.hash_pandas_object(frame, index=True)
        except TypeError:  # unhashable cells (lists, dicts): hash their text instead
            rows = pd.util.hash_pandas_object(frame.astype(str), index=True)
        h = hashlib.sha256(rows.to_numpy().tobytes())
        start, end = self.fixed_range
        meta = [
            [str(label) for label in frame.columns],
            [str(dtype) for dtype in frame.dtypes],
            self.config.timestamp_column,
            start.isoformat() if start else None,
            end.isoformat() if end else None,
        ]
        h.update(json.dumps(meta).encode())
        return h.hexdigest()

    def _scan(self, plan: ReadPlan) -> Iterator[pd.DataFrame]:
        frame = self._frame()
        labels = {str(label): label for label in frame.columns}
        selected = frame[[labels[name] for name in plan.fetch]]
        selected = selected.set_axis(list(plan.fetch), axis="columns")  # a new object
        for begin in range(0, len(selected), plan.chunk_rows):
            piece = selected.iloc[begin : begin + plan.chunk_rows]
            yield self._filter(piece, plan)

    def _frame(self) -> pd.DataFrame:
        name = self.config.name
        frame = self._frames.get(name)
        if frame is None:
            given = sorted(self._frames)
            names = f"given names: {listing(given)}" if given else "no DataFrames were given"
            raise self._fail(
                f"no DataFrame named {name!r} was passed ({names}); pass frames={{{name!r}: df}} "
                "or fix the 'name' key"
            )
        if not isinstance(frame, pd.DataFrame):
            raise self._fail(
                f"frames[{name!r}] is a {type(frame).__name__}, not a pandas DataFrame"
            )
        return frame
