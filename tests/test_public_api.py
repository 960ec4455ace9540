"""The curated public API: what `import driftwatch` offers is deliberate."""

from __future__ import annotations

import driftwatch
import driftwatch.engine


def test_top_level_all_is_sorted_and_importable() -> None:
    names = [n for n in driftwatch.__all__ if n != "__version__"]
    assert names == sorted(names)
    for name in driftwatch.__all__:
        assert hasattr(driftwatch, name), name


def test_top_level_exports_the_run_api_and_every_error() -> None:
    expected = {
        "run_monitor",
        "load_config",
        "DriftwatchError",
        "ConfigError",
        "SourceError",
        "StoreError",
    }
    assert expected <= set(driftwatch.__all__)


def test_every_driftwatch_error_derives_from_the_root() -> None:
    errors = [getattr(driftwatch, n) for n in driftwatch.__all__ if n.endswith("Error")]
    assert all(issubclass(e, driftwatch.DriftwatchError) for e in errors)


def test_engine_exports_the_documented_metric_functions() -> None:
    for name in ("kl_divergence", "js_divergence", "psi", "hellinger", "total_variation"):
        assert name in driftwatch.engine.__all__
