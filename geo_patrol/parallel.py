"""One way to go parallel: :func:`run_jobs` runs a function over jobs, serially or on Dask.

- ``workers <= 1`` and no ``scheduler`` (or a single job): in this process, one job after the
  other.
- ``workers >= 2``: on a :class:`distributed.LocalCluster` of ``min(workers, len(jobs))``
  processes with one thread each, started for the call and closed after it (the scheduler
  listens on 127.0.0.1 only, on free ports, without a dashboard).
- ``scheduler="tcp://host:port"``: on an existing Dask cluster (``dask scheduler`` and ``dask
  worker`` processes started by someone else); ``workers`` is then the cluster's business.

The results come back in the order of ``jobs`` whatever order the jobs finish in, and do not
depend on the executor: the same function runs on the same job. What goes over the wire is the
pickled function (by reference when its module is importable, which every worker must then be
able to do — the package installed in the same version) and each pickled job out, each pickled
result back; nothing else (files stay where they are: a job that reads or writes files needs them
at the same paths on every worker).

Exceptions: by default the first job that raises stops the call — the other jobs are cancelled
and the exception is raised here. With ``return_exceptions=True`` every job runs and a failed
job's slot holds its exception object. From Dask it is the worker's exception rebuilt here (with
its attributes); one that cannot be pickled (it holds a lock or an open file) arrives as a plain
``Exception`` holding its ``repr`` — Dask's rule. A job the cluster cancelled (its scheduler
restarted) fails with a :class:`JobError`.

Inside a Dask task (a job that itself calls :func:`run_jobs`) the inner call runs serially: no
cluster is started inside a worker process.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from distributed import Client, LocalCluster, as_completed, get_worker

from geo_patrol.errors import GeoPatrolError, InputError

__all__ = ["JobDone", "JobError", "run_jobs"]

log = logging.getLogger(__name__)

#: Seconds to wait for a scheduler to answer, and for an existing cluster to show a worker.
CONNECT_TIMEOUT_S = 15


class JobError(GeoPatrolError, RuntimeError):
    """A job that the Dask cluster cancelled before it finished."""


@dataclass(frozen=True)
class JobDone:
    """What ``progress`` is told each time a job finishes (in the order they finish).

    ``index`` is the job's place in ``jobs``; ``done`` of ``total`` have finished after
    ``elapsed_s`` seconds of wall time; ``result`` is its result, or ``error`` its exception.
    """

    index: int
    done: int
    total: int
    elapsed_s: float
    result: Any = None
    error: BaseException | None = None

    @property
    def left_s(self) -> float:
        """Wall seconds left at the pace so far (elapsed per job finished × jobs still to finish)."""
        return self.elapsed_s / self.done * (self.total - self.done) if self.done else float("inf")


def run_jobs(
    func: Callable[[Any], Any],
    jobs: Iterable[Any],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    progress: Callable[[JobDone], None] | None = None,
    return_exceptions: bool = False,
) -> list:
    """``[func(job) for job in jobs]``, serially or on Dask; see the module docstring.

    ``func`` must be a picklable top-level function (or an object of a top-level class) when it
    may run on Dask; ``jobs`` and the results must be picklable. ``workers`` is the number of
    local worker processes; ``scheduler`` the address of an existing Dask scheduler
    (``tcp://host:port``). ``progress`` is called with a :class:`JobDone` after each job.
    """
    jobs = list(jobs)
    if not jobs:
        return []
    if scheduler is not None and not (isinstance(scheduler, str) and scheduler.strip()):
        raise InputError(f"'{scheduler}' is not a Dask scheduler address",
                         hint="give it as tcp://host:port (what `dask scheduler` prints)")
    nested = _inside_worker()
    if nested:
        log.debug("run_jobs inside a Dask worker: the %d job(s) run serially", len(jobs))
    if nested or (scheduler is None and (workers <= 1 or len(jobs) == 1)):
        return _serial(func, jobs, progress, return_exceptions)
    with contextlib.ExitStack() as stack:
        if scheduler is None:
            cluster = stack.enter_context(LocalCluster(
                n_workers=min(int(workers), len(jobs)), threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=None,
                # the scheduler's HTTP routes (health, metrics) on a free local port, not 8787
                scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"}))
            client = stack.enter_context(Client(cluster, set_as_default=False))
        else:
            client = stack.enter_context(_connect(scheduler.strip()))
        return _on_dask(client, func, jobs, progress, return_exceptions)


def _inside_worker() -> bool:
    try:
        get_worker()
    except ValueError:
        return False
    return True


def _serial(func, jobs: Sequence, progress, return_exceptions: bool) -> list:
    started = time.perf_counter()
    out = []
    for index, job in enumerate(jobs):
        try:
            result, error = func(job), None
        except Exception as exc:
            if not return_exceptions:
                raise
            result, error = exc, exc
        out.append(result)
        if progress is not None:
            progress(JobDone(index, index + 1, len(jobs), time.perf_counter() - started,
                             None if error is not None else result, error))
    return out


def _connect(address: str) -> Client:
    """A client of the scheduler at ``address`` that has at least one worker."""
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"cannot reach the Dask scheduler at {address} ({type(exc).__name__}: {exc})",
                         hint="start it with `dask scheduler` and give the address it prints (tcp://host:port)",
                         ) from None
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        client.close()
        raise InputError(f"the Dask scheduler at {address} has no worker ({type(exc).__name__})",
                         hint=f"start workers with `dask worker {address} --nthreads 1`") from None
    return client


@dataclass(frozen=True)
class _Job:
    """One job as it travels: wrapped, so that Dask never reads a tuple or a string in it as a
    task or a key of its own graph."""

    value: Any


@dataclass(frozen=True)
class _Call:
    """``func`` on a worker, called with the job inside its :class:`_Job`."""

    func: Callable[[Any], Any]

    def __call__(self, job: _Job) -> Any:
        return self.func(job.value)


def _on_dask(client: Client, func, jobs: Sequence, progress, return_exceptions: bool) -> list:
    started = time.perf_counter()
    name = getattr(func, "__name__", type(func).__name__)
    futures = client.map(_Call(func), [_Job(job) for job in jobs], key=name, pure=False)
    index = {future.key: i for i, future in enumerate(futures)}
    out: list[Any] = [None] * len(jobs)
    done = 0
    try:
        for future in as_completed(futures, loop=client.loop):
            i = index[future.key]
            if future.status == "finished":
                result, error = future.result(), None
            else:
                if future.status == "error":
                    error = future.exception()
                else:  # cancelled: the scheduler restarted or forgot it
                    error = JobError(f"job {i} was cancelled by the Dask cluster ({future.status}); run it again")
                if not return_exceptions:
                    raise error
                result = error
            out[i] = result
            futures[i] = None  # the worker may forget the result now
            done += 1
            if progress is not None:
                progress(JobDone(i, done, len(jobs), time.perf_counter() - started,
                                 None if error is not None else result, error))
    finally:
        pending = [f for f in futures if f is not None and not f.done()]
        if pending:
            client.cancel(pending)
    return out
