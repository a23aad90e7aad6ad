"""Bounded work for the server: admission before a body is read, then a worker slot, small first.

Admission (before any byte of the body is read): the declared sizes (Content-Length; a body
of unknown size counts as the upload limit) of the requests in progress stay under
``max_body_bytes``, and at most ``max_requests`` are in progress at once. One more is refused
at once with Busy (the app answers 503 with Retry-After), so the bodies held in memory are
bounded by the budget, never by how many clients connect.

Slots: ``workers`` jobs run at once (one per core: more threads would not finish sooner).
A job's size is its pixel count, read from the image header once the body is in: a flat
12-megapixel PNG can have fewer bytes than a noisy thumbnail. Jobs up to ``small_pixels`` are
small, the rest big. Waiting jobs are served smallest first; with more than one worker, big
jobs hold at most ``workers - 1`` slots, so a page's small request never waits behind a row of
12-megapixel repairs. At most ``queue`` big and ``small_queue`` small jobs wait; one more is
Busy too: a short wait, not a backlog that answers after the user has given up.

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
    """Too much work in progress; ``retry_after`` is a hint in whole seconds."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limits:
    workers: int  # jobs that run at once
    queue: int  # big jobs that may wait beyond the running ones
    small_queue: int  # small jobs that may wait
    small_pixels: int = 2_000_000  # a job up to this many pixels is small
    max_body_bytes: int = 256_000_000  # declared request bodies in progress, all together
    max_requests: int = 64  # requests in progress (reading, waiting or running)


class Scheduler:
    """Created inside the running event loop (asyncio primitives bind to it)."""

    def __init__(self, limits: Limits) -> None:
        if limits.workers < 1 or min(limits.queue, limits.small_queue) < 0:
            raise ValueError(f"workers must be >= 1 and the queues >= 0, got {limits}")
        self.limits = limits
        self._requests = 0
        self._body_bytes = 0
        self._running = {SMALL: 0, BIG: 0}
        self._waiting: list[tuple[int, int, str, asyncio.Future[None]]] = []  # (cost, order, lane, wake)
        self._order = itertools.count()

    @property
    def running(self) -> int:
        return self._running[SMALL] + self._running[BIG]

    def waiting(self, lane: str) -> int:
        return sum(1 for entry in self._waiting if entry[2] == lane)

    @asynccontextmanager
    async def admit(self, body_bytes: int) -> AsyncIterator[None]:
        """Hold a place for the whole request (reading, waiting and running)."""
        over_budget = self._body_bytes + body_bytes > self.limits.max_body_bytes and self._requests > 0
        if over_budget or self._requests >= self.limits.max_requests:
            raise Busy(f"the server is busy ({self._requests} requests in progress); try again shortly", retry_after=5)
        self._requests += 1
        self._body_bytes += body_bytes
        try:
            yield
        finally:
            self._requests -= 1
            self._body_bytes -= body_bytes

    @asynccontextmanager
    async def slot(self, *, cost: int) -> AsyncIterator[None]:
        """A worker slot for a job of ``cost`` pixels, waiting (smallest first) while none is free."""
        lane = SMALL if cost <= self.limits.small_pixels else BIG
        wake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (cost, next(self._order), lane, wake)
        heapq.heappush(self._waiting, entry)
        self._wake_next()  # starts at once when a slot is free and nothing cheaper waits
        queue = self.limits.small_queue if lane == SMALL else self.limits.queue
        if not wake.done() and self.waiting(lane) > queue:
            self._drop(entry)
            raise Busy(
                f"the server is busy ({self.running} repairs running, {self.waiting(lane)} {lane} waiting); "
                "try again shortly",
                retry_after=1 if lane == SMALL else 5,
            )
        try:
            await wake
        except BaseException:
            if wake.done() and not wake.cancelled():
                self._release(lane)  # woken and cancelled at once: pass the slot on
            else:
                self._drop(entry)
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

    def _drop(self, entry: tuple) -> None:
        self._waiting.remove(entry)
        heapq.heapify(self._waiting)

    def _release(self, lane: str) -> None:
        self._running[lane] -= 1
        self._wake_next()

    def _wake_next(self) -> None:
        # The cheapest waiting job that may start; a big one the kept slot blocks is skipped
        # over, so small jobs behind it still start.
        for entry in sorted(self._waiting):
            lane, wake = entry[2], entry[3]
            if not self._may_start(lane):
                continue
            self._drop(entry)
            self._running[lane] += 1
            wake.set_result(None)
            return
