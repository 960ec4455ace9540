"""A small shared thread pool for counting several columns at once.

numpy releases the GIL inside its comparison, counting and searchsorted kernels, so columns
counted on separate threads run on separate cores. One pool per process, created on first use,
sized to the machine (``DRIFTWATCH_THREADS`` overrides it; 1 turns threading off).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

__all__ = ["run_all", "thread_count"]

T = TypeVar("T")
_MAX_THREADS = 8
_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def thread_count() -> int:
    """Threads used for counting: ``DRIFTWATCH_THREADS`` or the CPU count (at most 8)."""
    configured = os.environ.get("DRIFTWATCH_THREADS", "").strip()
    if configured.isdigit() and int(configured) >= 1:
        return int(configured)
    return max(1, min(os.cpu_count() or 1, _MAX_THREADS))


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(thread_count(), thread_name_prefix="driftwatch-count")
        return _pool


def run_all(tasks: Iterable[Callable[[], T]]) -> list[Future[T]]:
    """Run ``tasks`` on the pool (inline when there is one thread or one task); their futures.

    The futures are done when this returns; ``future.result()`` re-raises a task's exception, so
    the caller decides, task by task, what a failure means.
    """
    jobs = list(tasks)
    if thread_count() == 1 or len(jobs) <= 1:
        done: list[Future[T]] = []
        for job in jobs:
            future: Future[T] = Future()
            try:
                future.set_result(job())
            except Exception as exc:  # handed to the caller through the future
                future.set_exception(exc)
            done.append(future)
        return done
    pool = _executor()
    futures = [pool.submit(job) for job in jobs]
    for future in futures:
        future.exception()  # wait
    return futures
