"""The drift engine: bins fitted on the reference, mergeable histograms, divergences.

Pure numpy, no I/O and no pandas: sources hand it arrays (or ``pandas.factorize`` codes) and get
back integer counts and floats. Exact semantics are in DESIGN.md section 4. The one rule for naming
a category and for calling a value missing (:func:`category_label`, :func:`is_missing`) lives here
and every counting path uses it; histograms merge with ``+``, which checks that the bins agree.

    bins = fit_numeric_bins(reference_values)              # or fit_categorical_bins(...)
    ref, live = histogram(reference_values, bins), histogram(live_values, bins)
    js_divergence(live.counts, ref.counts)                 # bits, 0 ≤ js ≤ 1
    get_metric("kl").compute(live.counts, ref.counts, 0.5) # nats, smoothed
    g_test(live.counts, ref.counts).p_value                # G-test of homogeneity, same bins
    drift_test(live, ref).p_value                          # + tails / __unseen__, combined
    effect_size("js", live.counts, ref.counts)             # js minus its no-drift bias
"""

from driftwatch.engine.binning import (
    MISSING_LABEL,
    OTHER_LABEL,
    UNSEEN_LABEL,
    Bins,
    CategoricalBins,
    NumericBins,
    bins_from_dict,
    fit_categorical_bins,
    fit_categorical_bins_from_counts,
    fit_numeric_bins,
)
from driftwatch.engine.divergences import (
    METRICS,
    Metric,
    bin_contributions,
    get_metric,
    hellinger,
    js_divergence,
    kl_divergence,
    metric_names,
    psi,
    total_variation,
)
from driftwatch.engine.drift_test import (
    ComponentTest,
    DriftTestResult,
    beyond_range_p,
    drift_test,
    good_turing_unseen_rate,
    interior_table,
    selection_band,
    unseen_p,
)
from driftwatch.engine.edges import is_boolean
from driftwatch.engine.effect import (
    critical_value,
    debiased_value,
    decision_threshold,
    effect_size,
    null_bias,
)
from driftwatch.engine.histogram import Histogram, histogram
from driftwatch.engine.labels import category_label, is_missing
from driftwatch.engine.stats import (
    GTestResult,
    benjamini_hochberg,
    g_test,
    metric_rows,
    null_metric_samples,
    weighted_js_nats,
)

__all__ = [
    "METRICS",
    "MISSING_LABEL",
    "OTHER_LABEL",
    "UNSEEN_LABEL",
    "Bins",
    "CategoricalBins",
    "ComponentTest",
    "DriftTestResult",
    "GTestResult",
    "Histogram",
    "Metric",
    "NumericBins",
    "benjamini_hochberg",
    "beyond_range_p",
    "bin_contributions",
    "bins_from_dict",
    "category_label",
    "critical_value",
    "debiased_value",
    "decision_threshold",
    "drift_test",
    "effect_size",
    "fit_categorical_bins",
    "fit_categorical_bins_from_counts",
    "fit_numeric_bins",
    "g_test",
    "get_metric",
    "good_turing_unseen_rate",
    "hellinger",
    "histogram",
    "interior_table",
    "is_boolean",
    "is_missing",
    "js_divergence",
    "kl_divergence",
    "metric_names",
    "metric_rows",
    "null_bias",
    "null_metric_samples",
    "psi",
    "selection_band",
    "total_variation",
    "unseen_p",
    "weighted_js_nats",
]
