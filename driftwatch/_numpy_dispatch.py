"""NumPy's AVX2 kernels instead of its AVX-512 ones on AMD Zen 4 CPUs, where its sort is 5× slower.

NumPy sorts float64 with x86-simd-sort, whose AVX-512 path stores through ``vcompresspd`` to
memory: microcoded on Zen 4 and far slower than the AVX2 path (numpy/x86-simd-sort#6; Zen 5 fixed
it). Fitting quantile edges sorts every numeric reference column once, so on a Zen 4 machine a
million-row column sorts in ~55 ms through AVX-512 against ~10 ms through AVX2 (measured in
``benchmarks/README.md``), most of a fresh run's fit. Zen 4 runs AVX-512 on 256-bit units, so
numpy's other kernels lose nothing by the switch.

NumPy reads ``NPY_DISABLE_CPU_FEATURES`` once, when it is first imported, so this only acts when
driftwatch is imported before numpy (the ``driftwatch`` command always is). Setting either of
numpy's own variables (``NPY_DISABLE_CPU_FEATURES`` or ``NPY_ENABLE_CPU_FEATURES``, even empty)
leaves numpy's choice to the user. Standard library only: it runs before anything else imports.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Mapping

__all__ = ["AVX512_FEATURES", "avx2_on_zen4", "prefer_avx2_on_zen4"]

AVX512_FEATURES = (
    # numpy ≥ 2.4 names its x86 dispatch targets by microarchitecture level ...
    "X86_V4 AVX512_ICL AVX512_SPR "
    # ... and earlier releases by feature group; each release ignores the other's names.
    "AVX512F AVX512CD AVX512_KNL AVX512_KNM AVX512_SKX AVX512_CLX AVX512_CNL"
)
"""The value given to ``NPY_DISABLE_CPU_FEATURES``: every AVX-512 dispatch target of numpy."""

_ZEN4_FAMILY = 0x19
"""AMD family 19h: Zen 3 (no AVX-512) and Zen 4 (AVX-512 with the slow compress-store)."""


def _first_processor(cpuinfo: str) -> dict[str, str]:
    """The ``key: value`` fields of the first processor block of ``/proc/cpuinfo``."""
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        if not line.strip():
            if fields:
                break
            continue
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    return fields


def avx2_on_zen4(cpuinfo: str, environ: Mapping[str, str]) -> str | None:
    """The ``NPY_DISABLE_CPU_FEATURES`` value to set for a CPU described by ``cpuinfo`` (the text
    of ``/proc/cpuinfo``), or None: not a Zen 4, or the user set numpy's own variables."""
    if "NPY_DISABLE_CPU_FEATURES" in environ or "NPY_ENABLE_CPU_FEATURES" in environ:
        return None
    cpu = _first_processor(cpuinfo)
    try:
        family = int(cpu.get("cpu family", ""))
    except ValueError:
        return None
    flags = cpu.get("flags", "").split()
    if cpu.get("vendor_id") == "AuthenticAMD" and family == _ZEN4_FAMILY and "avx512f" in flags:
        return AVX512_FEATURES
    return None


def prefer_avx2_on_zen4() -> None:
    """Import numpy with its AVX-512 kernels disabled when this is a Zen 4 CPU (see the module).

    Does nothing when numpy is already imported, off Linux x86-64, or when the user set numpy's
    variables. The variable is removed again once numpy has read it, so child processes see the
    environment they were given.
    """
    if "numpy" in sys.modules or sys.platform != "linux" or os.uname().machine != "x86_64":
        return
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            cpuinfo = handle.read(16_384)  # the first processor's block is ~1.5 KiB
    except OSError:
        return
    value = avx2_on_zen4(cpuinfo, os.environ)
    if value is None:
        return
    os.environ["NPY_DISABLE_CPU_FEATURES"] = value
    try:
        with warnings.catch_warnings():
            # numpy warns (ImportWarning) about the other release's names in the list.
            warnings.simplefilter("ignore", ImportWarning)
            import numpy  # noqa: F401  (read the variable now)
    finally:
        del os.environ["NPY_DISABLE_CPU_FEATURES"]
