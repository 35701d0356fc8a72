"""The pack workers: a few processes that parse, validate and run submitted rule packs.

Why processes: a hostile pack must not stall the API. Off the event loop is not enough, because a
thread that runs too long cannot be stopped; a process can. Each worker is its own one-process
`ProcessPoolExecutor`, so a job over its time limit (CPU seconds, WALL_TIME_FACTOR) costs only that
worker: it is killed and a fresh one takes its place while the request answers 422 "pack too
complex". Requests queue for a free worker; other routes never wait for them.

Memory: the loader's caps (size, alias expansions, depth; engine/rules/loader.py) keep a pack small
before anything walks it, and each worker also runs under an address-space limit, so whatever the
caps did not foresee ends in a MemoryError (or a dead worker), answered like a time-out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import multiprocessing
import os
import resource
import signal
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from aiohttp import web

from engine.api import pack_jobs
from engine.api.errors import ApiError, named, unavailable
from engine.api.pack_jobs import JobResult

log = logging.getLogger("convoflow.api")

WORKERS = 2
"""Packs are parsed by ops tooling, a few at a time; two workers keep one busy hostile pack from
holding up the next request, without a process per CPU sitting idle in every API process."""

MEMORY_LIMIT_BYTES = 1024 * 1024 * 1024
"""Address space of one worker (1 GiB: about ten times what a worker uses for the largest valid
pack). Over it, allocations fail inside the worker instead of growing the host's memory."""


BULK_JOBS = frozenset({"simulate", "diff", "coverage"})
BULK_TIME_FACTOR = 15
"""simulate and diff run up to 5000 recorded conversations through one or two packs, and coverage
decides every test case and evaluates each rule again to trace it (about 6 ms per case at 200 rules):
ops wait for them like a report, so they get this many times the time limit (30 s at the default).
The pack in them has passed the same caps first, and the run is still bounded."""


INTENTS_MARK = b"intents"
"""In a request body, the pack may declare intents: its job gets the bulk time (only ever more time)."""
WALL_TIME_FACTOR = 5
"""The limit is CPU time, counted by the kernel in the worker (RLIMIT_CPU): a busy or niced host
slows a job's wall time but not its CPU time, so a valid pack is never refused because the machine
was loaded. A job that waits instead of computing is still ended after this many times the limit in
wall time."""

WATCH_SECONDS = 1.0
"""How often a worker checks that its API process is still there. A worker blocks on its job queue,
which never closes if the API process is killed (SIGKILL, OOM killer): without the check it and the
fork server would outlive the API."""


STARTING_GRACE_SECONDS = 5.0
"""How long closing the pool waits for a worker that is starting (~30 ms on an idle host, more
when an attack's replacements start on a loaded one) before giving up on a clean kill."""


def _prepare_worker(memory_limit: int, api_pid: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    threading.Thread(target=_exit_with, args=(api_pid,), daemon=True, name="api-watch").start()


def _run_within(job: str, raw: bytes, cpu_seconds: float) -> JobResult:
    """In the worker: the job may use `cpu_seconds` of CPU from now on; past it the kernel sends
    SIGXCPU, which ends the worker (the pool sees it broken and replaces it). Whole seconds: the
    kernel counts RLIMIT_CPU in seconds, so a job gets between the limit and one second more."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    allowed = math.ceil(usage.ru_utime + usage.ru_stime + cpu_seconds)
    resource.setrlimit(resource.RLIMIT_CPU, (allowed, resource.getrlimit(resource.RLIMIT_CPU)[1]))
    return pack_jobs.run(job, raw)


def _exit_with(api_pid: int) -> None:
    while True:
        time.sleep(WATCH_SECONDS)
        try:  # a dead process may linger as a zombie until reaped: read its state, not just its pid
            with open(f"/proc/{api_pid}/stat", encoding="ascii") as stat:
                state = stat.read().rpartition(")")[2].split()[0]
        except (OSError, IndexError):
            state = "X"
        if state in ("Z", "X"):
            os._exit(0)


def pack_too_complex(seconds: float) -> ApiError:
    return ApiError(
        422,
        "pack_too_complex",
        f"the pack took more than {seconds:g}s or too much memory to check; make it smaller",
        named("pack", "too complex to check"),
    )


class _Worker:
    """One worker process, with its pid so it can be killed when it overruns."""

    def __init__(self, context: multiprocessing.context.BaseContext, memory_limit: int) -> None:
        self.executor = ProcessPoolExecutor(
            max_workers=1,
            mp_context=context,
            initializer=_prepare_worker,
            initargs=(memory_limit, os.getpid()),
        )
        self.pid: int | None = None

    async def start(self) -> _Worker:
        self.pid = await asyncio.wrap_future(self.executor.submit(pack_jobs.ready))
        return self

    def kill(self) -> None:
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        self.executor.shutdown(wait=False, cancel_futures=True)


class PackWorkers:
    """The pool. `run(job, raw_body)` answers a JobResult, or raises 422 pack_too_complex."""

    def __init__(
        self, time_limit: float, size: int = WORKERS, memory_limit: int = MEMORY_LIMIT_BYTES
    ) -> None:
        """`time_limit`: seconds one job may run (Settings.rules_time_limit_seconds)."""
        self.size = size
        self.time_limit = time_limit
        self.memory_limit = memory_limit
        # forkserver: workers start by forking a clean server that has the job modules imported
        # (fast to replace), never by forking the API process with its threads and sockets.
        self._context = multiprocessing.get_context("forkserver")
        # The priority module lowers the server's CPU priority, so every worker starts niced.
        self._context.set_forkserver_preload(["engine.api.pack_worker_priority", "engine.api.pack_jobs"])
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._all: set[_Worker] = set()
        self._starting: set[asyncio.Task[None]] = set()
        self.job_started = asyncio.Event()
        """Set each time a job reaches a worker (tests and the benchmark wait for it; they clear it)."""

    async def start(self) -> None:
        await asyncio.gather(*(self._add() for _ in range(self.size)))

    async def _add(self) -> None:
        worker = _Worker(self._context, self.memory_limit)
        self._all.add(worker)
        try:
            await worker.start()
        except BaseException:
            self._all.discard(worker)
            worker.kill()
            raise
        self._idle.put_nowait(worker)

    def _replace(self, worker: _Worker) -> None:
        """Kill an overrunning (or dead) worker and start another in the background."""
        self._all.discard(worker)
        worker.kill()
        task = asyncio.create_task(self._add())
        self._starting.add(task)
        task.add_done_callback(self._started)

    def _started(self, task: asyncio.Task[None]) -> None:
        self._starting.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error(
                "a pack worker did not start (%s); /v1/rules has one fewer", type(task.exception()).__name__
            )

    async def run(self, job: str, raw: bytes) -> JobResult:
        # A pack declaring intents trains a classifier and cross-validates it (and loads the language
        # models on its first detection): a report's work, given a report's time.
        bulk = job in BULK_JOBS or INTENTS_MARK in raw
        limit = self.time_limit * (BULK_TIME_FACTOR if bulk else 1)
        worker = await self._free_worker()
        try:
            future = asyncio.wrap_future(worker.executor.submit(_run_within, job, raw, limit))
            self.job_started.set()
            result = await asyncio.wait_for(future, limit * WALL_TIME_FACTOR)
        except (TimeoutError, BrokenProcessPool, MemoryError):
            self._replace(worker)
            raise pack_too_complex(limit) from None
        except asyncio.CancelledError:  # the client went away: the job may still be running
            self._replace(worker)
            raise
        except Exception:  # the job itself raised (a bug, answered 500 and logged): the worker is fine
            self._idle.put_nowait(worker)
            raise
        self._idle.put_nowait(worker)
        return result

    async def _free_worker(self) -> _Worker:
        """The next idle worker; 503 rather than a wait without end when none comes back.

        Every worker busy with bulk jobs frees one within the bulk time limit; waiting twice that
        means the workers are gone (none could be restarted): the caller hears so and retries.
        """
        if not self._all and not self._starting:
            raise unavailable("pack_workers_unavailable", "no pack worker is running; retry later")
        try:
            return await asyncio.wait_for(self._idle.get(), 2 * self.time_limit * BULK_TIME_FACTOR)
        except TimeoutError:
            raise unavailable("pack_workers_busy", "every pack worker stayed busy; retry later") from None

    async def close(self) -> None:
        """Kill every worker; one still starting is let finish first (STARTING_GRACE_SECONDS).

        Cancelled mid-start, a worker has no pid to kill yet and its fork is still unpickling the
        pool's semaphores: an API process that exits right after (the end of an attack, when the
        overrunning jobs' replacements are starting) unlinks them first, and the fork server
        printed a FileNotFoundError traceback for each. A started worker is killed like the rest.
        """
        if self._starting:
            await asyncio.wait(list(self._starting), timeout=STARTING_GRACE_SECONDS)
        for task in list(self._starting):
            task.cancel()
        await asyncio.gather(*self._starting, return_exceptions=True)
        for worker in list(self._all):
            worker.kill()
        self._all.clear()


PACK_WORKERS = web.AppKey("pack_workers", PackWorkers)


def pack_workers(time_limit: float) -> Callable[[web.Application], AsyncIterator[None]]:
    """The app's pool as a cleanup context: started with the app, killed when it stops."""

    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        workers = PackWorkers(time_limit)
        await workers.start()
        app[PACK_WORKERS] = workers
        try:
            yield
        finally:
            await workers.close()

    return lifetime
