"""Warm render workers with a bounded queue, and the cache of non-personal leaflets.

:class:`WorkerPool` starts its worker processes with the server (``spawn``, as the build
does); each keeps warm renderers (:mod:`handout_builder.desk.worker`). A request waits for an
idle worker; when ``queue`` requests are already waiting, it is told at once that the desk is
busy (:class:`Busy`), so memory stays bounded and nobody waits forever. A worker that dies or
takes longer than the time limit is killed and replaced; only its own request fails
(:class:`WorkerFailed`). Workers are replaced after :data:`WORKER_DOCUMENTS` jobs, as in the
build, to keep memory flat.

:class:`LeafletCache` keeps rendered non-personal leaflets (PDF and page previews) by the hash
of everything that shapes them; personal copies are never cached.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from handout_builder import service
from handout_builder.desk import worker as work

#: Jobs a worker does before it is replaced by a fresh one (as the build's workers).
WORKER_DOCUMENTS = 500
#: Seconds a new worker may take to set up its renderers.
START_SECONDS = 120.0


class Busy(Exception):
    """Every worker is busy and the queue is full: try again in a moment."""


class WorkerFailed(Exception):
    """The worker rendering this request died or ran out of time (it has been replaced)."""


class _Worker:
    def __init__(self, context, brands: dict[str, str]):
        self._context = context
        self._brands = brands
        self.process = None
        self.conn = None
        # its temporary files (WeasyPrint's copies of the fonts), in a folder this process
        # holds a lock on: the next desk or build removes it if this desk is killed
        self.scratch: service.WorkerFolder | None = None
        self.ready = False
        self.documents = 0
        self.start()

    def start(self) -> None:
        parent, child = self._context.Pipe()
        self.scratch = service.desk_worker_folder()
        self.process = self._context.Process(
            target=work.serve, args=(child, self._brands, os.getpid(), self.scratch.path),
            name="make-handout desk worker", daemon=True)
        self.process.start()
        child.close()
        self.conn, self.ready, self.documents = parent, False, 0

    def wait_ready(self) -> None:
        if self.ready:
            return
        if not self.conn.poll(START_SECONDS):
            raise TimeoutError("the worker did not start")
        if self.conn.recv() != "ready":
            raise RuntimeError("the worker did not start")
        self.ready = True

    def call(self, job, timeout: float) -> work.Reply:
        if not self.process.is_alive():  # died while idle: replaced before it is given a job
            self.restart()
        try:
            self.wait_ready()
            self.conn.send(job)
            if not self.conn.poll(timeout):
                raise TimeoutError
            reply = self.conn.recv()
        except (EOFError, OSError, TimeoutError, RuntimeError):
            self.restart()
            raise WorkerFailed from None
        self.documents += 1
        if self.documents >= WORKER_DOCUMENTS:
            self.restart()
        return reply

    def restart(self) -> None:
        self.stop()
        self.start()

    def stop(self) -> None:
        """Kill the worker, and remove its folder of temporary files (WeasyPrint's copies of
        the fonts), which a killed process cannot remove itself."""
        if self.conn is not None:
            self.conn.close()
        if self.process is not None and self.process.is_alive():
            self.process.kill()
        if self.process is not None:
            self.process.join(timeout=10)
        if self.scratch is not None:
            self.scratch.remove()
            self.scratch = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None


class WorkerPool:
    """``workers`` warm render processes; see the module's notes."""

    def __init__(self, brands: dict[str, Path], workers: int, queue: int = 32,
                 timeout: float = 60.0, wait: float = 60.0):
        self.size = workers
        self.queue = queue
        self.timeout = timeout
        self.wait = wait
        self._brands = {key: str(folder) for key, folder in brands.items()}
        self._workers: list[_Worker] = []
        self._idle: asyncio.Queue[_Worker] | None = None
        self._threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="desk-render")
        self._waiting = 0

    def start(self) -> None:
        context = service.desk_worker_context()
        self._workers = [_Worker(context, self._brands) for _ in range(self.size)]
        self._idle = asyncio.Queue()
        for one in self._workers:
            self._idle.put_nowait(one)

    def close(self) -> None:
        for one in self._workers:
            one.stop()
        self._threads.shutdown(wait=False, cancel_futures=True)

    @property
    def pids(self) -> list[int | None]:
        return [one.pid for one in self._workers]

    @property
    def waiting(self) -> int:
        return self._waiting

    async def run(self, job) -> work.Reply:
        """Run one job on an idle worker; :class:`Busy` or :class:`WorkerFailed`."""
        assert self._idle is not None, "start() the pool first"
        if self._idle.empty() and self._waiting >= self.queue:
            raise Busy
        self._waiting += 1
        try:
            one = await asyncio.wait_for(self._idle.get(), timeout=self.wait)
        except asyncio.TimeoutError:
            raise Busy from None
        finally:
            self._waiting -= 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._threads, one.call, job, self.timeout)
        finally:
            self._idle.put_nowait(one)


@dataclass(frozen=True)
class Cached:
    """A rendered non-personal leaflet: its PDF, page count and page previews (PNG)."""

    pdf: bytes
    pages: int
    images: tuple[bytes, ...]

    @property
    def size(self) -> int:
        return len(self.pdf) + sum(len(i) for i in self.images)


def cache_key(*parts: bytes | str) -> str:
    """The hash of everything that shapes a leaflet (each part length-prefixed)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


class LeafletCache:
    """Least recently used, at most ``max_bytes`` in all. Never given a personal copy."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, Cached] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: str) -> Cached | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item

    def put(self, key: str, item: Cached) -> None:
        if item.size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._items[key] = item
            self._bytes += item.size
            while self._bytes > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= dropped.size

    def __len__(self) -> int:
        return len(self._items)
