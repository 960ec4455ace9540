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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

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


@dataclass
class _Slot(Generic[T]):
    task: Task[T]
    guard: Guard = field(default_factory=Guard)
    started: float = 0.0
    done: bool = False
    value: T | None = None
    error: BaseException | None = None


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
    slots = [_Slot(task) for task in tasks]
    results: dict[int, T] = {}
    changed = threading.Condition()
    waiting = list(range(len(slots)))
    running: list[int] = []
    failure: BaseException | None = None

    def body(slot: _Slot[T]) -> None:
        try:
            slot.value = slot.task.run(slot.guard)
        except Abandoned:
            pass
        except BaseException as exc:  # handed to the caller's thread
            slot.error = exc
        with changed:
            slot.done = True
            changed.notify_all()

    def finish(index: int, value: T) -> None:
        results[index] = value
        if on_result is not None:
            on_result(index, value)

    with changed:
        while waiting or running:
            now = time.monotonic()
            for index in list(running):
                slot = slots[index]
                if slot.done:
                    running.remove(index)
                    if slot.error is not None:
                        failure = failure or slot.error
                    elif not slot.guard.abandoned:
                        finish(index, slot.value)  # type: ignore[arg-type]
                elif now >= slot.started + slot.task.deadline and slot.guard._abandon():
                    running.remove(index)
                    changed.release()  # on_timeout may write to a store: not under our lock
                    try:
                        finish(index, slot.task.on_timeout())
                    finally:
                        changed.acquire()
            # Settle what ended before filling the freed places, so every free place is filled.
            while waiting and len(running) < max(1, workers):
                index = waiting.pop(0)
                slot = slots[index]
                slot.started = time.monotonic()
                thread = threading.Thread(
                    target=body, args=(slot,), name=slot.task.name, daemon=True
                )
                thread.start()
                running.append(index)
            if running and not any(slots[i].done for i in running):
                ends = [
                    slots[i].started + slots[i].task.deadline
                    for i in running
                    if not slots[i].guard.committed and math.isfinite(slots[i].task.deadline)
                ]
                # A committed task is waited for without a deadline (its write is bounded).
                changed.wait(max(0.0, min(ends) - time.monotonic()) + 0.001 if ends else None)
    if failure is not None:
        raise failure
    return [results[i] for i in range(len(slots))]
