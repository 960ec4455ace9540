"""The cyclic garbage collector, paused while driftwatch imports its heavy modules."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the collector for an import of long-lived objects, then age them without a scan.

    Importing pandas, SQLAlchemy and pydantic makes a few hundred thousand objects that live as
    long as the process. Left alone, the collector scans them in young collections and then in
    full ones during the import (~0.1 s of every ``driftwatch run``), freeing nothing. So it is
    paused, and the new objects are then moved straight into the oldest generation (freeze +
    unfreeze: no scan), where they stay collectable at the next full collection. A caller's own
    frozen objects (``gc.freeze`` before a fork) are left as they are, and a collector the
    caller had disabled stays disabled.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if collecting:
            gc.enable()
