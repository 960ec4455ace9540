"""On AMD Zen 4, driftwatch imports numpy with its AVX2 kernels (its AVX-512 sort is microcoded
there); on every other CPU, or when the user set numpy's own variables, numpy chooses."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from driftwatch._numpy_dispatch import AVX512_FEATURES, avx2_on_zen4
from tests.helpers import printed_json, run_python

AVX512_TARGETS = set(AVX512_FEATURES.split())


def cpuinfo(vendor: str, family: int, flags: str, processors: int = 2) -> str:
    block = (
        f"processor\t: {{n}}\nvendor_id\t: {vendor}\ncpu family\t: {family}\nmodel\t\t: 17\n"
        f"model name\t: test CPU\nflags\t\t: fpu sse2 avx avx2 {flags}\n"
    )
    return "\n".join(block.format(n=n) for n in range(processors))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(cpuinfo("AuthenticAMD", 25, "avx512f avx512dq"), AVX512_FEATURES, id="zen4"),
        pytest.param(cpuinfo("AuthenticAMD", 25, "vaes"), None, id="zen3-no-avx512"),
        pytest.param(cpuinfo("AuthenticAMD", 26, "avx512f avx512dq"), None, id="zen5-fixed"),
        pytest.param(cpuinfo("GenuineIntel", 6, "avx512f avx512dq"), None, id="intel"),
        pytest.param("", None, id="no-cpuinfo"),
        pytest.param("vendor_id\t: AuthenticAMD\ncpu family\t: ?\n", None, id="garbled"),
    ],
)
def test_only_zen4_gets_numpy_avx512_disabled(text: str, expected: str | None) -> None:
    assert avx2_on_zen4(text, {}) == expected


@pytest.mark.parametrize(
    "variable", ["NPY_DISABLE_CPU_FEATURES", "NPY_ENABLE_CPU_FEATURES"], ids=["disable", "enable"]
)
@pytest.mark.parametrize("value", ["", "AVX512F"], ids=["empty", "set"])
def test_numpy_variables_set_by_the_user_leave_numpy_its_choice(variable: str, value: str) -> None:
    zen4 = cpuinfo("AuthenticAMD", 25, "avx512f")
    assert avx2_on_zen4(zen4, {variable: value}) is None


def test_only_the_first_processor_block_is_read() -> None:
    """A later block (hybrid or heterogeneous machines list each core) does not decide."""
    text = (
        cpuinfo("GenuineIntel", 6, "avx512f", 1)
        + "\n\n"
        + cpuinfo("AuthenticAMD", 25, "avx512f", 1)
    )
    assert avx2_on_zen4(text, {}) is None


def _numpy_after_driftwatch(extra_env: dict[str, str]) -> dict[str, object]:
    code = (
        "import json, os, sys\n"
        "import driftwatch, numpy\n"
        "simd = numpy.show_config(mode='dicts')['SIMD Extensions']\n"
        "print(json.dumps({'found': simd['found'], "
        "'leaked': 'NPY_DISABLE_CPU_FEATURES' in os.environ}))"
    )
    env = {**{k: None for k in os.environ if k.startswith("NPY_")}, **extra_env}
    done = run_python("-W", "error::ImportWarning", "-c", code, env=env, check=True)
    result: dict[str, object] = printed_json(done)
    return result


@pytest.mark.slow
def test_importing_driftwatch_first_sets_numpy_dispatch_and_restores_the_environment() -> None:
    """On this machine's CPU: numpy's AVX-512 targets are off exactly when it is a Zen 4; numpy
    says nothing about the names of other releases; children get the environment unchanged."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    zen4 = sys.platform == "linux" and avx2_on_zen4(text, {}) is not None
    chosen = _numpy_after_driftwatch({})
    untouched = _numpy_after_driftwatch({"NPY_DISABLE_CPU_FEATURES": ""})
    assert chosen["leaked"] is False
    found, numpy_own = set(chosen["found"]), set(untouched["found"])  # type: ignore[call-overload]
    if zen4:
        assert not found & AVX512_TARGETS
    else:
        assert found == numpy_own
