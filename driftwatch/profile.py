"""The reference profile of a monitor: fitted bins + reference counts, reused from the store.

Fitting the reference is the expensive part of a run, and its result only changes when the
reference data or the binning settings do. So a profile is stored keyed by the reference source's
fingerprint and a hash of the binning settings, and a run reuses the stored one while both are
unchanged. Without a store the profile is fitted on every run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftwatch.config import FeatureSpec
from driftwatch.engine import Histogram, bins_from_dict
from driftwatch.reference import fit_reference
from driftwatch.results import Problem
from driftwatch.sources import Source
from driftwatch.sources.base import RowsRead
from driftwatch.store.repository import Store
from driftwatch.timeutil import Clock

__all__ = ["Profile", "reference_profile"]


@dataclass(frozen=True)
class Profile:
    """Per feature: the reference histogram on its fitted bins, or the reason there is none."""

    histograms: Mapping[str, Histogram]
    problems: Mapping[str, Problem]
    n_rows: int
    profile_id: int | None = None

    def feature(self, name: str) -> Histogram | Problem | None:
        """The feature's reference histogram, its problem, or None when it was never fitted."""
        histogram = self.histograms.get(name)
        return histogram if histogram is not None else self.problems.get(name)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            name: {"bins": h.bins.to_dict(), "counts": h.counts.tolist()}
            for name, h in self.histograms.items()
        }
        for name, problem in self.problems.items():
            out[name] = {"status": problem.status, "reason": problem.reason}
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any], n_rows: int, profile_id: int) -> Profile:
        histograms, problems = {}, {}
        for name, entry in data.items():
            if "bins" in entry:
                bins = bins_from_dict(entry["bins"])
                histograms[name] = Histogram(bins, np.asarray(entry["counts"], dtype=np.int64))
            else:
                problems[name] = Problem(entry["status"], entry["reason"])
        return cls(histograms, problems, n_rows, profile_id)


def _binning_key(specs: Sequence[FeatureSpec], sample_rows: int) -> str:
    """A hash of what the fitted bins depend on besides the data: features, kinds, binning."""
    payload: list[Any] = [
        {"name": s.name, "kind": s.kind, "binning": s.binning.model_dump(mode="json")}
        for s in specs
    ]
    payload.append({"reference_sample_rows": sample_rows})
    # Sorted keys and no spaces: equal settings hash equal (and as stored by earlier versions).
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def reference_profile(
    monitor: str,
    source: Source,
    specs: Sequence[FeatureSpec],
    *,
    store: Store | None,
    chunk_rows: int,
    sample_rows: int,
    clock: Clock,
    on_rows: RowsRead | None = None,
) -> Profile:
    """The stored profile of ``monitor`` for this reference and binning, or a fresh fit (stored).

    ``on_rows`` hears the reference rows read by a fit (a reused profile reads none).

    Raises:
        SourceError: the reference cannot be read, or it has no rows.
    """
    fingerprint = source.fingerprint()
    config_hash = _binning_key(specs, sample_rows)
    if store is not None:
        stored = store.find_profile(monitor, fingerprint, config_hash)
        if stored is not None:
            return Profile.from_json(stored.features, stored.n_rows, stored.id)
    fitted = fit_reference(
        source, specs, chunk_rows=chunk_rows, sample_rows=sample_rows, on_rows=on_rows
    )
    profile = Profile(fitted.histograms, fitted.problems, fitted.n_rows)
    if store is None:
        return profile
    profile_id = store.save_profile(
        monitor=monitor,
        fingerprint=fingerprint,
        config_hash=config_hash,
        source=source.describe(),
        n_rows=profile.n_rows,
        features=profile.to_json(),
        created_at=clock(),
    )
    return Profile(profile.histograms, profile.problems, profile.n_rows, profile_id)
