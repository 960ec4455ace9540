"""Run tasks side by side, at most N at once, each under a deadline that is really kept.

Python cannot kill a thread, so a deadline here means *abandon*: every task runs on its own daemon
thread; the caller waits for the task until its deadline (counted from the moment it started),
then stops waiting, takes the task's ``on_timeout`` value instead and moves on. The abandoned
thread runs on until whatever blocks it returns (a socket or statement timeout) or the process
exits (daemon threads never keep it alive). A task that is about to publish its work (write a run,
settle a notification) asks :meth:`Guard.commit` first: once it is abandoned the commit is refused,
so a late task never overwrites what the caller recorded for it; once committed it is no longer
abandoned (a commit is bounded by the store's own timeouts), so a write is never cut in half.

What bounds what: the deadline bounds how long the *caller* waits; the thread's resources are
bounded by the timeouts of the I/O it blocks in (see README "Reliability").
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

__all__ = ["Abandoned", "Guard", "Task", "run_bounded"]

T = TypeVar("T")


class Abandoned(Exception):
    """Raised by :meth:`Guard.commit` in a task whose caller gave up on it at its deadline."""


class Guard:
    """A task's link to its caller: may it still publish its result?"""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._abandoned = False
        self._committed = False

    def commit(self) -> None:
        """Claim the right to publish; raises :class:`Abandoned` when the caller gave up."""
        with self._lock:
            if self._abandoned:
                raise Abandoned
            self._committed = True

    @property
    def abandoned(self) -> bool:
        return self._abandoned

    @property
    def committed(self) -> bool:
        return self._committed

    def _abandon(self) -> bool:
        """Give up on the task unless it is committing; True when it was abandoned."""
        with self._lock:
            if self._committed:
                return False
            self._abandoned = True
            return True


@dataclass
class Task(Generic[T]):
    """``run(guard)`` to run, its ``deadline`` in seconds (``math.inf``: none), and the value if
    it is abandoned."""

    run: Callable[[Guard], T]
    deadline: float
    on_timeout: Callable[[], T]
    name: str = "task"


def _start(task: Task[T], guard: Guard) -> Future[T]:
    """``task`` running on a new daemon thread (an executor's workers would be joined at exit)."""
    future: Future[T] = Future()
    future.set_running_or_notify_cancel()

    def body() -> None:
        try:
            future.set_result(task.run(guard))
        except Abandoned:  # the caller gave up on it: its value is never read
            future.set_result(cast(T, None))
        except BaseException as exc:  # handed to the caller's thread
            future.set_exception(exc)

    threading.Thread(target=body, name=task.name, daemon=True).start()
    return future


def run_bounded(
    tasks: Sequence[Task[T]],
    workers: int,
    *,
    on_result: Callable[[int, T], None] | None = None,
) -> list[T]:
    """Run ``tasks``, at most ``workers`` at once, and return their values in order.

    A task still running at its deadline is abandoned and its ``on_timeout()`` value taken (it no
    longer counts against ``workers``). ``on_result(index, value)`` is called on the caller's thread
    as each task ends. An exception raised by a task is re-raised here once the others are done.
    """
    guards = [Guard() for _ in tasks]
    results: dict[int, T] = {}
    waiting = deque(range(len(tasks)))
    running: dict[Future[T], tuple[int, float]] = {}  # → the task's index and its deadline
    failure: BaseException | None = None

    def finish(index: int, value: T) -> None:
        results[index] = value
        if on_result is not None:
            on_result(index, value)

    while waiting or running:
        while waiting and len(running) < max(1, workers):
            index = waiting.popleft()
            ends_at = time.monotonic() + tasks[index].deadline  # counted from its start
            running[_start(tasks[index], guards[index])] = index, ends_at
        # A committed task is waited for without a deadline (its write is bounded).
        ends = [end for i, end in running.values() if not guards[i].committed and end < math.inf]
        timeout = max(0.0, min(ends) - time.monotonic()) if ends else None
        done, _ = wait(running, timeout=timeout, return_when=FIRST_COMPLETED)
        for future in done:
            index, _ = running.pop(future)
            error = future.exception()
            if error is not None:
                failure = failure or error
            else:
                finish(index, future.result())
        now = time.monotonic()
        for future, (index, end) in list(running.items()):
            if now >= end and guards[index]._abandon():
                del running[future]
                finish(index, tasks[index].on_timeout())
    if failure is not None:
        raise failure
    return [results[i] for i in range(len(tasks))]
