"""Bounded work for the server: admission before a body is read, then a worker slot, small first.

Two lanes, chosen from the request's declared size (Content-Length) before any byte is read:
"small" (at most ``small_bytes``) and "big" (larger, or size unknown). A lane admits at most
``workers + queue`` requests (``small_queue`` for the small lane); one more is refused at once
with Busy (the app answers 503 with Retry-After), so the bodies held in memory are bounded by
the lane limits, never by how many clients connect.

Admitted requests then wait for one of ``workers`` slots (one per core: more threads would
not finish sooner). Waiting requests are served smallest first (by decoded pixel count), and
when there is more than one worker, big requests may hold at most ``workers - 1`` slots: a
page's small preview or mask request never waits behind a row of 12-megapixel repairs.

Pure asyncio, no framework: tested on its own.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

SMALL = "small"
BIG = "big"


class Busy(Exception):
    """The lane is full; ``retry_after`` is a hint in whole seconds."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limits:
    workers: int  # jobs that run at once
    queue: int  # big lane: admitted requests beyond the running ones
    small_queue: int  # the same for the small lane
    small_bytes: int  # a request body up to this size is in the small lane


class Scheduler:
    """Created inside the running event loop (asyncio primitives bind to it)."""

    def __init__(self, limits: Limits) -> None:
        if limits.workers < 1 or limits.queue < 0 or limits.small_queue < 0:
            raise ValueError(f"workers must be >= 1 and queue >= 0, got {limits}")
        self.limits = limits
        self._admitted = {SMALL: 0, BIG: 0}
        self._running = {SMALL: 0, BIG: 0}
        self._waiting: list[tuple[int, int, str, asyncio.Future[None]]] = []  # (cost, order, lane, wake)
        self._order = itertools.count()

    def lane_for(self, content_length: str | None) -> str:
        if content_length is not None and content_length.isdigit():
            return SMALL if int(content_length) <= self.limits.small_bytes else BIG
        return BIG  # chunked: the size is unknown, so assume the worst

    @property
    def running(self) -> int:
        return self._running[SMALL] + self._running[BIG]

    @asynccontextmanager
    async def admit(self, lane: str) -> AsyncIterator[None]:
        """Hold a place in ``lane`` for the whole request (reading, waiting and running)."""
        queue = self.limits.small_queue if lane == SMALL else self.limits.queue
        if self._admitted[lane] >= self.limits.workers + queue:
            raise Busy(
                f"the server is busy ({self._admitted[lane]} {lane} requests in progress); try again shortly",
                retry_after=2 if lane == SMALL else 5,
            )
        self._admitted[lane] += 1
        try:
            yield
        finally:
            self._admitted[lane] -= 1

    @asynccontextmanager
    async def slot(self, *, lane: str, cost: int) -> AsyncIterator[None]:
        """A worker slot, waiting in order of ``cost`` (then arrival) while none is free."""
        wake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (cost, next(self._order), lane, wake)
        heapq.heappush(self._waiting, entry)
        self._wake_next()  # starts at once when a slot is free and nothing cheaper waits
        try:
            await wake
        except BaseException:
            if wake.done() and not wake.cancelled():
                self._release(lane)  # woken and cancelled at once: pass the slot on
            else:
                self._waiting.remove(entry)
                heapq.heapify(self._waiting)
            raise
        try:
            yield
        finally:
            self._release(lane)

    def _may_start(self, lane: str) -> bool:
        if self.running >= self.limits.workers:
            return False
        # Keep one slot for small work when there is more than one.
        return lane == SMALL or self._running[BIG] < max(1, self.limits.workers - 1)

    def _release(self, lane: str) -> None:
        self._running[lane] -= 1
        self._wake_next()

    def _wake_next(self) -> None:
        # The cheapest waiting job that may start; a big one the reservation blocks is skipped
        # over, so small jobs behind it still start.
        for entry in sorted(self._waiting):
            _cost, _order, lane, wake = entry
            if not self._may_start(lane):
                continue
            self._waiting.remove(entry)
            heapq.heapify(self._waiting)
            self._running[lane] += 1
            wake.set_result(None)
            return
