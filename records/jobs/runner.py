"""Jobs: imports (dry run or commit) and bulk edits, run by the worker of Django's tasks framework
(`manage.py run_jobs`), outside any request.

A job reads its rows in batches. Each batch is classified against the live records (create /
update / unchanged / invalid); a commit then writes the creates and updates through the service
module (chunks of <= 1000 records and 10 MB, written in parallel, failed records retried) and saves
the outcome of every row together with the checkpoint in one transaction. A job stopped anywhere
(pause, cancel, a lost worker) starts again at its checkpoint: the batches whose writes went out
before the stop are classified again, their written rows now read as unchanged and are not sent
twice.
"""

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.tasks import task
from django.utils import timezone

from ..bulk import importing
from ..cdf import CdfClient, CdfError, get_client
from ..models import Job
from .batches import in_thread
from .control import Stopped, finish
from .kinds import run_bulk_edit, run_export, run_import

logger = logging.getLogger(__name__)

# A running job's worker renews its heartbeat this often, however long a batch takes; a job whose
# worker has not done so for LOST_AFTER was lost with it and is run again.
HEARTBEAT_EVERY = timedelta(seconds=30)
LOST_AFTER = timedelta(minutes=2)


@task()
def run_job(job_id: int) -> str:
    """The task the worker runs: one job, from its checkpoint to its end (or until paused)."""
    job = Job.objects.get(id=job_id)
    run(job)
    return job.status


def cannot_run() -> str:
    """Why jobs cannot run with these settings ("" when they can)."""
    if settings.CDF_TOKEN_SOURCE == "forwarded":
        return (
            "Imports run in the background, outside your request, so they need the app's own CDF "
            "credentials; with CDF_TOKEN_SOURCE=forwarded there are none. Ask an administrator to set "
            "CDF_TOKEN_SOURCE=client-credentials."
        )
    return ""


def enqueue(job: Job) -> None:
    """Queue the job for the worker once the current transaction commits."""
    job.status = Job.Status.QUEUED
    job.message = ""
    job.save(update_fields=["status", "message"])
    transaction.on_commit(lambda: run_job.enqueue(job.id))


def recover_lost_jobs(lost_after: timedelta = LOST_AFTER) -> list[int]:
    """Queue again the jobs whose worker stopped while running them (a restart, a crash)."""
    silent = timezone.now() - lost_after
    lost = []
    for job in Job.objects.filter(status=Job.Status.RUNNING, heartbeat__lt=silent):
        # However many workers look at once, one of them queues the job.
        if not Job.objects.filter(id=job.id, status=Job.Status.RUNNING, heartbeat__lt=silent).update(
            status=Job.Status.QUEUED
        ):
            continue
        logger.warning(
            "Job %s was left running by a lost worker; resuming after row %s", job.id, job.checkpoint
        )
        enqueue(job)
        lost.append(job.id)
    return lost


def watch_for_lost_jobs(stop: threading.Event) -> None:
    """Until `stop` is set, queue again every minute the jobs another worker lost (run in a thread of
    a long-running worker, which may outlive the workers beside it)."""
    while not stop.wait(LOST_AFTER.total_seconds() / 2):
        try:
            recover_lost_jobs(LOST_AFTER)
        except DatabaseError:
            logger.exception("Looking for lost jobs failed; trying again later")
        finally:
            connections.close_all()


@contextlib.contextmanager
def heartbeat(job: Job) -> Iterator[None]:
    """While the body runs, a thread renews the job's heartbeat, so that a batch slowed down by CDF
    (throttling, retries) never passes for a lost job."""
    stop = threading.Event()

    def beat():
        while not stop.wait(HEARTBEAT_EVERY.total_seconds()):
            Job.objects.filter(id=job.id).update(heartbeat=timezone.now())

    thread = threading.Thread(target=in_thread, args=(beat,), name=f"job-{job.id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def run(job: Job, client: CdfClient | None = None, on_written: Callable[[int], None] | None = None) -> None:
    """Run a queued job to its end, or until it is paused or cancelled. `on_written(batch)` is called
    after a batch's writes went out and before its outcomes are saved (where a crash hurts most)."""
    if job.status not in Job.ACTIVE:
        return
    if client is None and (refusal := cannot_run()):
        finish(job, Job.Status.FAILED, refusal)
        return
    client = client or get_client()
    # Should a job be queued twice, the first task to claim it runs it.
    if not Job.objects.filter(id=job.id, status=Job.Status.QUEUED).update(status=Job.Status.RUNNING):
        return
    job.status = Job.Status.RUNNING
    job.started = job.started or timezone.now()
    job.heartbeat = timezone.now()
    job.save(update_fields=["started", "heartbeat"])
    try:
        with heartbeat(job):
            if job.kind == Job.Kind.IMPORT:
                run_import(job, client, on_written)
            elif job.kind == Job.Kind.BULK_EDIT:
                run_bulk_edit(job, client, on_written)
            elif job.kind == Job.Kind.EXPORT:
                run_export(job, client, on_written)
            else:
                raise ValueError(f"Unknown job kind {job.kind!r}")
    except Stopped:
        return
    except (CdfError, importing.FileProblem, OSError) as error:
        logger.warning("Job %s failed: %s", job.id, error)
        finish(job, Job.Status.FAILED, str(error))
        return
    except Exception:
        # Ended here rather than left running, to be resumed (and fail again) by every new worker.
        logger.exception("Job %s failed unexpectedly", job.id)
        finish(
            job,
            Job.Status.FAILED,
            "The job stopped on an unexpected error; the worker's log has the details.",
        )
        return
    finish(job, Job.Status.SUCCEEDED)


def resume(job: Job) -> bool:
    if Job.objects.filter(id=job.id, status=Job.Status.PAUSED).exists():
        enqueue(job)
        return True
    return False

